"""Labs: paired values before and after, trajectories, steroid taper, anti-dsDNA shift."""

import streamlit as st

from core.model.results import FigureKey
from ui import view

v = view.current("labs")
st.title("Laboratory values")
st.caption(v.summary)

measures = v.measures()
if measures:
    measure = st.selectbox("Measure", measures, format_func=v.label, key="lab_measure")
    st.header(v.label(measure), divider="gray")
    v.figure(FigureKey("paired", measure=measure), f"{v.label(measure)} before and after")
    v.figure(FigureKey("trajectory", measure=measure), f"{v.label(measure)} over follow-up")
    v.table("paired_changes", measure=measure)
    v.table("repeated_measures", measure=measure)
    v.table("repeated_pairwise", measure=measure)
    v.table("change_between_groups", measure=measure)
else:
    st.info("No laboratory value is paired between baseline and a landmark in these patients.")

st.header("All measures", divider="gray")
v.figure("paired_changes", "Change from baseline, all measures")

st.header("Trajectories over all visits (mixed model)", divider="gray")
st.caption(
    "Every visit counts: value ~ time × group with a random intercept and slope per patient "
    "(REML). Choose the labs in the sidebar under *Time to response and lab trajectories*."
)
v.figure("lab_slopes")
v.table("lab_slopes")
with st.expander("Model terms (fixed and random effects)"):
    v.table("lab_mixed")

st.header("Steroid taper", divider="gray")
v.figure("steroid_taper")
v.table("steroid_trajectory", height=250)

st.header("Anti-dsDNA positivity", divider="gray")
v.figure("dsdna_shift")
v.table("dsdna_shift")
