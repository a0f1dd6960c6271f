"""Long-term outcomes: renal flares after response, kidney outcomes, steroid exposure and
each patient's events (draft page: the lead adds it to the navigation in app.py)."""

import streamlit as st

from ui import view

v = view.current("long_term")
st.title("Long-term outcomes")
st.caption(v.summary)

flares, kidney, steroid, events = st.tabs(
    ["Renal flares", "Kidney outcomes", "Steroid exposure", "Events per patient"]
)
with flares:
    st.caption(
        "Flares after a response (CR or PR after month 0): AURORA 2 (UPCR > 1 g/g after a "
        "nadir < 0.2, > 2 g/g after 0.2–1.0) and the custom definition of the settings."
    )
    v.table("flares")
    for key in v.figure_keys("flare_curve"):
        v.figure(key)
    v.table("flare_tests")
    with st.expander("Numbers at risk, curve values, flares and follow-up per patient"):
        v.table("flare_risk")
        v.table("flare_curve")
        v.table("flare_events")
        v.table("flare_patients")
with kidney:
    v.table("kidney_outcomes")
    for key in v.figure_keys("kidney_outcome"):
        v.figure(key)
    v.table("kidney_tests")
    with st.expander("Numbers at risk, curve values and per-patient times"):
        v.table("kidney_risk")
        v.table("kidney_curve")
        v.table("kidney_patients")
with steroid:
    v.figure("steroid_cumulative")
    v.table("steroid_cumulative")
    v.table("steroid_thresholds")
    v.table("steroid_target_time")
    v.table("steroid_target_tests")
    with st.expander("Dose per visit and time to 7.5 mg/day or less"):
        v.table("steroid_exposure")
        v.table("steroid_target_risk")
        v.table("steroid_target_curve")
with events:
    v.figure("swimmer_events")
    with st.expander("Events per patient"):
        v.table("patient_events")
