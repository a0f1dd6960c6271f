"""Units, conversions, the range heuristic and CKD-EPI 2021 (clinical-rules §4)."""

from __future__ import annotations

import numpy as np
import pytest

from core.ingest.units import ckd_epi_2021, convert, guess_unit, is_canonical, normalise_unit


@pytest.mark.parametrize(
    ("scr", "age", "sex", "expected"),
    [  # test values printed in clinical-rules §4 (2 decimals)
        (1.2, 55, "M", 71.42),
        (0.7, 30, "F", 119.24),
        (0.5, 25, "F", 133.40),
        (1.5, 40, "F", 44.90),
    ],
)
def test_ckd_epi_2021_reference_values(scr, age, sex, expected):
    assert ckd_epi_2021(scr, age, sex) == pytest.approx(expected, abs=0.005)


def test_ckd_epi_2021_vectorised_and_never_rounded():
    got = ckd_epi_2021([1.2, 0.7, np.nan, 1.0], [55, 30, 40, np.nan], ["M", "f", "F", "F"])
    assert got[0] == pytest.approx(71.4177959219211, rel=1e-14)
    assert got[1] == pytest.approx(119.24457476, rel=1e-9)  # lower-case sex accepted
    assert np.isnan(got[2]) and np.isnan(got[3])  # missing creatinine or age
    assert np.isnan(ckd_epi_2021([1.0], [40], ["X"]))[0]  # unknown sex: no eGFR


@pytest.mark.parametrize(
    ("field", "unit", "given", "canonical"),
    [  # values from the validation cohort: conversion gives back the long-form double exactly
        ("upcr", "mg/mmol", 593.88, 5.25),
        ("upcr", "mg/g", 5250.0, 5.25),
        ("creatinine", "umol/l", 40.6732, 0.46),
        ("albumin", "g/l", 32.0, 3.2),
        ("c3", "g/l", 0.65, 65.0),
        ("proteinuria_24h", "mg/day", 2500.0, 2.5),
        ("steroid_mg", "methylprednisolone", 8.0, 10.0),
        ("steroid_mg", "dexamethasone", 1.5, 1.5 * 6.67),
        ("month", "weeks", 24.0, 24 * 12 / 52),
        ("month", "days", 30.4375, 1.0),
    ],
)
def test_convert_exact(field, unit, given, canonical):
    assert convert(np.array([given]), field, unit)[0] == canonical


@pytest.mark.parametrize(
    ("text", "field", "expected"),
    [("µmol/L", "creatinine", "umol/l"), ("μmol/l", "creatinine", "umol/l"),
     ("mg/dL", "creatinine", "mg/dl"), ("g/L", "albumin", "g/l"), ("mg/일", "steroid_mg", "mg/day"),
     ("mg/mmol", "upcr", "mg/mmol"), ("mmol/L", "creatinine", None), ("furlongs", None, None)],
)
def test_normalise_unit(text, field, expected):
    assert normalise_unit(text, field) == expected


def test_is_canonical():
    assert is_canonical("upcr", "mg/mg") and is_canonical("upcr", None)
    assert not is_canonical("upcr", "mg/g")


@pytest.mark.parametrize(
    ("field", "values", "unit", "ambiguous"),
    [
        ("albumin", [32, 35, 28, 41], "g/l", False),
        ("albumin", [3.2, 3.5, 35, 4.1], None, False),  # one typo is not a unit
        ("creatinine", [70, 88, 120, 400], "umol/l", False),
        ("creatinine", [0.7, 0.9, 1.4], None, False),
        ("upcr", [850, 1200, 400], None, True),  # mg/g or mg/mmol: the user must say
        ("upcr", [0.8, 1.2, 3.0], None, False),
        ("c3", [0.6, 0.9, 1.2], "g/l", False),
        ("proteinuria_24h", [1500, 800, 3000], "mg/day", False),
    ],
)
def test_guess_unit(field, values, unit, ambiguous):
    assert guess_unit(field, np.array(values, dtype=float)) == (unit, ambiguous)
