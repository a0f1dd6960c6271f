"""Clinical column headers for the contract's column names (screen tables and the XLSX's
formatted sheets); CSVs and the XLSX's hidden ``values`` sheet keep the names themselves.

Every header is one entry of :data:`HEADERS`, so a translation replaces them in one place.
"""

from __future__ import annotations

from core.model.i18n import N_
from core.model.i18n import gettext as _

HEADERS: dict[str, str] = {
    "month": N_("Month"), "group": N_("Group"), "measure": N_("Measure"), "outcome": N_("Outcome"),
    "test": N_("Test"), "method": N_("Method"), "p_value": N_("p"), "variable": N_("Variable"),
    "level": N_("Level"), "reference": N_("Reference"), "criteria": N_("Criteria"), "n": N_("n"),
    "n_evaluable": N_("Evaluable (n)"), "cr_n": N_("CR (n)"), "cr_pct": N_("CR %"), "pr_n": N_("PR (n)"),
    "pr_pct": N_("PR %"), "orr_n": N_("ORR (n)"), "orr_pct": N_("ORR %"), "orr_ci_low": N_("ORR CI low"),
    "orr_ci_high": N_("ORR CI high"), "cr_ci_low": N_("CR CI low"), "cr_ci_high": N_("CR CI high"),
    "n_off_landmark": N_("Off the landmark month (n)"), "diff_pct": N_("Difference (points)"),
    "ci_low": N_("CI low"), "ci_high": N_("CI high"), "from_month": N_("From month"), "to_month": N_("To month"),
    "from_state": N_("From"), "to_state": N_("To"), "n_pairs": N_("Pairs (n)"),
    "baseline_median": N_("Baseline median"), "baseline_q1": N_("Baseline Q1"),
    "baseline_q3": N_("Baseline Q3"), "followup_median": N_("Follow-up median"),
    "followup_q1": N_("Follow-up Q1"), "followup_q3": N_("Follow-up Q3"),
    "median_change": N_("Median change"), "mean_change": N_("Mean change"),
    "mean_change_ci_low": N_("Mean change CI low"), "mean_change_ci_high": N_("Mean change CI high"),
    "sd_change": N_("SD of change"), "wilcoxon_p": N_("Wilcoxon p"), "ttest_p": N_("t-test p"),
    "n_complete": N_("Complete cases (n)"), "months": N_("Months"), "friedman_p": N_("Friedman p"),
    "month_a": N_("Month A"), "month_b": N_("Month B"), "p_holm": N_("Holm p"), "group_a": N_("Group A"),
    "group_b": N_("Group B"), "n_a": N_("n A"), "n_b": N_("n B"), "pos_to_neg": N_("Positive → negative"),
    "neg_to_pos": N_("Negative → positive"), "time": N_("Month"), "n_risk": N_("At risk"),
    "n_event": N_("Events"), "n_censor": N_("Censored"), "cum_incidence": N_("Cumulative incidence %"),
    "cum_events": N_("Events so far"), "cum_censored": N_("Censored so far"), "n_events": N_("Events"),
    "median_time": N_("Median (months)"), "median_ci_low": N_("Median CI low"),
    "median_ci_high": N_("Median CI high"), "statistic": N_("Statistic"), "df": N_("df"),
    "term": N_("Term"), "hr": N_("Hazard ratio"), "smd": N_("SMD"), "n_missing": N_("Missing (n)"),
    "step": N_("Step"), "reason": N_("Reason"), "median": N_("Median"), "q1": N_("Q1"), "q3": N_("Q3"),
    "event": N_("Event"), "patient_id": N_("Patient"), "landmark": N_("Landmark"),
    "visit_month": N_("Visit month"),
}  # fmt: skip


def column_header(column: str) -> str:
    """The clinical header of a column: :data:`HEADERS`, else the name with spaces for
    underscores and a capital first letter (``rate_per_100py`` -> ``Rate per 100py``); in the
    current language."""
    if column in HEADERS:
        return _(HEADERS[column])
    text = str(column).replace("_", " ").strip()
    return text[:1].upper() + text[1:]
