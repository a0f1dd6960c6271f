"""Follow-up journal tables: laboratory changes (Table 3) and time to response (Table 4).

Same conventions as :mod:`core.report.export.docx_content` (display rounding, typographic minus).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from core.analyses.time_to_response import times_from_file
from core.model.i18n import gettext as _
from core.model.results import Result
from core.model.schema import label_with_unit
from core.model.settings import Filters, Settings
from core.model.vocabulary import EVENT_SHORT, test_text
from core.report.export.common import ALL, TableContent, group_label, group_order, table
from core.report.export.display import (
    MINUS,
    NOT_REACHED,
    SUPPRESSED,
    count_text,
    estimate_ci,
    format_ci,
    format_num,
    format_p,
    format_ratio,
    measure_formatter,
    median_iqr,
    n_pct,
    not_reached_note,
)
from core.report.export.wording import landmarks_text, months, settings_footnote


def _num(x: object) -> str:
    return format_num(x, minus=MINUS)


def labs_content(
    results: Mapping[str, Result], settings: Settings, filters: Filters
) -> TableContent | None:
    """Table 3: paired change from baseline per measure, landmark and group."""
    df = table(results, "paired_changes")
    if df is None:
        return None
    units = results["paired_changes"].meta.get("units")
    header = [
        _("Measure"),
        _("Month"),
        _("Group"),
        "n",
        _("Baseline, median (IQR)"),
        _("Follow-up, median (IQR)"),
        _("Median change"),
        _("Mean change (95% CI)"),
        _("Wilcoxon p"),
        _("t-test p"),
    ]
    rows: list[list[str]] = []
    last_measure, last_month = None, None
    for r in df.to_dict("records"):
        measure, month = str(r["measure"]), float(r["month"])
        lab = measure_formatter(measure)  # the measure's decimals (eGFR 0, UPCR 2 …)
        rows.append(
            [
                label_with_unit(measure, units) if measure != last_measure else "",
                months(month) if (measure, month) != (last_measure, last_month) else "",
                group_label(r["group"]),
                count_text(r["n_pairs"]),
                median_iqr(r["baseline_median"], r["baseline_q1"], r["baseline_q3"], lab, MINUS),
                median_iqr(r["followup_median"], r["followup_q1"], r["followup_q3"], lab, MINUS),
                lab(r["median_change"], minus=MINUS),
                estimate_ci(r["mean_change"], r["mean_change_ci_low"], r["mean_change_ci_high"], lab, MINUS),
                format_p(r["wilcoxon_p"]),
                format_p(r["ttest_p"]),
            ]
        )
        last_measure, last_month = measure, month
    notes = [
        _(
            "Change = follow-up − baseline in patients with a value at both the baseline visit "
            "and the landmark visit ({landmarks}); quartiles R type 7. Wilcoxon p: {wilcoxon}. "
            "t-test p: {ttest}. p-values unadjusted."
        ).format(
            landmarks=landmarks_text(settings), wilcoxon=test_text("wilcoxon_signed_rank"),
            ttest=test_text("paired_t"),
        ),  # fmt: skip
        settings_footnote(settings, filters),
    ]
    return TableContent(header, rows, [False] * len(rows), notes)


def _median_text(r: Mapping) -> str:
    if pd.isna(r.get("median_time")):
        med = NOT_REACHED
    else:
        med = _num(r["median_time"])
    ci = format_ci(r.get("median_ci_low"), r.get("median_ci_high"), minus=MINUS)
    return f"{med} {ci}".strip()


def ttr_content(
    results: Mapping[str, Result], settings: Settings, filters: Filters
) -> TableContent | None:
    """Table 4: responders, median time to response, Cox HR per group; log-rank below."""
    summary = table(results, "ttr_summary")
    if summary is None:
        return None
    cox, logrank = table(results, "cox"), table(results, "ttr_tests")
    groups = group_order(summary["group"], settings.reference, order=settings.group_order)
    by_group = {str(r["group"]): r for r in summary.to_dict("records")}
    hr: dict[str, tuple[str, str]] = {}
    if cox is not None:
        for r in cox.to_dict("records"):
            term = str(r["term"])
            group = term.split(" vs ")[0] if " vs " in term else term
            hr[group] = (
                f"{format_ratio(r['hr'])} {format_ci(r['ci_low'], r['ci_high'], fmt=format_ratio)}",
                format_p(r["p_value"]),
            )
    event = settings.event_name or (
        _(EVENT_SHORT[settings.event]) if settings.event in EVENT_SHORT else settings.event
    )
    res = results.get("ttr_patients") or results.get("ttr_summary")
    source = str(res.meta.get("time_source", "")) if res is not None else ""
    from_file = res is not None and times_from_file(res.meta)
    header = [
        _("Group"),
        "n",
        (_("Events ({event}), n (%)") if settings.event_name
         else _("Responded ({event}), n (%)")).format(event=_(event)),
        _("Median months (95% CI)"),
        _("HR (95% CI)"),
        "p",
    ]  # fmt: skip
    rows: list[list[str]] = []
    spans: list[bool] = []
    for g in groups:
        r = by_group[g]
        n, ev = r["n"], r["n_events"]
        if g == ALL:
            hr_text, p = "", ""
        elif g == settings.reference and cox is not None:
            hr_text, p = _("1 (reference)"), ""
        else:
            hr_text, p = hr.get(g, ("", ""))
        rows.append(
            [
                group_label(g),
                count_text(n),
                n_pct(ev, 100.0 * ev / n if n else float("nan")) or SUPPRESSED,
                _median_text(r),
                hr_text,
                p,
            ]
        )
        spans.append(False)
    if logrank is not None:
        lr = logrank.iloc[0]
        rows.append(
            [
                _("Log-rank test: χ² = {chi2}, df = {df}, p = {p}").format(
                    chi2=f"{float(lr['statistic']):.2f}", df=int(lr["df"]),
                    p=format_p(lr["p_value"]),
                )  # fmt: skip
            ]
            + [""] * 5
        )
        spans.append(True)
    how = (
        _("Time from the start of therapy to {event} or censoring, {source}. ").format(
            event=_(event), source=source)
        if from_file
        else _("Time from the start of therapy to the first visit after month 0 with {event}; "
               "patients without a response are censored at their last visit after month 0. "
               "Responses are seen only at visits, so times are interval-censored and tied; the "
               "visit month is used (an analysis choice). ").format(event=_(event))
    )
    logrank_text = test_text("log-rank")
    notes = [
        how
        + _("{km}. {logrank}. HR: {cox}; reference group {reference}.").format(
            km=test_text("kaplan_meier"), logrank=logrank_text[:1].upper() + logrank_text[1:],
            cox=test_text("cox"), reference=settings.reference,

        ),  # fmt: skip
        not_reached_note(),
        settings_footnote(settings, filters),
    ]
    return TableContent(header, rows, spans, notes)
