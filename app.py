"""The dashboard frame: page config, navigation, the global sidebar; the pages do the rest.

Run with ``streamlit run app.py`` (``make run``). A new session starts with the bundled demo
cohort loaded, so the app shows something at once; the Data page replaces it.
"""

import streamlit as st

from ui import session, sidebar

st.set_page_config(
    page_title="Lupus nephritis cohort",
    page_icon=":material/nephrology:",
    layout="wide",
    initial_sidebar_state="expanded",
)

pages = [
    st.Page("app_pages/data.py", title="Data", icon=":material/upload_file:", default=True),
    st.Page("app_pages/cohort.py", title="Cohort", icon=":material/groups:", url_path="cohort"),
    st.Page(
        "app_pages/response.py", title="Response", icon=":material/bar_chart:", url_path="response"
    ),
    st.Page("app_pages/labs.py", title="Labs", icon=":material/science:", url_path="labs"),
    st.Page(
        "app_pages/ttr.py", title="Time to response", icon=":material/timeline:", url_path="ttr"
    ),
    st.Page(
        "app_pages/long_term.py",
        title="Long-term outcomes",
        icon=":material/monitor_heart:",
        url_path="long_term",
    ),
    st.Page(
        "app_pages/report.py", title="Report", icon=":material/description:", url_path="report"
    ),
]
pg = st.navigation(pages)
session.start()
sidebar.render()
pg.run()
