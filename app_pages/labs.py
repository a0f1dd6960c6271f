"""Labs: paired values before and after, trajectories, steroid taper, anti-dsDNA shift."""

import streamlit as st

from core.model.i18n import gettext as _
from core.model.results import FigureKey
from ui import view
from ui.sidebar import MORE_SETTINGS

v = view.current("labs")
st.title(_("Laboratory values"))
st.caption(v.summary)

measures = v.measures()
if measures:
    measure = st.selectbox(
        _("Measure"), measures, format_func=v.label, key="lab_measure"
    )
    what = v.label(measure)
    st.header(what, divider="gray")
    before_after = _("{measure} before and after").format(measure=what)
    v.figure(FigureKey("paired", measure=measure), before_after)
    v.figure(FigureKey("trajectory", measure=measure),
             _("{measure} over follow-up").format(measure=what))  # fmt: skip
    v.table("paired_changes", measure=measure)
    v.table("repeated_measures", measure=measure)
    v.table("repeated_pairwise", measure=measure)
    v.table("change_between_groups", measure=measure)
else:
    st.info(_("No laboratory value is paired between baseline and a landmark in these patients."))

with st.expander(_("All measures")):
    v.figure("paired_changes", _("Change from baseline, all measures"))

with st.expander(_("Trajectories over all visits (mixed model)")):
    st.caption(
        _(
            "Every visit counts: value ~ time × group with a random intercept and slope per patient "
            "(REML). Choose the labs in the sidebar under *{section}*."
        ).format(section=_(MORE_SETTINGS))
    )
    v.figure("lab_slopes")
    v.table("lab_slopes")
    with st.expander(_("Model terms (fixed and random effects)")):
        v.table("lab_mixed")

with st.expander(_("Steroid taper")):
    v.figure("steroid_taper")
    v.table("steroid_trajectory", height=250)

with st.expander(_("Anti-dsDNA positivity")):
    v.figure("dsdna_shift")
    v.table("dsdna_shift")
