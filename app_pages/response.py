"""Response: rates with intervals, tests and differences, criteria sensitivity, transitions.

The key result (response rates, figure and table) is open; every other section is a
collapsible expander, closed until asked for. The filter/settings caption is shown once,
under the title."""

import streamlit as st

from core.model.i18n import gettext as _
from ui import view
from ui.audit import show_response_audit

v = view.current("response")
st.title(_("Renal response"))
st.caption(v.summary)

st.header(_("Response rates"), divider="gray")
v.figure("response_rates")
v.table("response_rates")

with st.expander(_("Between groups"), icon=":material/compare_arrows:"):
    v.table("response_tests")
    v.table("response_difference")

with st.expander(_("Response criteria compared"), icon=":material/rule:"):
    st.caption(
        _("The same patients under each rule set: how much the headline depends on the definition.")
    )
    v.figure("criteria_sensitivity")
    v.table("criteria_sensitivity")

with st.expander(_("Transitions between landmarks"), icon=":material/swap_horiz:"):
    sankeys = v.figure_keys("response_sankey")
    if sankeys:
        names = [_("All patients") if k.group is None else k.group for k in sankeys]
        for tab, key, name in zip(st.tabs(names), sankeys, names, strict=True):
            with tab:
                v.figure(key, _("Transitions, {who}").format(who=name))
    v.table("response_transitions", height=300)

forests = v.figure_keys("response_forest")
if forests:
    with st.expander(_("Subgroups"), icon=":material/account_tree:"):
        st.caption(
            _("Overall response within each subgroup; exploratory, no adjustment for multiplicity.")
        )
        for key in forests:
            v.figure(key, _("Response by subgroup, month {month}").format(month=f"{key.month:g}"))
        v.table("response_subgroups")

with st.expander(_("Does the response last?"), icon=":material/event_repeat:"):
    st.caption(
        _(
            "Confirmed: met again at the next evaluable visit at least 4 weeks later. Sustained: "
            "met at every landmark up to that month. Duration: from the first response to its loss."
        )
    )
    v.figure("response_sustained")
    v.table("sustained_response")
    v.table("sustained_tests")
    for key in v.figure_keys("response_duration"):
        v.figure(key)
    v.table("response_duration_summary")
    st.markdown("**" + _("Curve values and per-patient statuses (patient-level)") + "**")
    v.table("response_duration")
    v.table("sustained_patients")
    v.table("response_duration_patients")

with st.expander(_("Why each patient was called CR, PR or NR"), icon=":material/fact_check:"):
    audit = v.result("response_audit")
    if audit is not None:
        show_response_audit(audit)
        st.markdown("**" + _("Every call of every patient (patient-level table)") + "**")
        v.table("response_audit", height=300)
