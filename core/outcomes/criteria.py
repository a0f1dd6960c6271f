"""Renal response rule sets of clinical-rules §1, evaluated per visit against baseline.

Every rule set reads a frame with one row per (visit, baseline) pair: landmark values in
the canonical columns (``upcr``, ``egfr``, ``creatinine``, ``albumin``, ``urine_rbc``,
``steroid_mg``) and baseline values in ``<field>_0``. ``upcr`` is the proteinuria column
the caller chose (24-h protein is used the same way when no UPCR exists).

Boundary rules: a ``≤``/``≥`` holds when it holds on paper, so it is compared with a
relative tolerance of 1e-9 (``a ≤ b`` as ``a ≤ b + 1e-9·|b|``; 0.92 ≤ 1.15 × 0.80 is false
in doubles, true on paper); a plain ``<`` against a fixed threshold has no tolerance. A
derived response needs every input of its rule at both visits even when one condition
alone would decide; CR is tested before PR. This is the rule of tests/reference/reference.R
(``derive_response``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.model.kidney import ckd_epi_2021
from core.model.settings import CustomCriteria

REL_TOL = 1e-9

NOT_EVALUABLE_LAB = "lab needed missing"
NOT_EVALUABLE_BASELINE = "baseline missing"


def leq(a: np.ndarray, b: np.ndarray | float) -> np.ndarray:
    """``a ≤ b`` on paper: ``a ≤ b + 1e-9·|b|``."""
    return a <= b + REL_TOL * np.abs(b)


def geq(a: np.ndarray, b: np.ndarray | float) -> np.ndarray:
    """``a ≥ b`` on paper: ``a ≥ b − 1e-9·|b|``."""
    return a >= b - REL_TOL * np.abs(b)


def on_edge(a: np.ndarray, b: np.ndarray | float) -> np.ndarray:
    """``a`` equals the threshold ``b`` on paper (diagnostic ``n_on_boundary``)."""
    return np.abs(a - b) <= REL_TOL * np.abs(b)


Verdict = tuple[np.ndarray, np.ndarray, np.ndarray]  # cr, pr, on-a-boundary


@dataclass(frozen=True)
class RuleSet:
    """One rule set: its inputs and a vectorised verdict.

    ``landmark_inputs`` must be present at the landmark visit, ``baseline_inputs`` at the
    baseline visit; ``verdict(x)`` returns boolean arrays (CR, PR, on a boundary);
    ``baseline_cr(p0)`` flags baselines already below the CR proteinuria threshold.
    """

    name: str
    landmark_inputs: tuple[str, ...]
    baseline_inputs: tuple[str, ...]
    verdict: Callable[[pd.DataFrame], Verdict]
    baseline_cr: Callable[[np.ndarray], np.ndarray]
    kidney: str  # "egfr" or "creatinine": never mixed inside one rule set


def _col(x: pd.DataFrame, name: str) -> np.ndarray:
    if name not in x:
        return np.full(len(x), np.nan)
    return pd.to_numeric(x[name], errors="coerce").to_numpy(dtype=float)


def _proteinuria_edges(p: np.ndarray, p0: np.ndarray, ratio: float = 0.5) -> np.ndarray:
    return on_edge(p, ratio * p0) | (p == 0.5) | (p == 3.0)


def _egfr_rule(ratio: float, absolute: float | None = None) -> Callable[[pd.DataFrame], Verdict]:
    """KDIGO 2024 (``Gt ≥ 0.85·G0``) and EULAR 2019 (``Gt ≥ 90`` or ``Gt ≥ 0.9·G0``)."""

    def verdict(x: pd.DataFrame) -> Verdict:
        p, p0, g, g0 = (_col(x, c) for c in ("upcr", "upcr_0", "egfr", "egfr_0"))
        stable = geq(g, ratio * g0)
        edge = on_edge(g, ratio * g0)
        if absolute is not None:
            stable = stable | geq(g, absolute)
            edge = edge | on_edge(g, absolute)
        cr = (p < 0.5) & stable
        pr = leq(p, 0.5 * p0) & (p < 3.0) & stable
        return cr, pr, edge | _proteinuria_edges(p, p0)

    return verdict


def _creatinine15(x: pd.DataFrame) -> Verdict:
    p, p0, c, c0 = (_col(x, k) for k in ("upcr", "upcr_0", "creatinine", "creatinine_0"))
    stable = leq(c, 1.15 * c0)
    cr = (p < 0.5) & stable
    pr = leq(p, 0.5 * p0) & (p < 3.0) & stable
    return cr, pr, on_edge(c, 1.15 * c0) | _proteinuria_edges(p, p0)


def _lunar(x: pd.DataFrame) -> Verdict:
    p, p0, c, c0 = (_col(x, k) for k in ("upcr", "upcr_0", "creatinine", "creatinine_0"))
    rbc = _col(x, "urine_rbc")
    stable = leq(c, 1.15 * c0)
    rbc_ok = np.isnan(rbc) | (rbc < 5)  # "urine RBC < 5 when recorded"
    cr = (p < 0.5) & stable & rbc_ok
    ceiling = np.where(leq(p0, 3.0), p < 1.0, leq(p, 3.0))
    pr = leq(p, 0.5 * p0) & ceiling & stable
    edge = on_edge(c, 1.15 * c0) | _proteinuria_edges(p, p0) | (p == 1.0) | (p0 == 3.0)
    return cr, pr, edge | (rbc == 5)


def _aurora(x: pd.DataFrame) -> Verdict:
    p, p0, g, g0 = (_col(x, c) for c in ("upcr", "upcr_0", "egfr", "egfr_0"))
    steroid = _col(x, "steroid_mg")
    kidney = geq(g, 60) | geq(g, 0.8 * g0)
    cr = leq(p, 0.5) & kidney & leq(steroid, 10)
    pr = leq(p, 0.5 * p0)
    edge = (
        on_edge(p, 0.5)
        | on_edge(p, 0.5 * p0)
        | on_edge(g, 60)
        | on_edge(g, 0.8 * g0)
        | on_edge(steroid, 10)
    )
    return cr, pr, edge


def _multitarget(x: pd.DataFrame) -> Verdict:
    p, p0, c, c0 = (_col(x, k) for k in ("upcr", "upcr_0", "creatinine", "creatinine_0"))
    alb = _col(x, "albumin")
    stable = leq(c, 1.15 * c0)
    cr = leq(p, 0.4) & geq(alb, 3.5) & stable
    pr = leq(p, 0.5 * p0) & (p < 3.5) & geq(alb, 3.0) & stable
    edge = (
        on_edge(p, 0.4)
        | on_edge(p, 0.5 * p0)
        | (p == 3.5)
        | on_edge(alb, 3.5)
        | on_edge(alb, 3.0)
        | on_edge(c, 1.15 * c0)
    )
    return cr, pr, edge


def _custom(custom: CustomCriteria) -> Callable[[pd.DataFrame], Verdict]:
    def verdict(x: pd.DataFrame) -> Verdict:
        p, p0 = _col(x, "upcr"), _col(x, "upcr_0")
        if custom.kidney == "creatinine":
            k, k0 = _col(x, "creatinine"), _col(x, "creatinine_0")
            stable = leq(k, custom.creatinine_ratio * k0)
            edge = on_edge(k, custom.creatinine_ratio * k0)
        else:
            k, k0 = _col(x, "egfr"), _col(x, "egfr_0")
            stable = geq(k, custom.egfr_ratio * k0)
            edge = on_edge(k, custom.egfr_ratio * k0)
        cr = (p < custom.cr_upcr_max) & stable
        pr = leq(p, custom.pr_ratio * p0) & (p < custom.pr_upcr_max) & stable
        edge = edge | on_edge(p, custom.pr_ratio * p0) | (p == custom.cr_upcr_max)
        return cr, pr, edge | (p == custom.pr_upcr_max)

    return verdict


def _below(threshold: float, inclusive: bool = False) -> Callable[[np.ndarray], np.ndarray]:
    return (lambda p0: leq(p0, threshold)) if inclusive else (lambda p0: p0 < threshold)


_EGFR = ("upcr", "egfr")
_CREAT = ("upcr", "creatinine")


def rule_set(name: str, custom: CustomCriteria | None = None) -> RuleSet:
    """The rule set ``name`` of clinical-rules §1 (not ``recorded``, which is read as is)."""
    custom = custom or CustomCriteria()
    table = {
        "kdigo2024": RuleSet("kdigo2024", _EGFR, _EGFR, _egfr_rule(0.85), _below(0.5), "egfr"),
        "eular2019": RuleSet("eular2019", _EGFR, _EGFR, _egfr_rule(0.9, 90.0), _below(0.5), "egfr"),
        "creatinine15": RuleSet(
            "creatinine15", _CREAT, _CREAT, _creatinine15, _below(0.5), "creatinine"
        ),
        "lunar": RuleSet("lunar", _CREAT, _CREAT, _lunar, _below(0.5), "creatinine"),
        "aurora": RuleSet(
            "aurora", (*_EGFR, "steroid_mg"), _EGFR, _aurora, _below(0.5, True), "egfr"
        ),
        "multitarget_cn": RuleSet(
            "multitarget_cn",
            (*_CREAT, "albumin"),
            _CREAT,
            _multitarget,
            _below(0.4, True),
            "creatinine",
        ),
        "custom": RuleSet(
            "custom",
            ("upcr", custom.kidney),
            ("upcr", custom.kidney),
            _custom(custom),
            _below(custom.cr_upcr_max),
            custom.kidney,
        ),
    }
    if name not in table:
        raise ValueError(f"No derived rule set named {name!r}.")
    return table[name]


def evaluate(rules: RuleSet, x: pd.DataFrame) -> pd.DataFrame:
    """Apply ``rules`` to every row of ``x`` (landmark values + ``<field>_0`` baseline).

    Returns
    -------
    DataFrame aligned with ``x``: ``response`` ('CR', 'PR', 'NR' or None when not
    evaluable), ``reason`` (None, ``lab needed missing`` when an input is missing at the
    visit, ``baseline missing`` when it is missing at baseline), ``on_boundary`` (evaluable
    and a value exactly on one of the rule's thresholds).
    """
    miss_here = np.zeros(len(x), dtype=bool)
    for f in rules.landmark_inputs:
        miss_here |= np.isnan(_col(x, f))
    miss_base = np.zeros(len(x), dtype=bool)
    for f in rules.baseline_inputs:
        miss_base |= np.isnan(_col(x, f"{f}_0"))
    ok = ~miss_here & ~miss_base
    with np.errstate(invalid="ignore"):
        cr, pr, edge = rules.verdict(x)
    response = np.where(cr, "CR", np.where(pr, "PR", "NR")).astype(object)
    response[~ok] = None
    reason = np.full(len(x), None, dtype=object)
    reason[miss_base] = NOT_EVALUABLE_BASELINE
    reason[miss_here] = NOT_EVALUABLE_LAB
    return pd.DataFrame(
        {"response": response, "reason": reason, "on_boundary": ok & edge}, index=x.index,
        copy=False,
    )


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
