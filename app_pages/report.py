"""Report: the whole analysis as one ZIP, the methods text, and the code behind each table."""

import streamlit as st

from ui import report, view

v = view.current()
st.title("Report")
st.caption(v.summary)

report.bundle(v)
report.methods(v)
report.code(v)
