"""The methods text (``methods.md``): how the numbers were made, from the ACTUAL settings,
and a results paragraph with the headline numbers taken from the result tables.

Every *choice* of clinical-rules §1-§3 that applies to the run is stated; every test is named
with its variant and the R call it agrees with; p-values are said to be unadjusted except the
Holm-adjusted month comparisons.
"""

from __future__ import annotations

import platform
from collections.abc import Callable, Mapping
from importlib import metadata

import pandas as pd

import core
from core.analyses.registry import ANALYSES
from core.model.dsdna import censored_counts
from core.model.i18n import N_
from core.model.i18n import gettext as _
from core.model.results import AnalysisRun, Result
from core.model.schema import UNITS, SourceInfo, label_of
from core.model.settings import Settings
from core.model.vocabulary import CI_TEXT, TEST_SHORT
from core.report.export.common import ALL, group_order, group_sizes, table
from core.report.export.display import (
    MINUS,
    count_text,
    format_ci,
    format_num,
    format_p,
    format_pct,
    format_ratio,
)
from core.report.export.wording import (
    MISSING_TEXT,
    criteria_text,
    filters_text,
    landmarks_text,
    months,
    sensitivity_text,
    suppression_text,
)

# The packages that compute the reported numbers (figures and files are not numbers; lifelines
# only cross-checks core.stats.survival in the tests and is not installed at run time).
PACKAGES: tuple[str, ...] = ("pandas", "numpy", "scipy")
_UNIT_CHOICE = {
    "mg/mmol": N_("divided by 113.12"),
    "mg/g": N_("divided by 1000"),
}


def software_versions() -> dict[str, str]:
    """Versions of Python, the packages that computed the numbers (``PACKAGES``) and this app."""
    out = {"python": platform.python_version()}
    for pkg in PACKAGES:
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    out["app"] = getattr(core, "__version__", "unknown")
    return out


def _unit_sentence(mapping: Mapping | None) -> str:
    unit = ((mapping or {}).get("units") or {}).get("upcr")
    if unit in _UNIT_CHOICE:
        return " " + _(
            "UPCR supplied in {unit} was converted to g/g ({conversion}) and the g/g "
            "thresholds applied; guideline texts quote 0.5 g/g as 50 mg/mmol (factor 100), we used "
            "the exact factor (an analysis choice)."
        ).format(unit=unit, conversion=_(_UNIT_CHOICE[unit]))
    return ""


def _conversion_text(field: str, unit: str, factor: float) -> str:
    """'creatinine from µmol/L to mg/dL (÷ 88.42)': one conversion the loader applied."""
    how = f"× {factor:.6g}" if factor >= 1 else f"÷ {1 / factor:.6g}"
    return _("{field} from {unit} to {canonical} ({how})").format(
        field=label_of(field), unit=unit, canonical=UNITS.get(field, ""), how=how)


def _derivation_sentences(run: AnalysisRun) -> str:
    """What was computed rather than read: eGFR from creatinine, anti-dsDNA positivity from
    the titre, and how censored titres were treated (clinical-rules §4)."""
    text = ""
    derived = getattr(run.cohort, "derived", None)
    if derived is not None and derived.egfr_visits:
        text += " " + _(
            "eGFR was not recorded at {visits} visit(s) of {patients} "
            "patient(s) and was computed from serum creatinine, age and sex by the CKD-EPI 2021 "
            "creatinine equation without race (Inker, NEJM 2021), unrounded; not computed "
            "under 18 years."
        ).format(visits=derived.egfr_visits, patients=derived.egfr_patients)
    if derived is not None and getattr(derived, "conversions", ()):
        text += " " + _("Values converted to the units of the analysis: {list}.").format(
            list="; ".join(_conversion_text(*c) for c in derived.conversions))
    settings = run.settings
    if settings.dsdna_cutoff is not None and "anti_dsdna" in run.cohort.visits:
        text += " " + _(
            "Where the file gave no anti-dsDNA positivity it was derived from the titre: "
            "positive at or above {cutoff} {unit} (a "
            "titre censored below a limit at or under the cutoff counted as negative, above a "
            "limit at or over it as positive, any other censored titre as undetermined); a "
            "recorded positivity was never overridden."
        ).format(cutoff=f"{settings.dsdna_cutoff:g}", unit=settings.dsdna_cutoff_unit)
    below, above = censored_counts(run.filtered.visits)
    if below or above:
        text += " " + _(
            "{n} anti-dsDNA titre(s) of the analysed patients were censored "
            "({below} below a detection limit, {above} above an upper limit); they were "
            "analysed at the limit value (an analysis choice): medians, quartiles and rank "
            "tests are unaffected when no uncensored titre lies beyond the limit, and means "
            "use the limit as the value."
        ).format(n=below + above, below=below, above=above)
    return text


