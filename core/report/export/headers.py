"""Clinical column headers for the contract's column names (screen tables and the XLSX's
formatted sheets); CSVs and the XLSX's hidden ``values`` sheet keep the names themselves.

Every header is one entry of :data:`HEADERS`, so a translation replaces them in one place.
"""

from __future__ import annotations

from core.model.i18n import N_
from core.model.i18n import gettext as _
from core.model.vocabulary import ALL

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
    # the remaining registry columns (docs/data-contract.md §6), units as in core.model.schema.UNITS
    "n_visits": N_("Visits (n)"),
    "n_recorded": N_("Recorded (n)"),
    "pct_recorded": N_("Recorded (% of visits)"),
    "response": N_("Response"),
    "x_group": N_("Responders in the group (n)"),
    "n_group": N_("Evaluable in the group (n)"),
    "x_reference": N_("Responders in the reference group (n)"),
    "n_reference": N_("Evaluable in the reference group (n)"),
    "n_patients": N_("Patients (n)"),
    "n_no_visit": N_("No visit at the landmark (n)"),
    "n_on_boundary": N_("Exactly on a threshold (n)"),
    "kind": N_("Kind"),
    "n_yes": N_("Met (n)"),
    "pct": N_("Percent (%)"),
    "n_not_evaluable": N_("Not evaluable (n)"),
    "status": N_("Status"),
    "confirm_month": N_("Confirming visit (month)"),
    "pct_in_response": N_("Still in response (%)"),
    "surv": N_("Kaplan–Meier estimate"),
    "std_err_log_surv": N_("SE of log survival"),
    "onset_month": N_("Onset (month)"),
    "baseline_month": N_("Baseline visit (month)"),
    "on_boundary": N_("Exactly on a threshold"),
    "part": N_("Part (CR or PR)"),
    "condition": N_("Condition"),
    "rule": N_("Rule"),
    "state": N_("Condition met"),
    "on_edge": N_("Value equals the threshold"),
    "upcr_0": N_("UPCR at month 0 (g/g)"),
    "upcr_t": N_("UPCR at the landmark (g/g)"),
    "egfr_0": N_("eGFR at month 0 (mL/min/1.73 m²)"),
    "egfr_t": N_("eGFR at the landmark (mL/min/1.73 m²)"),
    "prior_egfr": N_("Pre-flare eGFR (mL/min/1.73 m²)"),
    "egfr_ref": N_("Reference eGFR (mL/min/1.73 m²)"),
    "creatinine_0": N_("Creatinine at month 0 (mg/dL)"),
    "creatinine_t": N_("Creatinine at the landmark (mg/dL)"),
    "albumin_t": N_("Serum albumin at the landmark (g/dL)"),
    "steroid_mg_t": N_("Prednisolone dose at the landmark (mg/day)"),
    "urine_rbc_t": N_("Urine RBC at the landmark (/HPF)"),
    "treatment_failure_t": N_("Treatment failure by the landmark"),
    "subgroup": N_("Subgroup"),
    "friedman_chisq": N_("Friedman χ²"),
    "W": N_("Wilcoxon W statistic"),
    "tied": N_("Tied changes"),
    "pos_baseline": N_("Positive at baseline (n)"),
    "pos_followup": N_("Positive at follow-up (n)"),
    "value": N_("Value"),
    "scale": N_("Scale"),
    "unit": N_("Unit"),
    "model": N_("Model"),
    "estimate": N_("Estimate"),
    "se": N_("SE"),
    "pct_per_year": N_("Change per year (%)"),
    "pct_ci_low": N_("Change per year, CI low (%)"),
    "pct_ci_high": N_("Change per year, CI high (%)"),
    "n_obs": N_("Observations (n)"),
    "effect": N_("Effect"),
    "t_value": N_("t value"),
    "reml_loglik": N_("REML log-likelihood"),
    "converged": N_("Converged"),
    "coef": N_("Coefficient (log scale)"),
    "cause": N_("Cause"),
    "estimator": N_("Estimator"),
    "std_err": N_("SE"),
    "cum_competing": N_("Competing events so far"),
    "shr": N_("Subdistribution hazard ratio"),
    "n_competing": N_("Competing events (n)"),
    "tau": N_("Time horizon τ (months)"),
    "rmst": N_("RMST (months)"),
    "diff": N_("RMST difference (months)"),
    "diff_ci_low": N_("Difference CI low (months)"),
    "diff_ci_high": N_("Difference CI high (months)"),
    "diff_p": N_("Difference p"),
    "ratio": N_("RMST ratio"),
    "ratio_ci_low": N_("Ratio CI low"),
    "ratio_ci_high": N_("Ratio CI high"),
    "ratio_p": N_("Ratio p"),
    "chisq": N_("χ²"),
    "transform": N_("Time transform"),
    "g_time": N_("Transformed time (1 − KM)"),
    "scaled_residual": N_("Scaled Schoenfeld residual"),
    "definition": N_("Flare definition"),
    "n_responders": N_("Responders (n)"),
    "n_patients_flare": N_("Patients with a flare (n)"),
    "n_flares": N_("Flares (n)"),
    "patient_years": N_("Patient-years"),
    "rate_per_100py": N_("Rate per 100 patient-years"),
    "rate_ci_low": N_("Rate, 95% CI low"),
    "rate_ci_high": N_("Rate, 95% CI high"),
    "response_month": N_("Response (month)"),
    "upcr": N_("UPCR (g/g)"),
    "nadir_upcr": N_("Nadir UPCR (g/g)"),
    "threshold_upcr": N_("Flare threshold, UPCR (g/g)"),
    "creatinine": N_("Creatinine (mg/dL)"),
    "nadir_creatinine": N_("Nadir creatinine (mg/dL)"),
    "by_creatinine": N_("Creatinine flare"),
    "confirmed_month": N_("Confirmed (month)"),
    "first_response_month": N_("First response (month)"),
    "last_visit_month": N_("Last visit (month)"),
    "followup_years": N_("Follow-up (years)"),
    "events_pct": N_("Events (%)"),
    "baseline": N_("Baseline eGFR or creatinine"),
    "steroid_mg": N_("Prednisolone dose (mg/day)"),
    "interval_months": N_("Interval (months)"),
    "interval_mean_mg_day": N_("Mean dose over the interval (mg/day)"),
    "interval_g": N_("Dose over the interval (g)"),
    "cumulative_oral_g": N_("Cumulative oral dose (g)"),
    "pulse_g": N_("Pulse dose (g)"),
    "cumulative_pulse_g": N_("Cumulative pulse dose (g)"),
    "cumulative_g": N_("Cumulative dose (g)"),
    "pulse_unquantified": N_("Pulses without the number of days (n)"),
    "mean": N_("Mean"),
    "sd": N_("SD"),
    "threshold_mg": N_("Threshold (mg/day)"),
    "n_at_or_below": N_("At or below the threshold (n)"),
    "newly_at_or_below": N_("Newly at or below (n)"),
    "no_longer_at_or_below": N_("No longer at or below (n)"),
    "detail": N_("Detail"),
    "mean_daily_mg": N_("Mean daily dose (mg/day)"),
    "All": ALL,  # Table 1's whole-cohort column
    # internal diagnostics, shown in a table's Details view (core.analyses.spec.DIAGNOSTIC_COLUMNS)
    "p_method": N_("How the p-value was computed"), "median_rule": N_("Rule for the median"),
    "wilcoxon_V": N_("Wilcoxon V statistic"), "wilcoxon_method": N_("Wilcoxon variant"),
    "n_zero_diff": N_("Zero differences (n)"), "tied_abs_diff": N_("Tied absolute differences"),
}  # fmt: skip


