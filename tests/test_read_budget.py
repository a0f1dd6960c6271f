"""Bounded work per upload (issue 11, point 6): every file is read or refused within the CPU
budget, ``Limits.max_read_cpu_seconds`` (5 s).

The measure is CPU seconds of the reading step (``time.process_time`` around ``read_table``,
every thread of the process), not wall time, so a busy machine does not make a slow reader
pass or a fast one fail.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hostile.make_corpus import corpus  # noqa: E402
from hostile.runner import mentions  # noqa: E402

from core.ingest.io import Limits, read_table  # noqa: E402

BUDGET_S = Limits().max_read_cpu_seconds
WORST = [c for c in corpus() if c.category in ("bomb", "budget", "huge_xlsx")
         or c.name in ("xlsx_formatted_empty_rows_cols", "xlsx_size_lie")]


def _cpu_read(data: bytes, filename: str):
    start = time.process_time()
    raw = read_table(data, filename)
    return raw, time.process_time() - start


def test_the_budget_is_five_seconds():
    assert BUDGET_S == 5.0


@pytest.mark.parametrize("case", WORST, ids=lambda c: c.name)
def test_worst_case_upload_is_read_or_refused_within_the_budget(case):
    raw, cpu = _cpu_read(case.data, case.filename)
    assert cpu < BUDGET_S, f"{case.name}: {cpu:.2f} s CPU"
    errors = [i.message for i in raw.issues if i.severity == "error"]
    if case.expect == "refuse":  # the reading step's own refusal (load cases may still load)
        assert errors and any(mentions(case.must_mention, e) for e in errors), errors


def test_largest_csv_of_tiny_cells_is_refused_within_the_budget():
    """The worst CSV under the default size limits: 2 million lines of 25 one-character
    cells (50 million cells, 100 MB), which takes longer to parse than the budget allows."""
    width, lines = 25, 1_999_999  # with the header; counted with the empty last line: 2,000,000
    header = ",".join(f"c{i}" for i in range(width)) + "\n"
    data = header.encode() + (",".join("1" * width) + "\n").encode() * (lines - 1)
    assert (data.count(b"\n") + 1) * width == Limits().max_cells  # just under every limit
    assert len(data) <= Limits().max_file_bytes
    raw, cpu = _cpu_read(data, "cohort.csv")
    assert cpu < BUDGET_S, f"{cpu:.2f} s CPU"
    if not raw.ok:  # a fast machine may read it all; else the budget, not a size, stops it
        assert "seconds of computing time" in raw.issues[0].message, raw.issues
