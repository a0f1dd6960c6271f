"""Which columns of each contract table are counts, how they add up, what derives from them.

Data for :mod:`core.analyses.suppression` (to move into the analysis registry's table specs).
Relations are stated as a reader of the published tables could use them:

- ``Margin(total, parts)``: within one row, ``total = Σ parts``; a part named ``~x`` is a
  count that is not printed but follows by subtraction (e.g. non-responders); ``total=None``
  means the sum is known to the reader from elsewhere.
- ``RowsSum(name, columns, total, parts, by)``: across rows sharing the ``by`` columns, the
  row matching ``total`` equals the sum of the rows matching ``parts`` (e.g. the ``All``
  group); when they differ (patients without a group) the difference is a hidden count.
  ``total=None``: the sum over the parts is public (e.g. each group's size).
- ``Steps(column, by, order)``: consecutive rows' difference is a hidden count (new events
  between two times of a numbers-at-risk table).

``derived`` maps a column to the counts it is computed from: it is blanked with them.
Selectors are ``{column: value}`` or ``{column: ("not", value, ...)}``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

ALL = "All"


@dataclass(frozen=True)
class Margin:
    total: str | None
    parts: tuple[str, ...]


@dataclass(frozen=True)
class RowsSum:
    name: str
    columns: tuple[str, ...]
    total: dict | None
    parts: dict
    by: tuple[str, ...] = ()


@dataclass(frozen=True)
class Steps:
    column: str
    by: tuple[str, ...]
    order: str
    increasing: bool = True  # cumulative counts grow; numbers at risk shrink


@dataclass(frozen=True)
class CountSpec:
    counts: tuple[str, ...]
    relations: tuple[Margin | RowsSum | Steps, ...] = ()
    derived: dict[str, tuple[str, ...]] = field(default_factory=dict)
    rows: dict = field(default_factory=dict)  # only rows matching this hold counts
    parse: Callable | None = None  # text cell -> count (table1's "n (x%)")


def groups_sum(columns: tuple[str, ...], by: tuple[str, ...], group: str = "group") -> RowsSum:
    """The ``All`` row equals the sum of the group rows (plus patients without a group)."""
    return RowsSum(f"{group} total", columns, {group: ALL}, {group: ("not", ALL)}, by)


def _stats_of(n: tuple[str, ...], columns: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """Every listed statistic is blanked with the count(s) of patients it summarises."""
    return {c: n for c in columns}


def leading_count(text) -> float:
    """``'45 (91.8%)'`` → 45; anything else (a median text, blank) → NaN."""
    if not isinstance(text, str) or "(" not in text or "%" not in text:
        return float("nan")
    head = text.split("(")[0].strip()
    return float(head) if head.isdigit() else float("nan")


RATES = ("n_evaluable", "cr_n", "pr_n", "orr_n")

SPECS: dict[str, CountSpec] = {
    "response_rates": CountSpec(
        counts=(*RATES, "n_off_landmark"),
        relations=(
            Margin("orr_n", ("cr_n", "pr_n")),
            Margin("n_evaluable", ("orr_n", "~nr_n")),
            Margin("n_evaluable", ("n_off_landmark", "~on_landmark")),
            groups_sum((*RATES, "n_off_landmark"), ("month",)),
        ),
        derived={
            "cr_pct": ("cr_n", "n_evaluable"),
            "pr_pct": ("pr_n", "n_evaluable"),
            "orr_pct": ("orr_n", "n_evaluable"),
            "orr_ci_low": ("orr_n", "n_evaluable"),
            "orr_ci_high": ("orr_n", "n_evaluable"),
            "cr_ci_low": ("cr_n", "n_evaluable"),
            "cr_ci_high": ("cr_n", "n_evaluable"),
        },
    ),
    "criteria_sensitivity": CountSpec(
        counts=(*RATES, "n_patients", "n_no_visit", "n_on_boundary"),
        relations=(
            Margin("orr_n", ("cr_n", "pr_n")),
            Margin("n_evaluable", ("orr_n", "~nr_n")),
            Margin("n_patients", ("n_evaluable", "n_no_visit", "~inputs_missing")),
            Margin("n_evaluable", ("n_on_boundary", "~off_boundary")),
            groups_sum(
                (*RATES, "n_patients", "n_no_visit", "n_on_boundary"), ("criteria", "month")
            ),
        ),
        derived={"orr_pct": ("orr_n", "n_evaluable")},
    ),
    "response_transitions": CountSpec(
        counts=("n",),
        relations=(
            groups_sum(("n",), ("from_month", "to_month", "from_state", "to_state")),
            # The state margins are response_rates at each landmark: public.
            RowsSum("from", ("n",), None, {}, ("from_month", "to_month", "group", "from_state")),
            RowsSum("to", ("n",), None, {}, ("from_month", "to_month", "group", "to_state")),
        ),
    ),
    "dsdna_shift": CountSpec(
        counts=("n_pairs", "pos_to_neg", "neg_to_pos", "pos_baseline", "pos_followup"),
        relations=(
            Margin("pos_baseline", ("~pos_pos", "pos_to_neg")),
            Margin("pos_followup", ("~pos_pos", "neg_to_pos")),
            Margin("n_pairs", ("~pos_pos", "pos_to_neg", "neg_to_pos", "~neg_neg")),
            groups_sum(
                ("n_pairs", "pos_to_neg", "neg_to_pos", "pos_baseline", "pos_followup"),
                ("month",),
            ),
        ),
        derived={
            "p_value": ("pos_to_neg", "neg_to_pos"),
            "statistic": ("pos_to_neg", "neg_to_pos"),
        },
    ),
    "flow": CountSpec(
        counts=("n",),
        relations=(
            # After filters = evaluable + each reason not evaluable (+ baseline CR excluded),
            # per landmark; imputed patients are among the evaluable.
            RowsSum("landmark", ("n",), None, {"step": ("evaluable", "not evaluable")}, ("month",)),
            RowsSum("imputed", ("n",), {"step": "evaluable"}, {"step": "imputed"}, ("month",)),
        ),
    ),
    "ttr_risk": CountSpec(
        counts=("n_risk", "cum_events", "cum_censored"),
        relations=(
            groups_sum(("n_risk", "cum_events", "cum_censored"), ("time",)),
            Steps("n_risk", ("group",), "time", increasing=False),
            Steps("cum_events", ("group",), "time"),
            Steps("cum_censored", ("group",), "time"),
        ),
    ),
    "ttr_summary": CountSpec(
        counts=("n", "n_events"),
        relations=(Margin("n", ("n_events", "~censored")), groups_sum(("n", "n_events"), ())),
        derived=_stats_of(("n", "n_events"), ("median_time", "median_ci_low", "median_ci_high")),
    ),
    "response_subgroups": CountSpec(
        counts=("n", "orr_n"),
        relations=(
            Margin("n", ("orr_n", "~nr_n")),
            # Each subgroup's levels add up to the All row of that month (public).
            RowsSum(
                "levels", ("n", "orr_n"), None, {"subgroup": ("not", ALL)}, ("month", "subgroup")
            ),
        ),
        derived={c: ("n", "orr_n") for c in ("orr_pct", "ci_low", "ci_high")},
    ),
    "response_difference": CountSpec(
        counts=("x_group", "n_group", "x_reference", "n_reference"),
        relations=(
            Margin("n_group", ("x_group", "~not_group")),
            Margin("n_reference", ("x_reference", "~not_reference")),
        ),
        derived={
            c: ("x_group", "n_group", "x_reference", "n_reference")
            for c in ("diff_pct", "ci_low", "ci_high")
        },
    ),
    "paired_changes": CountSpec(
        counts=("n_pairs", "n_zero_diff"),
        relations=(Margin("n_pairs", ("n_zero_diff", "~nonzero")),),
        derived=_stats_of(
            ("n_pairs",),
            (
                "baseline_median",
                "baseline_q1",
                "baseline_q3",
                "followup_median",
                "followup_q1",
                "followup_q3",
                "median_change",
                "mean_change",
                "mean_change_ci_low",
                "mean_change_ci_high",
                "sd_change",
                "wilcoxon_p",
                "ttest_p",
                "wilcoxon_V",
                "wilcoxon_p_unrounded",
            ),
        ),
    ),
    "repeated_measures": CountSpec(
        counts=("n_complete",),
        derived=_stats_of(("n_complete",), ("friedman_p", "friedman_chisq")),
    ),
    "repeated_pairwise": CountSpec(
        counts=("n_pairs", "n_zero_diff"),
        relations=(Margin("n_pairs", ("n_zero_diff", "~nonzero")),),
        derived=_stats_of(("n_pairs",), ("wilcoxon_p", "p_holm", "wilcoxon_V")),
    ),
    "change_between_groups": CountSpec(
        counts=("n_a", "n_b"), derived=_stats_of(("n_a", "n_b"), ("p_value", "W"))
    ),
    "steroid_trajectory": CountSpec(
        counts=("n",), derived=_stats_of(("n",), ("median", "q1", "q3"))
    ),
    "lab_slopes": CountSpec(counts=("n_patients", "n_obs")),
    "lab_mixed": CountSpec(counts=("n_patients", "n_obs")),
    "data_completeness": CountSpec(
        counts=("n_visits", "n_recorded"),
        relations=(Margin("n_visits", ("n_recorded", "~not_recorded")),),
        derived={"pct_recorded": ("n_visits", "n_recorded")},
    ),
    "lab_trajectories": CountSpec(
        counts=("n",),
        relations=(groups_sum(("n",), ("measure", "month")),),
        derived=_stats_of(("n",), ("median", "q1", "q3")),
    ),
    "cox": CountSpec(counts=("n", "n_events"), relations=(Margin("n", ("n_events", "~censored")),)),
}


def _risk(by: tuple[str, ...], cumulative: tuple[str, ...]) -> CountSpec:
    """A numbers-at-risk table: the All group sums the groups; between two times the
    risk set shrinks and the cumulative counts grow by hidden counts."""
    cols = ("n_risk", *cumulative)
    return CountSpec(
        counts=cols,
        relations=(
            groups_sum(cols, (*by, "time")),
            Steps("n_risk", (*by, "group"), "time", increasing=False),
            *(Steps(c, (*by, "group"), "time") for c in cumulative),
        ),
    )


def _events(by: tuple[str, ...], derived: tuple[str, ...]) -> CountSpec:
    """n patients, n_events of them (the rest censored), per group and All."""
    return CountSpec(
        counts=("n", "n_events"),
        relations=(Margin("n", ("n_events", "~censored")), groups_sum(("n", "n_events"), by)),
        derived=_stats_of(("n", "n_events"), derived),
    )


_MEDIAN = ("median_time", "median_ci_low", "median_ci_high")
SPECS |= {
    "cif_risk": _risk((), ("cum_events", "cum_competing", "cum_censored")),
    "flare_risk": _risk(("definition",), ("cum_events", "cum_censored")),
    "kidney_risk": _risk(("outcome",), ("cum_events", "cum_censored")),
    "steroid_target_risk": _risk(("outcome",), ("cum_events", "cum_censored")),
    "kidney_outcomes": _events(("outcome",), ("events_pct", *_MEDIAN)),
    "steroid_target_time": _events(("outcome",), ("events_pct", *_MEDIAN)),
    "rmst": _events(("tau",), ("rmst", "se", "ci_low", "ci_high")),
    "flares": CountSpec(
        counts=("n_responders", "n_patients_flare", "n_flares"),
        relations=(
            Margin("n_responders", ("n_patients_flare", "~no_flare")),
            groups_sum(("n_responders", "n_patients_flare", "n_flares"), ("definition",)),
        ),
        derived=_stats_of(
            ("n_flares", "n_patients_flare"), ("rate_per_100py", "rate_ci_low", "rate_ci_high")
        ),
    ),
    "steroid_thresholds": CountSpec(
        counts=("n", "n_at_or_below", "n_pairs", "newly_at_or_below", "no_longer_at_or_below"),
        relations=(
            Margin("n", ("n_at_or_below", "~above")),
            groups_sum(
                ("n", "n_at_or_below", "n_pairs", "newly_at_or_below", "no_longer_at_or_below"),
                ("threshold_mg", "landmark"),
            ),
        ),
        derived={
            "pct": ("n", "n_at_or_below"),
            "ci_low": ("n", "n_at_or_below"),
            "ci_high": ("n", "n_at_or_below"),
            "p_value": ("newly_at_or_below", "no_longer_at_or_below"),
        },
    ),
    "steroid_cumulative": CountSpec(
        counts=("n",),
        relations=(groups_sum(("n",), ("measure", "landmark")),),
        derived=_stats_of(("n",), ("mean", "sd", "median", "q1", "q3")),
    ),
}

# Tables whose rows are single event times: not released when suppression is on (their
# event counts are small by nature and the curve's steps give them back). Patient-level
# tables (the registry's ``patient_level``) are withheld as well.
WITHHELD: tuple[str, ...] = (
    "ttr_curve",
    "cif_curve",
    "flare_curve",
    "kidney_curve",
    "steroid_target_curve",
    "ph_residuals",  # one row per event time
)


def table1_spec(group_columns: tuple[str, ...]) -> CountSpec:
    """table1 holds ``n (x%)`` texts in one column per group and ``All``: a categorical
    variable's levels add up to each group's known size (missing values aside), and
    ``All`` is the sum of the groups. Continuous rows (no level) are not counts."""
    groups = tuple(c for c in group_columns if c != ALL)
    return CountSpec(
        counts=(*groups, ALL),
        relations=(
            Margin(ALL, (*groups, "~no_group")),
            *(RowsSum(f"levels {c}", (c,), None, {}, ("variable",)) for c in (*groups, ALL)),
        ),
        rows={"level": ("not", "", "nan", "None", "<NA>")},
        parse=leading_count,
    )


TABLE1_FIXED = ("variable", "level", "p_value", "test", "smd", "n_missing", "p_method")


def withheld(name: str) -> bool:
    """Tables not released at all under suppression: patient-level ones and WITHHELD."""
    from core.analyses.registry import is_patient_level_table

    return name in WITHHELD or is_patient_level_table(name)


def spec_for(name: str, table) -> CountSpec | None:
    """The spec of a contract table (table1's group columns are read from the table).

    A registry table with counts but no spec here gets primary suppression of those
    counts only (no relations known: complementary cells are not sought)."""
    if name == "table1":
        return table1_spec(tuple(c for c in table.columns if c not in TABLE1_FIXED))
    if name in SPECS:
        return SPECS[name]
    from core.analyses.registry import table_spec

    reg = table_spec(name)
    return CountSpec(counts=tuple(reg.counts)) if reg is not None and reg.counts else None


@dataclass(frozen=True)
class Link:
    """The same counts printed in two tables. Rows of ``a`` matching ``a_rows`` pair with
    rows of ``b`` matching ``b_rows`` on ``keys`` ((a column, b column) pairs); in each
    ``columns`` pair, equal values are the same count and are blanked in both or neither."""

    a: str
    b: str
    keys: tuple[tuple[str, str], ...]
    columns: tuple[tuple[str, str], ...]
    a_rows: dict = field(default_factory=dict)
    b_rows: dict = field(default_factory=dict)


LINKS: tuple[Link, ...] = (
    Link(
        "response_rates",
        "criteria_sensitivity",
        (("month", "month"), ("group", "group")),
        tuple((c, c) for c in RATES),
    ),
    Link(
        "response_rates",
        "flow",
        (("month", "month"),),
        (("n_evaluable", "n"),),
        a_rows={"group": ALL},
        b_rows={"step": "evaluable"},
    ),
    Link(
        "response_rates",
        "response_subgroups",
        (("month", "month"), ("group", "level")),
        (("n_evaluable", "n"), ("orr_n", "orr_n")),
        b_rows={"subgroup": (ALL, "Group")},
    ),
    Link(
        "ttr_summary",
        "ttr_risk",
        (("group", "group"),),
        (("n", "n_risk"),),
        b_rows={"time": ("0", "0.0")},
    ),
    Link("ttr_summary", "cox", (), (("n", "n"), ("n_events", "n_events")), a_rows={"group": ALL}),
)
