"""The dashboard frame: page config, language, navigation, the global sidebar; the pages do
the rest.

Run with ``streamlit run app.py`` (``make run``). A new session starts with the bundled demo
cohort loaded, so the app shows something at once; the Data page replaces it. The language
(한국어 / English) is settled first (``ui.language``): the page titles are in it.
"""

import streamlit as st

from core.model.i18n import gettext as _
from ui import language, session, shared_link, sidebar

language.select()
st.set_page_config(
    page_title=_("Lupus nephritis cohort"),
    page_icon=":material/nephrology:",
    layout="wide",
    initial_sidebar_state="expanded",
)

pages = [
    st.Page("app_pages/data.py", title=_("Data"), icon=":material/upload_file:", default=True),
    st.Page("app_pages/cohort.py", title=_("Cohort"), icon=":material/groups:", url_path="cohort"),
    st.Page(
        "app_pages/response.py",
        title=_("Response"),
        icon=":material/bar_chart:",
        url_path="response",
    ),  # fmt: skip
    st.Page("app_pages/labs.py", title=_("Labs"), icon=":material/science:", url_path="labs"),
    st.Page(
        "app_pages/ttr.py",
        title=_("Time to response"),
        icon=":material/timeline:",
        url_path="ttr",
    ),  # fmt: skip
    st.Page(
        "app_pages/long_term.py",
        title=_("Long-term outcomes"),
        icon=":material/monitor_heart:",
        url_path="long_term",
    ),
    st.Page(
        "app_pages/report.py", title=_("Report"), icon=":material/description:", url_path="report"
    ),
]
pg = st.navigation(pages)
session.start()
sidebar.render()
shared_link.notice()  # a link opened without its file: which filters it carries; the file
pg.run()
