"""Clinical column headers for the contract's column names (screen tables and the XLSX's
formatted sheets); CSVs and the XLSX's hidden ``values`` sheet keep the names themselves.

Every header is one entry of :data:`HEADERS`, so a translation replaces them in one place.
"""

from __future__ import annotations

HEADERS: dict[str, str] = {
    "month": "Month", "group": "Group", "measure": "Measure", "outcome": "Outcome",
    "test": "Test", "method": "Method", "p_value": "p", "variable": "Variable",
    "level": "Level", "reference": "Reference", "criteria": "Criteria", "n": "n",
    "n_evaluable": "Evaluable (n)", "cr_n": "CR (n)", "cr_pct": "CR %", "pr_n": "PR (n)",
    "pr_pct": "PR %", "orr_n": "ORR (n)", "orr_pct": "ORR %", "orr_ci_low": "ORR CI low",
    "orr_ci_high": "ORR CI high", "cr_ci_low": "CR CI low", "cr_ci_high": "CR CI high",
    "n_off_landmark": "Off the landmark month (n)", "diff_pct": "Difference (points)",
    "ci_low": "CI low", "ci_high": "CI high", "from_month": "From month", "to_month": "To month",
    "from_state": "From", "to_state": "To", "n_pairs": "Pairs (n)",
    "baseline_median": "Baseline median", "baseline_q1": "Baseline Q1",
    "baseline_q3": "Baseline Q3", "followup_median": "Follow-up median",
    "followup_q1": "Follow-up Q1", "followup_q3": "Follow-up Q3",
    "median_change": "Median change", "mean_change": "Mean change",
    "mean_change_ci_low": "Mean change CI low", "mean_change_ci_high": "Mean change CI high",
    "sd_change": "SD of change", "wilcoxon_p": "Wilcoxon p", "ttest_p": "t-test p",
    "n_complete": "Complete cases (n)", "months": "Months", "friedman_p": "Friedman p",
    "month_a": "Month A", "month_b": "Month B", "p_holm": "Holm p", "group_a": "Group A",
    "group_b": "Group B", "n_a": "n A", "n_b": "n B", "pos_to_neg": "Positive → negative",
    "neg_to_pos": "Negative → positive", "time": "Month", "n_risk": "At risk",
    "n_event": "Events", "n_censor": "Censored", "cum_incidence": "Cumulative incidence %",
    "cum_events": "Events so far", "cum_censored": "Censored so far", "n_events": "Events",
    "median_time": "Median (months)", "median_ci_low": "Median CI low",
    "median_ci_high": "Median CI high", "statistic": "Statistic", "df": "df",
    "term": "Term", "hr": "Hazard ratio", "smd": "SMD", "n_missing": "Missing (n)",
    "step": "Step", "reason": "Reason", "median": "Median", "q1": "Q1", "q3": "Q3",
    "event": "Event", "patient_id": "Patient", "landmark": "Landmark",
    "visit_month": "Visit month",
}  # fmt: skip


def column_header(column: str) -> str:
    """The clinical header of a column: :data:`HEADERS`, else the name with spaces for
    underscores and a capital first letter (``rate_per_100py`` -> ``Rate per 100py``)."""
    if column in HEADERS:
        return HEADERS[column]
    text = str(column).replace("_", " ").strip()
    return text[:1].upper() + text[1:]
