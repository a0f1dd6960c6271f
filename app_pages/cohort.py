"""Cohort: baseline characteristics by group, patient flow, completeness, follow-up."""

import streamlit as st

from ui import baseline, view
from ui.widgets import guarded

v = view.current("cohort")
st.title("Cohort")
st.caption(v.summary)

st.header("Baseline characteristics", divider="gray")
v.table("table1")
with guarded("choose the variables of the baseline table"):
    baseline.choose_variables(v.cohort)

st.header("Patient flow", divider="gray")
v.figure("flow")
v.table("flow")

st.header("Data completeness", divider="gray")
v.figure("completeness")

st.header("Follow-up per patient", divider="gray")
v.figure("swimmer")
