"""Time to response: cumulative incidence with numbers at risk, log-rank, hazard ratio."""

import streamlit as st

from ui import view
from ui.sidebar import EVENT_LABELS
from ui.state import Key

TOGGLE = "ttr_event_toggle"


def _sync_event() -> None:
    # The page toggle and the sidebar setting are one choice: copy before the rerun.
    st.session_state[Key.EVENT] = st.session_state[TOGGLE]


v = view.current()
st.title("Time to response")
st.session_state[TOGGLE] = st.session_state.get(Key.EVENT, "cr-or-pr")
st.segmented_control("Event", list(EVENT_LABELS), key=TOGGLE, format_func=EVENT_LABELS.get,
                     on_change=_sync_event, required=True)  # fmt: skip
st.caption(v.summary)

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