def column_header(column: str) -> str:
    """The clinical header of a column: :data:`HEADERS`, else the name with spaces for
    underscores and a capital first letter (``rate_per_100py`` -> ``Rate per 100py``); in the
    current language."""
    if column in HEADERS:
        return _(HEADERS[column])
    text = str(column).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


# Category values as words (screen tables; the CLI's ``--labels clinical``), column by column;
# CSVs keep the codes. A value not listed here is shown as it is.
_CRITERIA_WORDS = {
    "recorded": N_("Recorded by the investigator"), "kdigo2024": N_("KDIGO 2024"),
    "eular2019": N_("EULAR/ERA-EDTA 2019"), "creatinine15": N_("Creatinine ≤ 1.15 × baseline"),
    "lunar": N_("LUNAR"), "aurora": N_("AURORA 1"), "multitarget_cn": N_("Multitarget (China)"),
    "bliss_ln": N_("BLISS-LN (PERR / CRR)"), "custom": N_("Custom thresholds"),
}  # fmt: skip
_TEST_WORDS = {
    "fisher_exact": N_("Fisher's exact test"), "chi_square": N_("Chi-square test"),
    "wilcoxon_rank_sum": N_("Wilcoxon rank-sum test"), "kruskal_wallis": N_("Kruskal–Wallis test"),
    "welch_t": N_("Welch's t-test"), "welch_anova": N_("Welch's one-way ANOVA"),
    "mcnemar": N_("McNemar's test"), "log-rank": N_("Log-rank test"),
    "cox": N_("Cox proportional-hazards model"), "gray": N_("Gray's test"),
}  # fmt: skip
_P_METHOD_WORDS = {
    "exact": N_("Exact"), "normal_cc": N_("Normal approximation with continuity correction"),
}
# The flare definitions of the long-term tables (docs/clinical-rules.md, flares).
DEFINITION_WORDS = {"aurora2": N_("AURORA 2"), "custom": N_("Custom definition")}
VALUE_WORDS: dict[str, dict[str, str]] = {
    "definition": DEFINITION_WORDS,
    "criteria": _CRITERIA_WORDS,
    "test": _TEST_WORDS,
    "method": {"newcombe": N_("Newcombe hybrid score interval")},
    "estimator": {"aalen_johansen": N_("Aalen–Johansen"), "one_minus_km": N_("1 − Kaplan–Meier")},
    "effect": {"fixed": N_("Fixed"), "random": N_("Random")},
    "cause": {"censored": N_("Censored"), "death": N_("Death")},
    "event": {"death": N_("Death"), "flare": N_("Renal flare"), "response": N_("Response")},
    "outcome": {
        "composite": N_("Composite kidney outcome"), "creatinine_doubling": N_("Creatinine doubling"),
        "death": N_("Death"), "egfr_decline_30": N_("eGFR decline ≥ 30%"),
        "egfr_decline_40": N_("eGFR decline ≥ 40%"), "eskd": N_("ESKD"),
        "steroid_le_7_5": N_("Prednisone ≤ 7.5 mg/day"),
    },  # fmt: skip
    "kind": {"confirmed": N_("Confirmed"), "sustained": N_("Sustained"),
             "difference": N_("Difference"), "slope": N_("Slope")},  # fmt: skip
    "status": {"yes": N_("Yes"), "no": N_("No")},
    "p_method": _P_METHOD_WORDS,
    "wilcoxon_method": _P_METHOD_WORDS,
    "median_rule": {
        "first_time_at_or_below_half": N_("First time at or below one half"),
        "midpoint": N_("Midpoint of a flat stretch at one half"), "not_reached": N_("Not reached"),
    },  # fmt: skip
}


def value_words(frame):
    """``frame`` with the category values of :data:`VALUE_WORDS` as words in the session's
    language (``fisher_exact`` -> "Fisher's exact test"); other values unchanged."""
    from core.model.i18n import gettext as _

    out = frame.copy()
    for col, words in VALUE_WORDS.items():
        if col in out.columns and out[col].dtype == object:
            out[col] = out[col].map(lambda v, w=words: _(w[v]) if isinstance(v, str) and v in w else v)
    return out
