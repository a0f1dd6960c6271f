"""Table 5 of the Word document: what happened after response — renal flares, kidney
outcomes and steroid exposure — per group, from the long-term result tables."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from core.model.i18n import N_
from core.model.i18n import gettext as _
from core.model.results import Result
from core.model.settings import Filters, Settings
from core.model.vocabulary import ALL, group_order, test_text
from core.report.export.common import TableContent, group_label, table
from core.report.export.display import MINUS, format_ci, format_num, format_p, format_pct, n_pct
from core.report.export.wording import settings_footnote

FLARE_NAMES = {  # English msgids: _() where written
    "aurora2": N_("AURORA 2 proteinuric flare"),
    "custom": N_("Renal flare (custom definition)"),
}


def _log_rank_p(tests: pd.DataFrame | None, key: str, value: str) -> str:
    if tests is None or key not in tests:
        return ""
    hit = tests[(tests[key] == value) & (tests["test"] == "log-rank")]
    return format_p(hit["p_value"].iloc[0]) if len(hit) else ""


def _cells(block: pd.DataFrame, groups: list[str], text) -> list[str]:
    by = {str(r["group"]): r for r in block.to_dict("records")}
    return [text(by[g]) if g in by else "" for g in groups]


def long_term_content(
    results: Mapping[str, Result], settings: Settings, filters: Filters
) -> TableContent | None:
    """Table 5: patients with a renal flare (n/responders, %) and flares per 100 patient-years
    [95% CI] per definition; patients with each kidney outcome (n/N, %); patients at or below
    7.5 mg/day of prednisolone at each landmark (n/N, % [95% CI]); log-rank p between groups.
    None when no long-term table has rows."""
    flares, kidney = table(results, "flares"), table(results, "kidney_outcomes")
    steroid = table(results, "steroid_thresholds")
    present = [t for t in (flares, kidney, steroid) if t is not None]
    if not present:
        return None
    groups = group_order(
        pd.concat([t["group"] for t in present]), settings.reference, order=settings.group_order
    )
    header = [_("Outcome"), *map(group_label, groups), "p"]
    rows: list[list[str]] = []
    spans: list[bool] = []

    def section(label: str) -> None:
        rows.append([label] + [""] * (len(header) - 1))
        spans.append(True)

    if flares is not None:
        section(_("Renal flare after response"))
        tests = table(results, "flare_tests")
        for definition, block in flares.groupby("definition", sort=False):
            name = _(FLARE_NAMES.get(str(definition), str(definition)))
            rows.append([_("{name}, patients n/responders (%)").format(name=name), *_cells(block, groups, lambda r: n_pct(
                r["n_patients_flare"], 100 * r["n_patients_flare"] / r["n_responders"]
                if r["n_responders"] else float("nan"), r["n_responders"])),
                _log_rank_p(tests, "definition", definition)])  # fmt: skip
            rows.append([_("{name}, per 100 patient-years (95% CI)").format(name=name), *_cells(block, groups, lambda r: (
                f"{format_num(r['rate_per_100py'], minus=MINUS)} "
                f"{format_ci(r['rate_ci_low'], r['rate_ci_high'], minus=MINUS)}").strip()), ""])  # fmt: skip
            spans += [False, False]
    if kidney is not None:
        section(_("Kidney outcomes, patients n/N (%)"))
        tests = table(results, "kidney_tests")
        for outcome, block in kidney.groupby("outcome", sort=False):
            named = str(block["label"].iloc[0]) if "label" in block else str(outcome)
            label = _(named)
            rows.append([label, *_cells(block, groups, lambda r: n_pct(
                r["n_events"], r["events_pct"], r["n"])),
                _log_rank_p(tests, "outcome", outcome)])  # fmt: skip
            spans.append(False)
    if steroid is not None:
        section(_("Prednisolone ≤ 7.5 mg/day, n/N (%) (95% CI)"))
        at = steroid[steroid["threshold_mg"] == 7.5]
        for month, block in at.groupby("landmark", sort=True):
            label = (
                _("Baseline") if float(month) == 0
                else _("Month {m}").format(m=f"{float(month):g}")
            )  # fmt: skip
            rows.append([label, *_cells(block, groups, lambda r: (
                f"{n_pct(r['n_at_or_below'], r['pct'], r['n'])} "
                f"{format_ci(r['ci_low'], r['ci_high'], fmt=format_pct, minus=MINUS)}").strip()),
                ""])  # fmt: skip
            spans.append(False)
    notes = [
        _(
            "Renal flares from the first response (CR or PR after month 0) to the last visit; "
            "rates with exact Poisson intervals (R poisson.test). Kidney outcomes as defined in "
            "clinical-rules §6 (sustained eGFR decline confirmed at the next visit, doubling of "
            "creatinine, ESKD, death). p: {logrank} between groups ({all}: every group "
            "together)."
        ).format(logrank=test_text("log-rank"), all=group_label(ALL)),
        settings_footnote(settings, filters),
    ]
    return TableContent(header, rows, spans, notes)
