"""Time to response: cumulative incidence with numbers at risk, log-rank, hazard ratio."""

import streamlit as st

from ui import view
from ui.sidebar import EVENT_LABELS
from ui.state import Key

TOGGLE = "ttr_event_toggle"


def _sync_event() -> None:
    # The page toggle and the sidebar setting are one choice: copy before the rerun.
    st.session_state[Key.EVENT] = st.session_state[TOGGLE]


v = view.current("ttr")
name = v.settings.event_name  # the user's name of the file's own event, when its times are used
st.title(f"Time to {name}" if name else "Time to response")
st.session_state[TOGGLE] = st.session_state.get(Key.EVENT, "cr-or-pr")
st.segmented_control("Event", list(EVENT_LABELS), key=TOGGLE, format_func=EVENT_LABELS.get,
                     on_change=_sync_event, required=True)  # fmt: skip
st.caption(v.summary)
source = v.result("ttr_patients")
if source is not None and source.meta.get("time_source"):
    st.caption(f"Source of the times: {source.meta['time_source']}.")

v.figure("ttr_curve")
v.table("ttr_summary")
left, right = st.columns(2)
with left:
    v.table("ttr_tests")
with right:
    v.table("cox")
with st.expander("Numbers at risk, curve values and per-patient times"):
    v.table("ttr_risk")
    v.table("ttr_curve")
    v.table("ttr_patients")

st.header("Competing risks", divider="gray")
st.caption(
    f"Cumulative incidence of {name or 'response'} when death, ESKD or stopping treatment can "
    "come first (Aalen–Johansen), beside 1 − Kaplan–Meier; Gray's test and Fine–Gray hazard "
    "ratios."
)
v.figure("cif_curve")
v.table("cif_tests")
v.table("cif_regression")
with st.expander("Curve values and numbers at risk"):
    v.table("cif_curve")
    v.table("cif_risk")

st.header("Restricted mean time and milestones", divider="gray")
st.caption(
    "τ, the milestone months and the time scale of the proportional-hazards test are set in "
    "the sidebar under *Time to response and lab trajectories*."
)
v.figure("rmst")
v.table("rmst")
v.table("rmst_difference")
v.table("milestones")

st.header("Proportional hazards and pairwise comparisons", divider="gray")
v.figure("schoenfeld")
v.table("ph_test")
v.table("pairwise_logrank")