def _sensitivity_definitions(run: AnalysisRun) -> str:
    """The other rule sets of the criteria sensitivity table, each with its definition."""
    t = run.table("criteria_sensitivity")
    if t is None or "criteria" not in t:
        return ""
    text = sensitivity_text(list(dict.fromkeys(t["criteria"].astype(str))), run.settings)
    return f" {text}." if text else ""


def _response_paragraph(settings: Settings) -> str:
    text = _("Renal response was defined by {criteria}.").format(criteria=criteria_text(settings))
    if settings.criteria != "recorded":
        text += " " + _(
            "A response at a landmark was derived from the landmark visit and the baseline "
            "visit and needed every input of the rule at both visits (otherwise the patient was "
            "not evaluable, not a non-responder); CR was tested before PR; a ≤/≥ comparison with "
            "a threshold computed from baseline was made with a relative tolerance of 1e-9, so "
            "that values on the boundary on paper meet it. Missing eGFR was computed from "
            "creatinine, age and sex by CKD-EPI 2021 (race-free)."
        )
        text += " " + (
            _("Patients whose baseline proteinuria already met the CR threshold were excluded "
              "(an analysis choice).")
            if settings.exclude_baseline_cr
            else _("Patients whose baseline proteinuria already met the CR threshold were kept "
                   "in the denominators (an analysis choice).")
        )
    return text


def _statistics_paragraph(run: AnalysisRun) -> str:
    """The CI method, then each analysis's own sentences (registry order), then the note on
    multiplicity."""
    ci = run.settings.ci
    parts = [
        _("Confidence intervals (95%) of response rates: {method}.").format(
            method=_(CI_TEXT[ci]) if ci in CI_TEXT else ci
        )
    ]
    for spec in ANALYSES:
        parts += spec.methods(run)
    parts.append(_(
        "All p-values are two-sided, unadjusted for multiple comparisons and exploratory, "
        "except the Holm-adjusted pairwise comparisons between months (column p_holm)."
    ))
    if sentence := suppression_text(run.settings):
        parts.append(sentence)
    return " ".join(parts)


def _ci(low: object, high: object, fmt: Callable[..., str] = format_pct) -> str:
    """'95% CI 3 to 6'; a bound the curve never reaches reads 'not reached'."""
    if pd.isna(low) and pd.isna(high):
        return format_ci(low, high, fmt, MINUS, style="prose")  # "" (both ends missing)
    missing = _("not reached")
    return _("95% CI {low} to {high}").format(
        low=fmt(low, minus=MINUS, missing=missing), high=fmt(high, minus=MINUS, missing=missing)
    )



def _results_paragraph(results: Mapping[str, Result], settings: Settings) -> str:
    parts: list[str] = []
    sizes = group_sizes(results)
    if sizes:
        ordered = group_order(sizes, settings.reference, order=settings.group_order)
        groups = [g for g in ordered if g != ALL]
        split = ", ".join(f"{sizes[g]} {g}" for g in groups)
        parts.append(_("{n} patients were analysed ({groups}).").format(
            n=sizes.get(ALL, sum(sizes[g] for g in groups)), groups=split
        ))
    rates, tests, diffs = (
        table(results, "response_rates"),
        table(results, "response_tests"),
        table(results, "response_difference"),
    )
    if rates is not None:
        for month, block in rates.groupby("month", sort=True):
            allrow = block[block["group"].astype(str) == ALL]
            if allrow.empty:
                continue
            r = allrow.iloc[0]
            text = _(
                "At {month} months, {n} of {total} evaluable patients responded (ORR {pct}%, "
                "{ci}); CR {cr_n} ({cr_pct}%, {cr_ci})."
            ).format(
                month=months(float(month)), n=count_text(r["orr_n"]),
                total=count_text(r["n_evaluable"]), pct=format_pct(r["orr_pct"]),
                ci=_ci(r["orr_ci_low"], r["orr_ci_high"]), cr_n=count_text(r["cr_n"]),
                cr_pct=format_pct(r["cr_pct"]), cr_ci=_ci(r["cr_ci_low"], r["cr_ci_high"]),
            )  # fmt: skip
            others = block[block["group"].astype(str) != ALL]
            if len(others) > 1:
                text += " " + _("ORR by group:") + " " + ", ".join(
                    f"{g} {count_text(o['orr_n'])}/{count_text(o['n_evaluable'])} ({format_pct(o['orr_pct'])}%)"
                    for g, o in zip(
                        others["group"].astype(str), others.to_dict("records"), strict=True
                    )
                )
                if tests is not None:
                    hit = tests[(tests["month"] == month) & (tests["outcome"] == "ORR")]
                    if len(hit):
                        p = format_p(hit["p_value"].iloc[0])
                        test = str(hit["test"].iloc[0])
                        name = _(TEST_SHORT[test]) if test in TEST_SHORT else test
                        text += f" ({name}, p {p if p.startswith('<') else '= ' + p})"
                text += "."
            if diffs is not None:
                hit = diffs[(diffs["month"] == month) & (diffs["outcome"] == "ORR")]
                for d in hit.to_dict("records"):
                    text += " " + _(
                        "ORR difference {group} − {reference}: {diff} percentage points ({ci})."
                    ).format(
                        group=d["group"], reference=d["reference"],
                        diff=format_pct(d["diff_pct"], minus=MINUS), ci=_ci(d["ci_low"], d["ci_high"]),
                    )
            parts.append(text)
    summary = table(results, "ttr_summary")
    if summary is not None:
        meds = []
        for r in summary.to_dict("records"):
            med = (
                _("not reached")
                if pd.isna(r["median_time"])
                else _("{months} months").format(months=format_num(r["median_time"]))
            )
            ci = (
                ""
                if pd.isna(r.get("median_ci_low")) and pd.isna(r.get("median_ci_high"))
                else (f" ({_ci(r.get('median_ci_low'), r.get('median_ci_high'), format_num)})")
            )
            group = _(ALL) if str(r["group"]) == ALL else r["group"]
            meds.append(f"{group} {med}{ci}")

        parts.append(_("Median time to {event}: {medians}.").format(
            event=settings.event_name or _("response"), medians="; ".join(meds)
        ))
    logrank, cox = table(results, "ttr_tests"), table(results, "cox")
    if logrank is not None:
        lr = logrank.iloc[0]
        parts.append(_("Log-rank χ² = {chi2} (df {df}), p = {p}.").format(
            chi2=f"{float(lr['statistic']):.2f}", df=int(lr["df"]), p=format_p(lr["p_value"])
        ))
    if cox is not None:
        for c in cox.to_dict("records"):
            parts.append(_("Hazard ratio of response, {term}: {hr} ({ci}), Wald p = {p}.").format(
                term=c["term"], hr=format_ratio(c["hr"]),
                ci=_ci(c["ci_low"], c["ci_high"], format_ratio), p=format_p(c["p_value"]),
            ))
    return " ".join(parts) if parts else _("No analysis results were available.")


