"""Cohort: baseline characteristics by group, patient flow, completeness, follow-up."""

import streamlit as st

from core.model.i18n import gettext as _
from ui import baseline, view
from ui.widgets import guarded

v = view.current("cohort")
st.title(_("Cohort"))
st.caption(v.summary)

st.header(_("Baseline characteristics"), divider="gray")
v.table("table1")
with guarded(_("choose the variables of the baseline table")):
    baseline.choose_variables(v.cohort)

st.header(_("Patient flow"), divider="gray")
v.figure("flow")
v.table("flow")

st.header(_("Data completeness"), divider="gray")
v.figure("completeness")

st.header(_("Follow-up per patient"), divider="gray")
v.figure("swimmer")
