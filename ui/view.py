"""One view of the data for the analysis pages: cohort, filters, settings, results, figures.

A page does ``v = view.current()`` and then asks for blocks by contract name; everything
behind it is cached per session on (file, load options, filters, settings); figures per
page (section). The bundled demo's results and figures are shared by all sessions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import streamlit as st

from core.model.results import Result
from core.model.schema import LABELS, Cohort
from core.model.settings import Filters, Settings
from ui import cache, state
from ui.widgets import guarded, show_figure, show_table, summary_line

# Titles of tables and figures: on screen, in download labels ("Response rates (CSV)").
TITLES: dict[str, str] = {
    "table1": "Baseline characteristics",
    "flow": "Patient flow",
    "completeness": "Data completeness",
    "swimmer": "Follow-up per patient",
    "landmark_visits": "Landmark visits",
    "response_rates": "Response rates",
    "response_tests": "Tests between groups",
    "response_difference": "Differences in response",
    "response_transitions": "Response transitions",
    "response_subgroups": "Response by subgroup",
    "criteria_sensitivity": "Criteria sensitivity",
    "response_sankey": "Response transitions (all patients)",
    "paired_changes": "Paired changes",
    "paired": "Before and after",
    "trajectory": "Trajectory",
    "repeated_measures": "Friedman test",
    "repeated_pairwise": "Pairwise comparisons",
    "change_between_groups": "Change between groups",
    "steroid_trajectory": "Steroid taper",
    "dsdna_shift": "Anti-dsDNA shift",
    "ttr_patients": "Time to response per patient",
    "ttr_curve": "Time to response",
    "ttr_risk": "Number at risk",
    "ttr_summary": "Median time to response",
    "ttr_tests": "Log-rank test",
    "cox": "Hazard ratio (Cox)",
}


def title(name: str) -> str:
    return TITLES.get(name, name.replace("_", " ").capitalize())


@dataclass
class View:
    """What the analysis pages show, for the current sidebar choices."""

    cohort: Cohort  # as loaded
    filtered: Cohort  # after the sidebar filters
    filters: Filters
    settings: Settings  # resolved: criteria and reference group filled in
    summary: str  # "Class IV, IV+V · kdigo2024 · complete-case · n = 56"
    key: str
    results: dict[str, Result] = field(default_factory=dict)
    shared: bool = False  # the bundled demo: results and figures shared across sessions
    _figures: dict[tuple[str, bool], dict] = field(default_factory=dict)

    def result(self, name: str) -> Result | None:
        return self.results.get(name)

    def section(self, section: str, show_ids: bool | None = None) -> dict:
        """The figures of one page (``core.report.figures.SECTIONS``: cohort, response, ttr, labs),
        built once per (view, section, show_ids) and cached: a page pays only for its own
        charts. Patient IDs appear in hover texts only when ``show_ids`` (default: the
        sidebar's "Show patient IDs in charts")."""
        ids = state.show_ids() if show_ids is None else bool(show_ids)
        if (section, ids) not in self._figures:
            self._figures[(section, ids)] = {}
            build = cache.demo_figures if self.shared else cache.figures
            with guarded("draw the figures"):
                self._figures[(section, ids)] = build(
                    self.key, section, ids, self.results, self.filtered, self.settings
                )
        return self._figures[(section, ids)]

    def figures(self, show_ids: bool | None = None) -> dict:
        """Every figure of this view (the report bundles them all), in ``build_figures``
        order: the union of the sections, each cached as the pages build it."""
        from core.report.figures import SECTIONS

        out: dict = {}
        for section in SECTIONS:
            out |= self.section(section, show_ids)
        return out

    def figure_names(self, prefix: str) -> list[str]:
        """Names of the built figures starting with ``prefix`` (``response_forest_m``)."""
        from core.report.figures import figure_section

        return [n for n in self.section(figure_section(prefix)) if n.startswith(prefix)]

    def figure(self, name: str, label: str | None = None) -> None:
        """Show figure ``name`` with caption and downloads; nothing when it was not built."""
        from core.report.figures import figure_section

        section = figure_section(name)
        fig = self.section(section).get(name)
        if fig is not None:
            # Downloads are made without patient IDs even when the screen shows them.
            exported = self.section(section, show_ids=False).get(name) if state.show_ids() else fig
            with guarded(f"show the figure '{label or title(name)}'"):
                show_figure(name, label or title(name), fig, self.summary, exported)

    def table(
        self, name: str, label: str | None = None, *, measure: str | None = None, **kw
    ) -> None:
        """Show result table ``name``; with ``measure`` only that measure's rows."""
        res = self.result(name)
        if res is None:
            return
        with guarded(f"show the table '{label or title(name)}'"):
            table, item, label = res.table, None, label or title(name)
            if measure is not None and "measure" in table:
                table, item = table[table["measure"] == measure], f"{name}_{measure}"
                label = f"{label}, {LABELS.get(measure, measure)}"
            show_table(name, label, table, self.summary, result=res, item=item, **kw)

    def measures(self) -> list[str]:
        """Measures with paired values, in the order of the paired-change table."""
        res = self.result("paired_changes")
        if res is None or res.table.empty or "measure" not in res.table:
            return []
        return list(dict.fromkeys(res.table["measure"].astype(str)))


def current() -> View:
    """The view for this run; stops the page (with a prompt) when no usable cohort is loaded."""
    cohort = state.require_cohort()
    source = state.get_source()
    filters = state.get_filters()
    settings = state.resolved_settings(cohort)
    key = cache.view_key(source, filters, settings)
    with guarded("apply the filters", stop=True):
        filtered = cache.filtered(cache.view_key(source, filters), cohort, filters)
    summary = summary_line(filters, settings, len(filtered.patients))
    if filtered.patients.empty:
        st.warning("No patient matches the filters in the sidebar. Widen them to see results.")
        st.stop()
    view = View(cohort, filtered, filters, settings, summary, key, shared=cache.shared_demo(source))
    analyses = cache.demo_analyses if view.shared else cache.analyses
    with guarded("run the analyses", stop=True), st.spinner("Analysing…"):
        view.results = analyses(key, cohort, settings, filters)
    return view
