"""Cohort: baseline characteristics by group, patient flow, completeness, follow-up."""

import streamlit as st

from ui import view

v = view.current("cohort")
st.title("Cohort")
st.caption(v.summary)

st.header("Baseline characteristics", divider="gray")
v.table("table1")

st.header("Patient flow", divider="gray")
v.figure("flow")
v.table("flow")

st.header("Data completeness", divider="gray")
v.figure("completeness")

st.header("Follow-up per patient", divider="gray")
v.figure("swimmer")
