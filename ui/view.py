"""One view of the data for the analysis pages: the run for the sidebar's choices, and its
figures page by page.

A page does ``v = view.current()`` and then asks for blocks by table name or figure; the run
is cached per session on (file, load options, filters, settings), figures per page. The
bundled demo's run and figures are shared by all sessions. Titles come from the registry.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import streamlit as st

from core.analyses.registry import FIGURES, figure_page, figure_title, table_title
from core.model.i18n import gettext as _
from core.model.results import AnalysisRun, FigureKey, Result
from core.model.schema import LABELS, UNITS, Cohort, label_with_unit, measure_units
from core.model.settings import Filters, Settings
from ui import cache, state
from ui.widgets import guarded, show_figure, show_table


def title(name: str, event_name: str | None = None) -> str:
    """Title of a table or a figure (registry; its English is the msgid), in the session's
    language; with the user's name of a time-to-event event, the title naming it (English
    titles then carry the user's own words)."""
    if event_name:
        return figure_title(name, event_name) if name in FIGURES else table_title(name, event_name)
    return _(figure_title(name) if name in FIGURES else table_title(name))


def measure_label(name: str, units: dict[str, str] | None = None) -> str:
    """'UPCR (g/g)', '혈청 알부민 (g/dL)': a canonical field's label, translated, with its unit;
    'CD4 (cells/µL)' for a measure the user named with its unit text (``units``)."""
    if name not in LABELS:
        return label_with_unit(name, units)
    label = _(LABELS[name])
    unit = UNITS.get(name)
    return f"{label} ({unit})" if unit and unit != LABELS.get(name) else label


@dataclass
class View:
    """What the analysis pages show, for the current sidebar choices."""

    run: AnalysisRun
    key: str
    shared: bool = False  # the bundled demo: results and figures shared across sessions
    _figures: dict[tuple[str, bool], dict] = field(default_factory=dict)

    cohort = property(lambda self: self.run.cohort)  # as loaded
    filtered = property(lambda self: self.run.filtered)  # after the sidebar filters
    filters = property(lambda self: self.run.filters)
    settings = property(lambda self: self.run.settings)  # resolved once, by the run
    summary = property(lambda self: self.run.summary)
    results = property(lambda self: self.run.results)

    def result(self, name: str) -> Result | None:
        return self.results.get(name)

    def page_figures(self, page: str, show_ids: bool | None = None) -> dict:
        """The figures of one page (cohort, response, labs, ttr), built once per (view, page,
        show_ids) and cached: a page pays only for its own charts. Patient IDs appear in hover
        texts only when ``show_ids`` (default: the sidebar's "Show patient IDs in charts")."""
        ids = state.show_ids() if show_ids is None else bool(show_ids)
        if (page, ids) not in self._figures:
            self._figures[(page, ids)] = {}
            build = cache.demo_figures if self.shared else cache.figures
            with guarded(_("draw the figures")):
                self._figures[(page, ids)] = build(self.key, page, ids, self.run)
        return self._figures[(page, ids)]

    def figures(self, show_ids: bool | None = None) -> dict:
        """Every figure of this view (the report bundles them all), page by page."""
        from core.analyses.spec import PAGES

        out: dict = {}
        for page in PAGES:
            out |= self.page_figures(page, show_ids)
        return out

    def figure_keys(self, figure: str) -> list[FigureKey]:
        """The keys of the built figures of one chart (``response_forest``: one per month)."""
        return [k for k in self.page_figures(figure_page(figure)) if k.figure == figure]

    def figure(self, key: FigureKey | str, label: str | None = None) -> None:
        """Show a figure with caption and downloads; nothing when it was not built."""
        key = FigureKey(key) if isinstance(key, str) else key
        page = figure_page(key.figure)
        fig = self.page_figures(page).get(key)
        if fig is not None:
            # Downloads are made without patient IDs even when the screen shows them.
            exported = self.page_figures(page, show_ids=False).get(key) if state.show_ids() else fig
            label = label or title(key.figure, self.settings.event_name)
            with guarded(_("show the figure '{name}'").format(name=label)):
                show_figure(key.stem, label, fig, self.summary, exported)

    def table(
        self, name: str, label: str | None = None, *, measure: str | None = None, **kw
    ) -> None:
        """Show result table ``name``; with ``measure`` only that measure's rows."""
        res = self.result(name)
        if res is None:
            return
        label = label or title(name, self.settings.event_name)
        with guarded(_("show the table '{name}'").format(name=label)):
            table, item = res.table, None
            if measure is not None and "measure" in table:
                table, item = table[table["measure"] == measure], f"{name}_{measure}"
                label = f"{label}, {self.label(measure)}"
            show_table(name, label, table, self.summary, result=res, item=item, **kw)

    def label(self, measure: str) -> str:
        """'UPCR (g/g)', or 'CD4 (cells/µL)' for a measure named in the mapping."""
        return measure_label(measure, measure_units(self.cohort))

    def measures(self) -> list[str]:
        """Measures with paired values, in the order of the paired-change table."""
        res = self.result("paired_changes")
        if res is None or res.table.empty or "measure" not in res.table:
            return []
        return list(dict.fromkeys(res.table["measure"].astype(str)))


def current(page: str | None = None) -> View:
    """The view for this page (``cohort``, ``response``… : only the registry's analyses of that
    page are computed; None: all, as the report needs); stops the page (with a prompt) when no
    usable cohort is loaded."""
    cohort: Cohort = state.require_cohort()
    source = state.get_source()
    filters: Filters = state.get_filters()
    settings: Settings = state.get_settings()
    key = cache.view_key(source, filters, settings)
    shared = cache.shared_demo(source)
    analyses = cache.demo_analyses if shared else cache.analyses
    with guarded(_("run the analyses"), stop=True), st.spinner(_("Analysing…")):
        run = analyses(key, cohort, settings, filters, page)
    if run.filtered.patients.empty:
        st.warning(_("No patient matches the filters in the sidebar. Widen them to see results."))
        st.stop()
    return View(run, key, shared=shared)


__all__ = ["View", "current", "measure_label", "title"]
