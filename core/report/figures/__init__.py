"""Every chart of the dashboard as a plotly figure, drawn from the run's result tables.

Each analysis of the registry names its figure builders (``plot_*(run) -> {FigureKey:
Figure}``); :func:`build_figures` calls those of the pages asked for. Builders read result
tables only, never the raw cohort. Pure Python (no Streamlit); the on-screen copy can be
adapted with ``theme.for_app``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

import numpy as np
import plotly.graph_objects as go

from core.analyses.registry import ANALYSES, is_patient_level_table
from core.analyses.spec import PAGES
from core.model.results import AnalysisRun, FigureKey
from core.model.vocabulary import ALL, groups_with_reference
from core.report.figures.theme import group_colors

__all__ = ["PAGES", "build_figures", "group_colors"]


def build_figures(
    run: AnalysisRun,
    *,
    pages: Iterable[str] | None = None,
    show_ids: bool = False,
) -> dict[FigureKey, go.Figure]:
    """Every chart the run's results support, keyed by :class:`FigureKey`, in registry order.

    Parameters
    ----------
    run
        The analysis run (``core.analyses.run.run_analyses``); empty tables draw nothing.
    pages
        Only the figures of these pages (``PAGES``: cohort, response, labs, ttr); None: all.
        A page that shows one chart need not pay for thirty.
    show_ids
        Put patient IDs into the hover text of the per-patient charts (paired before/after
        lines, swimmer plot). Off by default: no figure then carries a patient ID anywhere
        (hover text, text, custom data), so an exported chart identifies nobody.
    """
    want = set(PAGES if pages is None else pages)
    unknown = want - set(PAGES)
    if unknown:
        raise ValueError(f"unknown pages {sorted(unknown)}; use {PAGES}")
    figs: dict[FigureKey, go.Figure] = {}
    run = in_group_order(run)
    for spec in ANALYSES:
        if spec.page not in want:
            continue
        for ref in spec.figures:
            figs |= ref.load()(run, show_ids=show_ids)
    return figs


def in_group_order(run: AnalysisRun) -> AnalysisRun:
    """The run with every aggregate table's rows in one group order, so that every chart
    (drawing groups in order of appearance) shows them alike: the run's groups sorted with
    the resolved reference first (``vocabulary.groups_with_reference``), ``All`` last; rows
    of one group keep their order. Patient-level tables are left as they are (their
    builders order them: the Labs paired plot ranks its panels the same way)."""
    groups, _ref = groups_with_reference(run.filtered.patients.get("group", []), run.settings.reference,
                                  run.settings.group_order)
    rank = {g: i for i, g in enumerate([*groups, ALL])}
    results = dict(run.results)
    for name, res in run.results.items():
        t = res.table
        if t is None or t.empty or "group" not in t or is_patient_level_table(name):
            continue
        keys = t["group"].astype(str).map(rank).fillna(len(rank)).to_numpy()
        order = np.argsort(keys, kind="stable")
        if (order != np.arange(len(order))).any():
            results[name] = dataclasses.replace(res, table=t.iloc[order].reset_index(drop=True))
    return dataclasses.replace(run, results=results)
