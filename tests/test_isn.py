"""ISN/RPS class normalisation (clinical-rules §4; validation README class texts)."""

from __future__ import annotations

import pandas as pd
import pytest

from core.ingest.isn import normalise_class, normalise_classes


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("IV", "IV"), ("IV-G (A)", "IV"), ("4", "IV"), ("Class IV", "IV"), ("IV-S (A/C)", "IV"),
        ("III", "III"), ("class III", "III"), ("III (A/C)", "III"), ("3", "III"),
        ("V", "V"), ("class V", "V"), ("5", "V"),
        ("III+V", "III+V"), ("V+III", "III+V"), ("III/V", "III+V"), ("Ⅲ+Ⅴ", "III+V"),
        ("IV+V", "IV+V"), ("IV + V", "IV+V"), ("V+IV", "IV+V"), ("4+5", "IV+V"),
        ("IV-G (A) + V", "IV+V"), ("IV/V", "IV+V"), ("Ⅳ+Ⅴ", "IV+V"),
        ("Ⅳ", "IV"), ("Ⅲ", "III"), ("Ⅴ", "V"), ("WHO class IV", "IV"), ("LN IV", "IV"),
        ("4형", "IV"), ("ISN/RPS IV", "IV"), ("IV-G A/C", "IV"), ("II", "II"), ("VI", "VI"),
        (" iv ", "IV"),
    ],
)
def test_class_variants(text, expected):
    assert normalise_class(text) == (expected, None)


@pytest.mark.parametrize("text", ["VII", "0", "7", "III+IV", "foo", "IV+VI"])
def test_impossible_classes_are_problems(text):
    cls, problem = normalise_class(text)
    assert cls is None
    assert text in problem


def test_empty_is_missing_not_a_problem():
    assert normalise_class("") == (None, None)
    assert normalise_class(None) == (None, None)


def test_vectorised_keeps_detail():
    cls, detail, problem = normalise_classes(pd.Series(["IV-G (A)", None, "VII", "Ⅳ"]))
    assert cls.tolist() == ["IV", None, None, "IV"]
    assert detail.tolist() == ["IV-G (A)", None, "VII", "Ⅳ"]
    assert problem.notna().tolist() == [False, False, True, False]
