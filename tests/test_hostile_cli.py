"""Nothing crashes on the command line: the hostile corpus through ``python -m core``.

In-process (``core.__main__.main(argv)``): ``validate`` for every case and
``report --tables-only`` for every refused case and the load cases with numbers to check
(at least one per category); exit 0 for a file that loads and 2 for one that is refused. On
exit 2 ``report`` writes exactly one stderr line naming the problem (contract §7) and
``validate`` prints the problem, never a traceback. A few cases run as real subprocesses.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hostile.case import csv_base  # noqa: E402
from hostile.make_corpus import by_name, corpus  # noqa: E402
from hostile.runner import deadline, many_rows_xlsx, mentions  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CASES = corpus()


def _report_cases() -> list:
    """Every refused case, every load case with numbers to check, and at least one load case
    of each category (the core test already runs the analyses on every load case)."""
    chosen = [c for c in CASES if c.expect == "refuse" or c.rates]
    seen = {c.category for c in chosen if c.expect == "load"}
    for c in CASES:
        if c.expect == "load" and c.category not in seen:
            chosen.append(c)
            seen.add(c.category)
    return chosen


REPORT_CASES = _report_cases()
SUBPROCESS_CASES = ("empty_csv", "encrypted_xlsx", "xlsx_dimension_xfd", "cp949_korean_values",
                    "mapping_bad_json", "impossible_upcr")


def _files(case, folder: Path) -> list[str]:
    """Write the case's file (and mapping) into ``folder``; the CLI arguments that name them."""
    path = folder / case.filename
    path.write_bytes(case.data)
    args = [str(path)]
    if case.mapping is not None:
        mapping = folder / "mapping.json"
        raw = case.mapping if isinstance(case.mapping, bytes) else case.mapping_text.encode()
        mapping.write_bytes(raw)
        args += ["--mapping", str(mapping)]
    return args


def _run(argv: list[str], capsys, seconds: float) -> tuple[int, str, str]:
    from core.__main__ import main

    with deadline(seconds):
        code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def _no_traceback(*texts: str) -> None:
    for text in texts:
        assert "Traceback (most recent call last)" not in text


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_validate(case, tmp_path, capsys):
    code, out, err = _run(["validate", *_files(case, tmp_path)], capsys, case.max_seconds + 5)
    _no_traceback(out, err)
    if case.expect == "load":
        assert code == 0, f"{case.name}: exit {code}\n{out}\n{err}"
        if case.n_patients is not None:
            assert f"{case.n_patients} patients" in out
        return
    assert code == 2, f"{case.name}: exit {code}\n{out[:500]}"
    assert len(err.strip().splitlines()) <= 1, err
    assert mentions(case.must_mention, out + err), f"{case.name}: /{case.must_mention}/\n{out}{err}"


@pytest.mark.parametrize("case", REPORT_CASES, ids=lambda c: c.name)
def test_report_tables_only(case, tmp_path, capsys):
    out_dir = tmp_path / "out"
    argv = ["report", *_files(case, tmp_path), "--tables-only", "--out", str(out_dir)]
    code, out, err = _run(argv, capsys, case.max_seconds + (60 if case.expect == "load" else 5))
    _no_traceback(out, err)
    if case.expect == "load":
        assert code == 0, f"{case.name}: exit {code}\n{err}"
        assert (out_dir / "response_rates.csv").is_file()
        # a script reading the tables must not trip on a file without even a header
        headerless = [p.name for p in out_dir.glob("*.csv") if not p.read_bytes().strip()]
        assert headerless == [], f"{case.name}: CSV tables with no header line"
        if not case.rates:
            return
        rates = pd.read_csv(out_dir / "response_rates.csv")
        for month, group, n, cr, orr in case.rates:
            row = rates[(rates.month == month) & (rates.group.astype(str) == group)]
            assert row[["n_evaluable", "cr_n", "orr_n"]].values.tolist() == [[n, cr, orr]]
        return
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1, f"{case.name}: exit {code}, stderr {lines}"
    assert mentions(case.must_mention, lines[0]), f"{case.name}: /{case.must_mention}/ {lines[0]}"
    assert not out_dir.exists() or not any(out_dir.iterdir())


def test_max_rows_refuses_with_one_line(tmp_path, capsys):
    path = tmp_path / "cohort.csv"
    path.write_bytes(csv_base().encode())
    argv = ["report", str(path), "--max-rows", "10", "--tables-only", "--out", str(tmp_path / "o")]
    code, _, err = _run(argv, capsys, 30)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert mentions(r"row|visit", err) and "10" in err


def test_max_rows_is_enforced_while_reading(tmp_path, capsys):
    """--max-rows reaches the reader (core.ingest.io.Limits): a big sheet is not parsed to the end."""
    path = tmp_path / "big.xlsx"
    path.write_bytes(many_rows_xlsx(4000))  # 72,000 visit rows
    argv = ["report", str(path), "--max-rows", "1000", "--tables-only", "--out", str(tmp_path)]
    code, _, err = _run(argv, capsys, 60)
    assert code == 2 and len(err.strip().splitlines()) == 1
    # The reader's own refusal (it stops at the limit), not the count after loading.
    assert "over 1,000 rows" in err and "visit rows" not in err, err


def test_max_mb_refuses_a_larger_file_with_one_line(tmp_path, capsys):
    path = tmp_path / "cohort.csv"
    path.write_bytes(csv_base().encode())
    argv = ["report", str(path), "--max-mb", "0.0001", "--tables-only", "--out", str(tmp_path / "o")]
    code, _, err = _run(argv, capsys, 30)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert mentions(r"MB|bytes|large|limit", err), err


@pytest.mark.slow
@pytest.mark.parametrize("name", SUBPROCESS_CASES)
def test_real_subprocess(name, tmp_path):
    case = by_name(name)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env["PYTHONPATH"] = str(ROOT)
    commands = {
        "validate": ["validate", *_files(case, tmp_path)],
        "report": ["report", *_files(case, tmp_path), "--tables-only", "--out",
                   str(tmp_path / "out")],
    }
    for command, args in commands.items():
        proc = subprocess.run([sys.executable, "-m", "core", *args], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=120)
        _no_traceback(proc.stdout, proc.stderr)
        if case.expect == "load":
            assert proc.returncode == 0, (command, proc.stderr)
            continue
        assert proc.returncode == 2, (command, proc.stdout[-500:], proc.stderr)
        if command == "report":
            lines = proc.stderr.strip().splitlines()
            assert len(lines) == 1 and mentions(case.must_mention, lines[0]), lines
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "out") == sorted(
        [case.filename] + (["mapping.json"] if case.mapping is not None else []))
