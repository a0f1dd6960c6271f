"""Renal response rule sets of clinical-rules §1, evaluated per visit against baseline.

Every rule set reads a frame with one row per (visit, baseline) pair: values at the visit
judged in the canonical columns (``upcr``, ``egfr``, ``creatinine``, ``albumin``,
``urine_rbc``, ``steroid_mg``, ``prior_egfr``, ``treatment_failure_so_far``) and baseline
values in ``<field>_0``. ``upcr`` is the proteinuria column the caller chose (24-h protein
is used the same way when no UPCR exists).

Each rule set is a list of named conditions (:mod:`core.outcomes.conditions`): CR when every
CR condition holds, PR when every PR condition holds and not CR. Boundary rules: a ``≤``/``≥``
holds when it holds on paper (relative tolerance 1e-9); a plain ``<`` against a fixed
threshold has no tolerance. A derived response needs every input of its rule at both visits
even when one condition alone would decide; CR is tested before PR. This is the rule of
tests/reference/reference.R (``derive_response``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.model.kidney import ckd_epi_2021
from core.model.settings import CustomCriteria
from core.outcomes.conditions import (
    REL_TOL,
    Condition,
    Values,
    at_least,
    at_least_ratio,
    at_most,
    at_most_ratio,
    below,
    below_when_recorded,
    condition_state,
    geq,
    leq,
    lunar_pr_ceiling,
    not_flagged,
    on_edge,
)

__all__ = ["REL_TOL", "geq", "leq", "on_edge", "RuleSet", "rule_set", "evaluate", "derivable"]

NOT_EVALUABLE_LAB = "lab needed missing"
NOT_EVALUABLE_BASELINE = "baseline missing"
TREATMENT_FAILURE = "treatment_failure_so_far"  # 1 from the first visit flagged on

Verdict = tuple[np.ndarray, np.ndarray, np.ndarray]  # cr, pr, on-a-boundary


@dataclass(frozen=True)
class RuleSet:
    """One rule set: its inputs and its named CR and PR conditions.

    ``landmark_inputs`` must be present at the visit judged, ``baseline_inputs`` at the
    baseline visit (``baseline_keys`` names the values checked for them, default
    ``<field>_0``); ``optional_inputs`` are read when the file has them;
    ``baseline_cr(p0)`` flags baselines already below the CR proteinuria threshold.
    """

    name: str
    landmark_inputs: tuple[str, ...]
    baseline_inputs: tuple[str, ...]
    cr: tuple[Condition, ...]
    pr: tuple[Condition, ...]
    baseline_cr: Callable[[np.ndarray], np.ndarray]
    kidney: str  # "egfr" or "creatinine": never mixed inside one rule set
    optional_inputs: tuple[str, ...] = ()
    baseline_keys: tuple[str, ...] | None = None

    @property
    def required_baseline(self) -> tuple[str, ...]:
        return self.baseline_keys or tuple(f"{f}_0" for f in self.baseline_inputs)

    def values(self, x: pd.DataFrame | Values) -> Values:
        """The frame as :class:`Values`, with the BLISS-LN reference eGFR when used."""
        v = x if isinstance(x, Values) else Values(x)
        if "egfr_ref" in self.required_baseline and "egfr_ref" not in v:
            prior, g0 = v["prior_egfr"], v["egfr_0"]
            v["egfr_ref"] = np.where(np.isnan(prior), g0, prior)
        return v

    def verdict(self, x: pd.DataFrame | Values) -> Verdict:
        """Boolean arrays CR, PR (all their conditions hold) and on a boundary (any)."""
        v = self.values(x)
        cr = np.ones(v.n, dtype=bool)
        pr = np.ones(v.n, dtype=bool)
        edge = np.zeros(v.n, dtype=bool)
        for part, conds in ((cr, self.cr), (pr, self.pr)):
            for c in conds:
                part &= np.asarray(c.holds(v), dtype=bool)
        for c in {c.name: c for c in (*self.cr, *self.pr)}.values():
            edge |= np.asarray(c.edge(v), dtype=bool)
        return cr, pr, edge


def _below(threshold: float, inclusive: bool = False) -> Callable[[np.ndarray], np.ndarray]:
    return (lambda p0: leq(p0, threshold)) if inclusive else (lambda p0: p0 < threshold)


_EGFR = ("upcr", "egfr")
_CREAT = ("upcr", "creatinine")

CR_UPCR = below("upcr", 0.5, "Pt < 0.5", "cr_upcr")
PR_HALVED = at_most_ratio("upcr", "upcr_0", 0.5, "Pt ≤ 0.5·P0", "pr_upcr_halved")
PR_BELOW_3 = below("upcr", 3.0, "Pt < 3.0", "pr_upcr_ceiling")
CREAT_STABLE = at_most_ratio("creatinine", "creatinine_0", 1.15, "Ct ≤ 1.15·C0", "kidney_stable")
NO_FAILURE = not_flagged(TREATMENT_FAILURE, "no treatment failure", "no_treatment_failure")


def _guideline(kidney: Condition) -> tuple[tuple[Condition, ...], tuple[Condition, ...]]:
    return (CR_UPCR, kidney), (PR_HALVED, PR_BELOW_3, kidney)


def _custom(c: CustomCriteria) -> RuleSet:
    if c.kidney == "creatinine":
        kidney = at_most_ratio(
            "creatinine", "creatinine_0", c.creatinine_ratio,
            f"Ct ≤ {c.creatinine_ratio:g}·C0", "kidney_stable",
        )
    else:
        kidney = at_least_ratio(
            "egfr", "egfr_0", c.egfr_ratio, f"Gt ≥ {c.egfr_ratio:g}·G0", "kidney_stable"
        )
    cr = (below("upcr", c.cr_upcr_max, f"Pt < {c.cr_upcr_max:g}", "cr_upcr"), kidney)
    pr = (
        at_most_ratio("upcr", "upcr_0", c.pr_ratio, f"Pt ≤ {c.pr_ratio:g}·P0", "pr_upcr_halved"),
        below("upcr", c.pr_upcr_max, f"Pt < {c.pr_upcr_max:g}", "pr_upcr_ceiling"),
        kidney,
    )
    inputs = ("upcr", c.kidney)
    return RuleSet("custom", inputs, inputs, cr, pr, _below(c.cr_upcr_max), c.kidney)


def _catalogue() -> dict[str, RuleSet]:
    kdigo = at_least_ratio("egfr", "egfr_0", 0.85, "Gt ≥ 0.85·G0", "kidney_stable")
    eular = at_least_ratio(
        "egfr", "egfr_0", 0.9, "Gt ≥ 90 or Gt ≥ 0.9·G0", "kidney_stable", absolute=90.0
    )
    aurora_kidney = at_least_ratio(
        "egfr", "egfr_0", 0.8, "Gt ≥ 60 or Gt ≥ 0.8·G0", "kidney_stable", absolute=60.0
    )
    lunar_cr = (
        CR_UPCR,
        CREAT_STABLE,
        below_when_recorded("urine_rbc", 5, "urine RBC < 5/HPF when recorded", "cr_urine_rbc"),
    )
    mt = (
        (
            at_most("upcr", 0.4, "Pt ≤ 0.4", "cr_upcr"),
            at_least("albumin", 3.5, "albumin ≥ 3.5", "cr_albumin"),
            CREAT_STABLE,
        ),
        (
            PR_HALVED,
            below("upcr", 3.5, "Pt < 3.5", "pr_upcr_ceiling"),
            at_least("albumin", 3.0, "albumin ≥ 3.0", "pr_albumin"),
            CREAT_STABLE,
        ),
    )
    bliss = (
        (
            CR_UPCR,
            at_least_ratio(
                "egfr", "egfr_ref", 0.9, "Gt ≥ 90 or Gt ≥ 0.9·Gref", "cr_kidney", absolute=90.0
            ),
            NO_FAILURE,
        ),
        (
            at_most("upcr", 0.7, "Pt ≤ 0.7", "pr_upcr"),
            at_least_ratio(
                "egfr", "egfr_ref", 0.8, "Gt ≥ 60 or Gt ≥ 0.8·Gref", "pr_kidney", absolute=60.0
            ),
            NO_FAILURE,
        ),
    )
    return {
        "kdigo2024": RuleSet("kdigo2024", _EGFR, _EGFR, *_guideline(kdigo), _below(0.5), "egfr"),
        "eular2019": RuleSet("eular2019", _EGFR, _EGFR, *_guideline(eular), _below(0.5), "egfr"),
        "creatinine15": RuleSet(
            "creatinine15", _CREAT, _CREAT, *_guideline(CREAT_STABLE), _below(0.5), "creatinine"
        ),
        "lunar": RuleSet(
            "lunar", _CREAT, _CREAT, lunar_cr, (PR_HALVED, lunar_pr_ceiling(), CREAT_STABLE),
            _below(0.5), "creatinine", optional_inputs=("urine_rbc",),
        ),
        "aurora": RuleSet(
            "aurora",
            (*_EGFR, "steroid_mg"),
            _EGFR,
            (
                at_most("upcr", 0.5, "Pt ≤ 0.5", "cr_upcr"),
                aurora_kidney,
                at_most("steroid_mg", 10, "prednisolone ≤ 10 mg/day", "cr_steroid"),
            ),
            (PR_HALVED,),
            _below(0.5, True),
            "egfr",
        ),
        "multitarget_cn": RuleSet(
            "multitarget_cn", (*_CREAT, "albumin"), _CREAT, *mt, _below(0.4, True), "creatinine"
        ),
        "bliss_ln": RuleSet(
            "bliss_ln", _EGFR, ("egfr",), *bliss, _below(0.5), "egfr",
            optional_inputs=("prior_egfr", TREATMENT_FAILURE), baseline_keys=("egfr_ref",),
        ),
    }


_CATALOGUE = _catalogue()


def rule_set(name: str, custom: CustomCriteria | None = None) -> RuleSet:
    """The rule set ``name`` of clinical-rules §1 (not ``recorded``, which is read as is)."""
    if name == "custom":
        return _custom(custom or CustomCriteria())
    if name not in _CATALOGUE:
        raise ValueError(f"No derived rule set named {name!r}.")
    return _CATALOGUE[name]


def _missing(rules: RuleSet, v: Values) -> tuple[np.ndarray, np.ndarray]:
    """Rows missing an input at the visit judged, and rows missing one at baseline."""
    here = np.zeros(v.n, dtype=bool)
    for f in rules.landmark_inputs:
        here |= np.isnan(v[f])
    base = np.zeros(v.n, dtype=bool)
    for f in rules.required_baseline:
        base |= np.isnan(v[f])
    return here, base


def evaluate(rules: RuleSet, x: pd.DataFrame) -> pd.DataFrame:
    """Apply ``rules`` to every row of ``x`` (landmark values + ``<field>_0`` baseline).

    Returns
    -------
    DataFrame aligned with ``x``: ``response`` ('CR', 'PR', 'NR' or None when not
    evaluable), ``reason`` (None, ``lab needed missing`` when an input is missing at the
    visit, ``baseline missing`` when it is missing at baseline), ``on_boundary`` (evaluable
    and a value exactly on one of the rule's thresholds).
    """
    v = rules.values(x)
    miss_here, miss_base = _missing(rules, v)
    ok = ~miss_here & ~miss_base
    with np.errstate(invalid="ignore"):
        cr, pr, edge = rules.verdict(v)
    response = np.where(cr, "CR", np.where(pr, "PR", "NR")).astype(object)
    response[~ok] = None
    reason = np.full(len(x), None, dtype=object)
    reason[miss_base] = NOT_EVALUABLE_BASELINE
    reason[miss_here] = NOT_EVALUABLE_LAB
    return pd.DataFrame(
        {"response": response, "reason": reason, "on_boundary": ok & edge}, index=x.index,
        copy=False,
    )


def condition_table(rules: RuleSet, x: pd.DataFrame) -> pd.DataFrame:
    """Every condition of ``rules`` on every row of ``x``, long: one row per row × condition.

    Returns
    -------
    DataFrame: ``row`` (position in ``x``), ``part`` ('CR' or 'PR'), ``condition`` (its
    name), ``rule`` (its text, e.g. ``'Pt < 0.5'``), ``state`` ('true', 'false', 'missing',
    'not assessed'), ``on_edge`` (a value exactly on its threshold).
    """
    v = rules.values(x)
    conds = [(part, c) for part, cs in (("CR", rules.cr), ("PR", rules.pr)) for c in cs]
    k = len(conds)
    cols = ["row", "part", "condition", "rule", "state", "on_edge"]
    if not k:
        return pd.DataFrame(columns=cols)
    state = np.empty((v.n, k), dtype=object)
    edge = np.zeros((v.n, k), dtype=bool)
    for j, (_, c) in enumerate(conds):
        state[:, j] = condition_state(c, v)
        with np.errstate(invalid="ignore"):
            edge[:, j] = np.asarray(c.edge(v), dtype=bool)
    # row-major: every condition of row 0, then of row 1, ...
    return pd.DataFrame({
        "row": np.repeat(np.arange(v.n), k),
        "part": np.tile(np.array([p for p, _ in conds], dtype=object), v.n),
        "condition": np.tile(np.array([c.name for _, c in conds], dtype=object), v.n),
        "rule": np.tile(np.array([c.text for _, c in conds], dtype=object), v.n),
        "state": state.ravel(),
        "on_edge": edge.ravel(),
    }, columns=cols)


def derivable(name: str, available: set[str], custom: CustomCriteria | None = None) -> bool:
    """Whether the cohort has every input column ``name`` needs (``recorded``: response)."""
    if name == "recorded":
        return "response" in available
    r = rule_set(name, custom)
    return set(r.landmark_inputs) | set(r.baseline_inputs) <= available


def add_egfr(visits: pd.DataFrame, patients: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Fill a missing eGFR from creatinine, age and sex (CKD-EPI 2021, clinical-rules §4).

    Uses ``core.model.kidney.ckd_epi_2021``; without creatinine, age or sex eGFR is
    used as given. Returns the visits (a copy when changed) and notes.
    """
    if "creatinine" not in visits or not {"age", "sex"} <= set(patients):
        return visits, []
    v = visits.copy(deep=False)  # the eGFR column is replaced, never written into
    if "egfr" not in v:
        v["egfr"] = np.nan
    need = v["egfr"].isna() & v["creatinine"].notna()
    if not need.any():
        return v, []
    demo = patients.drop_duplicates("patient_id").set_index("patient_id")
    age = v.loc[need, "patient_id"].map(demo["age"]).to_numpy(dtype=float)
    sex = v.loc[need, "patient_id"].map(demo["sex"]).to_numpy(dtype=object)
    adult = age >= 18
    egfr = np.asarray(
        ckd_epi_2021(v.loc[need, "creatinine"].to_numpy(dtype=float), age, sex), float
    )
    filled = v["egfr"].to_numpy(dtype=float, copy=True)
    filled[need.to_numpy()] = np.where(adult, egfr, np.nan)
    v["egfr"] = filled
    n = int(np.isfinite(np.where(adult, egfr, np.nan)).sum())
    notes = (
        [f"eGFR computed from creatinine (CKD-EPI 2021, race-free) at {n} visit(s)."] if n else []
    )
    return v, notes


def proteinuria_column(visits: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """UPCR as the proteinuria of the rules; 24-h protein (g/day) used the same way when the
    file has no UPCR at all, with a note (clinical-rules §1)."""
    has_upcr = "upcr" in visits and visits["upcr"].notna().any()
    if has_upcr or "proteinuria_24h" not in visits or visits["proteinuria_24h"].isna().all():
        return visits, []
    v = visits.copy()
    v["upcr"] = v["proteinuria_24h"]
    return v, ["Proteinuria: no UPCR in the file, 24-h protein (g/day) used in its place."]


def add_rule_context(visits: pd.DataFrame, patients: pd.DataFrame) -> pd.DataFrame:
    """The patient's ``prior_egfr`` on each of its visits, and ``treatment_failure_so_far``:
    1 from the first visit flagged ``treatment_failure`` on (that visit included), 0 before
    and at every visit of a patient never flagged; absent when the file has no such column.

    A missing ``treatment_failure`` cell means no failure recorded at that visit (*choice*,
    docs/clinical-rules §1, BLISS-LN). Returns the visits (a copy when changed).
    """
    has_prior = "prior_egfr" in patients and patients["prior_egfr"].notna().any()
    has_tf = "treatment_failure" in visits
    if not has_prior and not has_tf:
        return visits
    v = visits.copy(deep=False)
    if has_prior:
        prior = patients.drop_duplicates("patient_id").set_index("patient_id")["prior_egfr"]
        v["prior_egfr"] = v["patient_id"].map(prior).to_numpy(dtype=float)
    if has_tf:
        flag = v["treatment_failure"].astype("boolean").fillna(False).to_numpy(dtype=bool)
        order = np.lexsort((v["month"].to_numpy(dtype=float), pd.factorize(v["patient_id"])[0]))
        ids = pd.factorize(v["patient_id"])[0][order]
        so_far = pd.Series(flag[order].astype(float)).groupby(ids).cummax().to_numpy()
        out = np.empty(len(v))
        out[order] = so_far
        v[TREATMENT_FAILURE] = out
    return v
