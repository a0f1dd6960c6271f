"""Report: the whole analysis as one ZIP, the methods text, and the code behind each table."""

import streamlit as st

from core.model.i18n import gettext as _
from ui import report, view

v = view.current()
st.title(_("Report"))
st.caption(v.summary)

report.font_warning(v)
report.bundle(v)
report.methods(v)
report.code(v)
