"""Response rule sets (clinical-rules §1): hand-checkable boundaries and evaluability."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.model.settings import CustomCriteria
from core.outcomes.criteria import derivable, evaluate, geq, leq, rule_set


def frame(**cols) -> pd.DataFrame:
    n = max(len(v) if isinstance(v, list) else 1 for v in cols.values())
    return pd.DataFrame(
        {k: v if isinstance(v, list) else [v] * n for k, v in cols.items()}, dtype=float
    )


def verdict(name: str, **cols) -> list:
    return evaluate(rule_set(name), frame(**cols))["response"].tolist()


KIDNEY_OK = {"egfr": 100.0, "egfr_0": 100.0}


def test_upcr_exactly_half_is_not_cr_but_pr() -> None:
    # Pt = 0.5 is not < 0.5 (no CR); 0.5 <= 0.5 * 2.0 and 0.5 < 3.0 -> PR.
    assert verdict("kdigo2024", upcr=0.5, upcr_0=2.0, **KIDNEY_OK) == ["PR"]
    assert verdict("kdigo2024", upcr=0.49, upcr_0=2.0, **KIDNEY_OK) == ["CR"]


def test_upcr_exactly_three_is_not_pr() -> None:
    # Pt = 3.0 halves P0 = 6.0 but 3.0 < 3.0 is false -> NR; 2.99 is PR.
    assert verdict("kdigo2024", upcr=3.0, upcr_0=6.0, **KIDNEY_OK) == ["NR"]
    assert verdict("kdigo2024", upcr=2.99, upcr_0=6.0, **KIDNEY_OK) == ["PR"]


def test_egfr_exactly_085_of_baseline_is_stable() -> None:
    # 0.85 * 42.1 = 35.785000000000004 in doubles; 35.785 meets it on paper.
    assert 0.85 * 42.1 > 35.785
    assert verdict("kdigo2024", upcr=0.2, upcr_0=2.0, egfr=35.785, egfr_0=42.1) == ["CR"]
    assert verdict("kdigo2024", upcr=0.2, upcr_0=2.0, egfr=35.78, egfr_0=42.1) == ["NR"]


def test_creatinine_115_of_080_is_092_on_paper() -> None:
    # 1.15 * 0.80 = 0.9199999999999999 < 0.92 in doubles, equal on paper -> stable -> CR.
    assert 1.15 * 0.80 < 0.92
    assert verdict("creatinine15", upcr=0.3, upcr_0=2.0, creatinine=0.92, creatinine_0=0.80) == [
        "CR"
    ]
    assert verdict("creatinine15", upcr=0.3, upcr_0=2.0, creatinine=0.93, creatinine_0=0.80) == [
        "NR"
    ]


def test_half_of_baseline_exactly_meets_pr() -> None:
    assert verdict("kdigo2024", upcr=0.91, upcr_0=1.82, **KIDNEY_OK) == ["PR"]
    out = evaluate(rule_set("kdigo2024"), frame(upcr=0.91, upcr_0=1.82, **KIDNEY_OK))
    assert out["on_boundary"].tolist() == [True]


def test_cr_is_tested_before_pr() -> None:
    assert verdict("kdigo2024", upcr=0.1, upcr_0=5.0, **KIDNEY_OK) == ["CR"]


def test_eular_absolute_90_or_relative_090() -> None:
    # eGFR fell by 20 % but is >= 90 -> stable; 0.9 * 42 = 37.800000000000004 -> 37.8 meets.
    assert verdict("eular2019", upcr=0.2, upcr_0=2.0, egfr=96.0, egfr_0=120.0) == ["CR"]
    assert verdict("eular2019", upcr=0.2, upcr_0=2.0, egfr=37.8, egfr_0=42.0) == ["CR"]
    assert verdict("kdigo2024", upcr=0.2, upcr_0=2.0, egfr=37.8, egfr_0=45.0) == ["NR"]


def test_missing_input_is_not_evaluable_even_when_one_condition_decides() -> None:
    # Pt = 5 could never be a response, but eGFR is missing at the landmark: not NR.
    out = evaluate(
        rule_set("kdigo2024"),
        frame(upcr=[5.0, 0.2], upcr_0=[2.0, np.nan], egfr=[np.nan, 90.0], egfr_0=[90.0, 90.0]),
    )
    assert out["response"].isna().all()
    assert out["reason"].tolist() == ["lab needed missing", "baseline missing"]


def test_lunar_ceiling_depends_on_baseline() -> None:
    c = {"creatinine": 1.0, "creatinine_0": 1.0}
    # P0 <= 3: PR needs Pt < 1.0; P0 > 3: Pt <= 3.0 (and halved).
    assert verdict("lunar", upcr=1.2, upcr_0=2.6, **c) == ["NR"]
    assert verdict("lunar", upcr=0.9, upcr_0=2.6, **c) == ["PR"]
    assert verdict("lunar", upcr=3.0, upcr_0=6.0, **c) == ["PR"]
    # urine RBC counts only when recorded.
    assert verdict("lunar", upcr=0.3, upcr_0=2.0, urine_rbc=[6.0, np.nan], **c) == ["PR", "CR"]


def test_aurora_needs_steroid_at_landmark() -> None:
    base = {"upcr_0": 2.0, "egfr": 70.0, "egfr_0": 80.0}
    assert verdict("aurora", upcr=0.5, steroid_mg=10.0, **base) == ["CR"]
    assert verdict("aurora", upcr=0.5, steroid_mg=12.5, **base) == ["PR"]
    assert verdict("aurora", upcr=0.5, steroid_mg=np.nan, **base) == [None]


def test_multitarget_albumin_thresholds() -> None:
    c = {"creatinine": 1.0, "creatinine_0": 1.0, "upcr_0": 4.0}
    assert verdict("multitarget_cn", upcr=0.4, albumin=3.5, **c) == ["CR"]
    assert verdict("multitarget_cn", upcr=0.4, albumin=3.4, **c) == ["PR"]
    assert verdict("multitarget_cn", upcr=0.4, albumin=2.9, **c) == ["NR"]


def test_custom_creatinine_rule() -> None:
    custom = CustomCriteria(cr_upcr_max=0.3, kidney="creatinine", creatinine_ratio=1.25)
    out = evaluate(
        rule_set("custom", custom),
        frame(upcr=[0.29, 0.3], upcr_0=2.0, creatinine=1.25, creatinine_0=1.0),
    )
    assert out["response"].tolist() == ["CR", "PR"]


def test_tolerance_is_relative_and_tiny() -> None:
    assert leq(np.array([0.92]), 1.15 * 0.80)[0]
    assert not leq(np.array([0.9200001]), 1.15 * 0.80)[0]
    assert geq(np.array([51.0 - 1e-8]), 51.0)[0]  # within 1e-9 · 51 = 5.1e-8
    assert not geq(np.array([51.0 - 1e-7]), 51.0)[0]


def test_derivable_and_unknown_rule() -> None:
    assert derivable("kdigo2024", {"upcr", "egfr"})
    assert not derivable("aurora", {"upcr", "egfr"})
    assert derivable("recorded", {"response"})
    with pytest.raises(ValueError):
        rule_set("nonsense")