def methods_text(run: AnalysisRun, versions: Mapping[str, str] | None = None) -> str:
    """Methods and results paragraphs (Markdown) for ``methods.md``.

    Parameters
    ----------
    run
        The analysis run: its settings (resolved), filters, the source file (name, SHA-256),
        the mapping (unit conversions that are *choices* are stated), the values set to
        missing, and the results. Each analysis of the registry adds its own sentences; the
        results paragraph quotes ORR/CR per landmark with CI, the group test, the ORR
        difference, median time to response, log-rank and Cox HR.
    versions
        Software versions (default :func:`software_versions`).

    Returns
    -------
    str
        ``# Methods`` and ``# Results`` sections, each paragraph separated by a blank line.
        Every *choice* of clinical-rules §1-§3 that applies is said to be one.
    """
    settings, filters, results = run.settings, run.filters, run.results
    source = run.cohort.source or SourceInfo()
    n_dropped = run.cohort.report.n_dropped
    mapping = run.cohort.mapping
    v = dict(versions or software_versions())
    data = (
        _("Data were read from the file {name}").format(name=source.name or _("(unnamed)"))
        + (f" (SHA-256 {source.sha256})" if source.sha256 else "")
        + "."
    )
    data += " " + _("Patients analysed: {patients}.").format(patients=filters_text(filters))
    data += " " + (
        (_("{n} implausible value was set to missing before the analysis.") if n_dropped == 1
         else _("{n} implausible values were set to missing before the analysis.")).format(n=n_dropped)
        if n_dropped
        else _("No value was set to missing for implausibility.")
    )  # fmt: skip
    data += _unit_sentence(mapping)
    data += _derivation_sentences(run)
    missing = settings.missing
    landmarks = _(
        "The baseline visit was the visit nearest month 0 within ± 1 month (the earlier on a tie). "
        "Landmarks were {landmarks}: the landmark visit was the visit nearest the "
        "landmark month within the window (the earlier on a tie), chosen before its values were "
        "read; every value at a landmark came from that visit only and a visit served at most one "
        "landmark. Missing landmark data: {missing}."
    ).format(
        landmarks=landmarks_text(settings),
        missing=_(MISSING_TEXT[missing]) if missing in MISSING_TEXT else missing,
    )
    software = _(
        "Analyses used Python {python} with {packages} and the lupus-nephritis cohort app "
        "version {app}; each statistical procedure was checked against the R function named "
        "(R stats and survival) on a validation cohort."
    ).format(
        python=v.get("python"), packages=", ".join(f"{p} {v[p]}" for p in PACKAGES if p in v),
        app=v.get("app"),
    )
    return (
        "\n\n".join(
            [
                "# " + _("Methods"),
                data,
                _response_paragraph(settings) + _sensitivity_definitions(run),
                landmarks,
                _statistics_paragraph(run),
                software,
                "# " + _("Results"),

                _results_paragraph(results, settings),
            ]
        )
        + "\n"
    )
