"""Long-term outcomes: renal flares after response, kidney outcomes, steroid exposure and
each patient's events."""

import streamlit as st

from core.model.i18n import gettext as _
from ui import view

v = view.current("long_term")
st.title(_("Long-term outcomes"))
st.caption(v.summary)

flares, kidney, steroid, events = st.tabs(
    [_("Renal flares"), _("Kidney outcomes"), _("Steroid exposure"), _("Events per patient")]
)
with flares:
    st.caption(
        _(
            "Flares after a response (CR or PR after month 0): AURORA 2 (UPCR > 1 g/g after a "
            "nadir < 0.2, > 2 g/g after 0.2–1.0) and the custom definition of the settings."
        )
    )
    v.table("flares")
    for key in v.figure_keys("flare_curve"):
        v.figure(key)
    v.table("flare_tests")
    with st.expander(_("Numbers at risk, curve values, flares and follow-up per patient")):
        v.table("flare_risk")
        v.table("flare_curve")
        v.table("flare_events")
        v.table("flare_patients")
with kidney:
    v.table("kidney_outcomes")
    for key in v.figure_keys("kidney_outcome"):
        v.figure(key)
    v.table("kidney_tests")
    with st.expander(_("Numbers at risk, curve values and per-patient times")):
        v.table("kidney_risk")
        v.table("kidney_curve")
        v.table("kidney_patients")
with steroid:
    v.figure("steroid_cumulative")
    v.table("steroid_cumulative")
    v.table("steroid_thresholds")
    v.table("steroid_target_time")
    v.table("steroid_target_tests")
    with st.expander(_("Dose per visit and time to 7.5 mg/day or less")):
        v.table("steroid_exposure")
        v.table("steroid_target_risk")
        v.table("steroid_target_curve")
with events:
    v.figure("swimmer_events")
    with st.expander(_("Events per patient")):
        v.table("patient_events")
