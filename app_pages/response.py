"""Response: rates with intervals, tests and differences, criteria sensitivity, transitions."""

import streamlit as st

from ui import view

v = view.current()
st.title("Renal response")
st.caption(v.summary)

st.header("Response rates", divider="gray")
v.figure("response_rates")
v.table("response_rates")

st.header("Between groups", divider="gray")
v.table("response_tests")
v.table("response_difference")

st.header("Response criteria compared", divider="gray")
st.caption(
    "The same patients under each rule set: how much the headline depends on the definition."
)
v.figure("criteria_sensitivity")
v.table("criteria_sensitivity")

st.header("Transitions between landmarks", divider="gray")
sankeys = v.figure_keys("response_sankey")
if sankeys:
    names = ["All patients" if k.group is None else k.group for k in sankeys]
    for tab, key, name in zip(st.tabs(names), sankeys, names, strict=True):
        with tab:
            v.figure(key, "Transitions, " + (name.lower() if key.group is None else name))
v.table("response_transitions", height=300)

forests = v.figure_keys("response_forest")
if forests:
    st.header("Subgroups", divider="gray")
    st.caption(
        "Overall response within each subgroup; exploratory, no adjustment for multiplicity."
    )
    for key in forests:
        v.figure(key, f"Response by subgroup, month {key.month:g}")
    v.table("response_subgroups")
