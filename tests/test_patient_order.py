"""core.analyses.patient_order: the shortcuts give exactly what the pandas calls give."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.analyses.patient_order import by_patient_month, in_patient_month_order, patient_codes


def _frame(ids, months) -> pd.DataFrame:
    return pd.DataFrame(
        {"patient_id": np.array(ids, dtype=object), "month": np.array(months, dtype=float), "x": np.arange(len(ids))},
        index=np.arange(len(ids)) * 10 + 3,  # a non-default index must survive
    )


CASES = {
    "sorted": (["A1", "A1", "A2", "B", "B"], [0.0, 3.0, 0.0, 0.0, 6.0]),
    "months out of order": (["A1", "A1", "A2"], [3.0, 0.0, 0.0]),
    "ids out of order": (["B", "B", "A"], [0.0, 3.0, 0.0]),
    "ids apart": (["A", "B", "A"], [0.0, 0.0, 3.0]),
    "missing month": (["A", "A", "B"], [0.0, np.nan, 0.0]),
    "missing id": (["A", None, "B"], [0.0, 0.0, 0.0]),
    "numbers among ids": (["A", 7, "B"], [0.0, 0.0, 0.0]),
    "one row": (["A"], [0.0]),
    "empty": ([], []),
}


@pytest.mark.parametrize("name", list(CASES))
def test_by_patient_month_is_sort_values(name):
    ids, months = CASES[name]
    df = _frame(ids, months)
    try:
        want = df.sort_values(["patient_id", "month"], kind="stable")
    except TypeError:  # pandas cannot sort IDs of mixed types either
        with pytest.raises(TypeError):
            by_patient_month(df)
        return
    got = by_patient_month(df)
    pd.testing.assert_frame_equal(got, want)
    assert got is not df  # a copy: callers may add columns


@pytest.mark.parametrize("name", list(CASES))
def test_patient_codes_is_factorize(name):
    ids, _ = CASES[name]
    codes, uniques = patient_codes(pd.Series(ids, dtype=object))
    want_codes, want_uniques = pd.factorize(pd.Series(ids, dtype=object))
    np.testing.assert_array_equal(codes, want_codes)
    assert list(uniques) == list(want_uniques)


def test_order_is_checked_not_assumed():
    assert in_patient_month_order(_frame(*CASES["sorted"]))
    for name in ("months out of order", "ids out of order", "ids apart", "missing month",
                 "missing id", "numbers among ids"):  # fmt: skip
        assert not in_patient_month_order(_frame(*CASES[name])), name


def test_text_order_not_number_order():
    """'P10' sorts before 'P9' as text, as pandas sorts the ID texts."""
    df = _frame(["P10", "P9", "P9"], [0.0, 0.0, 3.0])
    assert in_patient_month_order(df)
    codes, uniques = patient_codes(df["patient_id"])
    assert list(codes) == [0, 1, 1] and list(uniques) == ["P10", "P9"]
