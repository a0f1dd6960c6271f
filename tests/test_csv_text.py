"""core.report.export.csv_text writes exactly what pandas' to_csv writes (CSV bytes of every
report table must not change), and table_to_csv_bytes stays formula-safe."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.report.export.csv_text import csv_text
from core.report.export.safe import table_to_csv_bytes


def pandas_csv(df: pd.DataFrame) -> str:
    return df.to_csv(index=False, lineterminator="\r\n")


FLOATS = [0.0, -0.0, np.nan, 1e16, 9999999999999998.0, 1e-5, 1e-4, 0.1, 1 / 3, -2.5,
          np.inf, -np.inf, 1e300, 5e-324, 123456789.125]  # fmt: skip
TEXTS = ["a", "b,c", 'q"x', "", "l\nm", "cr\rx", "=1+1", "-1.5", "@x", "é한국", " pad ", None]


@pytest.mark.parametrize("seed", range(40))
def test_random_tables_match_pandas(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 60))
    texts = np.array(TEXTS, dtype=object)[rng.integers(0, len(TEXTS), n)]
    texts[rng.random(n) < 0.1] = np.nan
    df = pd.DataFrame({
        "fixed": np.array(FLOATS)[rng.integers(0, len(FLOATS), n)],
        "normal": rng.normal(size=n) * 10.0 ** rng.integers(-20, 20, n),
        "label": texts,
        "count": rng.integers(-5, 5, n),
        "flag": rng.random(n) < 0.5,
        'odd, "name"': texts[::-1].copy(),
    })  # fmt: skip
    assert csv_text(df) == pandas_csv(df)


def test_tables_it_cannot_vouch_for_go_to_pandas() -> None:
    one_column = pd.DataFrame({"a": ["", None, "x"]})  # pandas quotes a lone empty field
    mixed = pd.DataFrame({"a": ["x", 1, True, 2.5], "b": [1.0, 2.0, 3.0, 4.0]})
    category = pd.DataFrame({"a": pd.Categorical(["x", "y"]), "b": [1, 2]})
    empty = pd.DataFrame({"a": pd.Series([], dtype=float), "b": pd.Series([], dtype=object)})
    for df in (one_column, mixed, category, empty):
        assert csv_text(df) == pandas_csv(df)
    assert csv_text(one_column) == 'a\r\n""\r\n""\r\nx\r\n'


def test_table_csv_bytes_are_formula_safe_with_repeated_labels() -> None:
    df = pd.DataFrame({"group": ["=cmd()", "relapse", None, "=cmd()"], "n": [1, 2, 3, 4],
                       "mixed": [True, "+x", 1, "-1.5"]})  # fmt: skip
    text = table_to_csv_bytes(df).decode("utf-8-sig")
    assert text == (
        "group,n,mixed\r\n'=cmd(),1,True\r\nrelapse,2,'+x\r\n,3,1\r\n'=cmd(),4,-1.5\r\n"
    )


def test_tables_written_in_row_chunks_match_pandas(monkeypatch: pytest.MonkeyPatch) -> None:
    from core.report.export import csv_text as module

    monkeypatch.setattr(module, "CHUNK_ROWS", 7)
    rng = np.random.default_rng(3)
    for n in (0, 1, 7, 8, 15, 50):
        df = pd.DataFrame({"x": rng.normal(size=n),
                           "label": np.array(["a", "b,c", None], dtype=object)[rng.integers(0, 3, n)]})  # fmt: skip
        assert module.csv_text(df) == pandas_csv(df)
    late_number = pd.DataFrame({"x": np.arange(10.0), "label": ["a"] * 9 + [1]})  # chunk 2
    assert module.csv_text(late_number) == pandas_csv(late_number)
