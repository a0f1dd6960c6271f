"""Cohort filters (contract §4): class, group, sex, age range, pass-through columns."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.model.filters import filter_cohort, filter_summary
from core.model.schema import Cohort
from core.model.settings import Filters, Settings


def small() -> Cohort:
    p = pd.DataFrame(
        {
            "patient_id": ["1", "2", "3", "4", "5"],
            "group": ["refractory", "relapse", "relapse", None, "refractory"],
            "isn_class": ["IV", "IV+V", "V", "III", None],
            "sex": ["F", "M", "F", "F", "M"],
            "age": [20.0, 35.0, np.nan, 50.0, 64.0],
            "site": ["A", "B", "A", "B", "A"],
        }
    )
    v = pd.DataFrame(
        {"patient_id": ["1", "1", "2", "3", "4", "5"], "month": [0.0, 6.0, 0.0, 0.0, 0.0, 0.0]}
    )
    return Cohort(p, v)


def ids(c: Cohort) -> list[str]:
    return c.patients["patient_id"].tolist()


def test_class_filter_keeps_listed_classes_and_their_visits() -> None:
    c = filter_cohort(small(), Filters(classes=("IV", "IV+V")))
    assert ids(c) == ["1", "2"]
    assert c.visits["patient_id"].tolist() == ["1", "1", "2"]


def test_group_sex_age_and_extra_combine() -> None:
    assert ids(filter_cohort(small(), Filters(groups=("relapse",)))) == ["2", "3"]
    assert ids(filter_cohort(small(), Filters(sexes=("F",), age_min=30))) == ["4"]
    assert ids(filter_cohort(small(), Filters(age_max=35))) == ["1", "2"]  # NaN age dropped
    assert ids(filter_cohort(small(), Filters(extra=(("site", ("A",)),)))) == ["1", "3", "5"]


def test_unknown_values_and_columns_never_raise() -> None:
    assert ids(filter_cohort(small(), Filters(classes=("VII",)))) == []
    assert ids(filter_cohort(small(), Filters(extra=(("nope", ("x",)),)))) == ids(small())
    empty = Cohort(pd.DataFrame({"patient_id": []}), pd.DataFrame({"patient_id": [], "month": []}))
    assert ids(filter_cohort(empty, Filters(classes=("IV",), age_min=1))) == []


def test_no_filter_returns_cohort_unchanged() -> None:
    c = small()
    assert filter_cohort(c, Filters()) is c and filter_cohort(c, None) is c


def test_summary_line() -> None:
    s = filter_summary(Filters(classes=("IV", "IV+V")), Settings(criteria="kdigo2024"), 56)
    assert s == "Class IV, IV+V · KDIGO 2024 · complete-case · n = 56"
    assert filter_summary(Filters()) == "All patients"
    assert filter_summary(Filters(age_min=18, age_max=40)) == "age 18–40"
