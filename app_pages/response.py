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
sankeys = v.figure_names("response_sankey")
if sankeys:
    tabs = st.tabs(
        [
            "All patients" if n == "response_sankey" else n.removeprefix("response_sankey_")
            for n in sankeys
        ]
    )
    for tab, name in zip(tabs, sankeys, strict=True):
        with tab:
            label = "Transitions, " + (
                "all patients"
                if name == "response_sankey"
                else name.removeprefix("response_sankey_")
            )
            v.figure(name, label)
v.table("response_transitions", height=300)

forests = v.figure_names("response_forest_m")
if forests:
    st.header("Subgroups", divider="gray")
    st.caption(
        "Overall response within each subgroup; exploratory, no adjustment for multiplicity."
    )
    for name in forests:
        v.figure(name, f"Response by subgroup, month {name.removeprefix('response_forest_m')}")
    v.table("response_subgroups")
