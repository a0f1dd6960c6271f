"""Time to response: cumulative incidence with numbers at risk, log-rank, hazard ratio."""

import streamlit as st

from core.model.i18n import gettext as _
from ui import view
from ui.sidebar import EVENT_LABELS, MORE_SETTINGS
from ui.state import Key

TOGGLE = "ttr_event_toggle"


def _sync_event() -> None:
    # The page toggle and the sidebar setting are one choice: copy before the rerun.
    st.session_state[Key.EVENT] = st.session_state[TOGGLE]


v = view.current("ttr")
name = v.settings.event_name  # the user's name of the file's own event, when its times are used
st.title(_("Time to {event}").format(event=name) if name else _("Time to response"))
st.session_state[TOGGLE] = st.session_state.get(Key.EVENT, "cr-or-pr")
st.segmented_control(_("Event"), list(EVENT_LABELS), key=TOGGLE,
                     format_func=lambda e: _(EVENT_LABELS[e]), on_change=_sync_event,
                     required=True)  # fmt: skip
st.caption(v.summary)
source = v.result("ttr_patients")
if source is not None and source.meta.get("time_source"):
    st.caption(_("Source of the times: {source}.").format(source=source.meta["time_source"]))

v.figure("ttr_curve")
v.table("ttr_summary")
left, right = st.columns(2)
with left:
    v.table("ttr_tests")
with right:
    v.table("cox")
with st.expander(_("Numbers at risk, curve values and per-patient times")):
    v.table("ttr_risk")
    v.table("ttr_curve")
    v.table("ttr_patients")

with st.expander(_("Competing risks")):
    st.caption(
        _(
            "Cumulative incidence of {event} when death, ESKD or stopping treatment can come "
            "first (Aalen–Johansen), beside 1 − Kaplan–Meier; Gray's test and Fine–Gray hazard "
            "ratios."
        ).format(event=name or _("response"))
    )
    v.figure("cif_curve")
    v.table("cif_tests")
    v.table("cif_regression")
    with st.expander(_("Curve values and numbers at risk")):
        v.table("cif_curve")
        v.table("cif_risk")

with st.expander(_("Restricted mean time and milestones")):
    st.caption(
        _(
            "τ, the milestone months and the time scale of the proportional-hazards test are set "
            "in the sidebar under *{section}*."
        ).format(section=_(MORE_SETTINGS))
    )
    v.figure("rmst")
    v.table("rmst")
    v.table("rmst_difference")
    v.table("milestones")

with st.expander(_("Proportional hazards and pairwise comparisons")):
    v.figure("schoenfeld")
    v.table("ph_test")
    v.table("pairwise_logrank")
