"""Data: load a cohort file (or the demo), map its columns, check what was found."""

import streamlit as st

from core.model.i18n import N_
from core.model.i18n import gettext as _
from ui import group_order, loader
from ui.state import get_cohort
from ui.widgets import guarded

st.title(_("Data"))
st.caption(
    _(
        "Bring a cohort export as it is: long or wide, CSV or Excel, English or Korean "
        "headers. Nothing leaves this computer."
    )
)

waiting = False
with guarded(N_("read this file"), stop=True):
    loader.choose_file()
    waiting = loader.mapping_step()

cohort = get_cohort()
if cohort is None:
    st.info(_("No cohort loaded yet: upload a file above or use the demo cohort."))
else:
    with guarded(N_("show the loaded cohort")):
        loader.loaded(cohort, waiting)
    with guarded(N_("set the group order")):
        group_order.editor(cohort)
