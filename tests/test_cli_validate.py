"""``python -m core validate`` (data-contract §7): counts, issues, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from core.cli.validate import main

FORMS = [("cohort_long.csv", None), ("cohort_wide.xlsx", "cohort_wide.mapping.json"),
         ("cohort_korean_cp949.csv", "cohort_korean.mapping.json"),
         ("cohort_workbook.xlsx", None)]
ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(("data", "mapping"), FORMS)
def test_json_counts_for_each_form(reference_dir, capsys, data, mapping):
    argv = [str(reference_dir / data), "--json"]
    if mapping:
        argv += ["--mapping", str(reference_dir / mapping)]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["patients"] == 90 and out["visits"] == 427
    assert out["groups"] == {"refractory": 49, "relapse": 41}
    assert out["classes"] == {"IV": 42, "V": 16, "IV+V": 14, "III": 13, "III+V": 5}
    assert out["errors"] == []
    # no problem in the file itself; the notes that leave patients out of an analysis follow
    assert [w for w in out["warnings"] if w["row"] is not None or w["column"]] == []
    left_out = [w["message"] for w in out["warnings"]]
    assert any(m.startswith("5 patients left out of sustained eGFR decline ≥ 30 %: no eGFR at "
                            "the baseline visit (IDs: PT021, PT026") for m in left_out), left_out


def test_text_output(reference_dir, capsys):
    argv = [str(reference_dir / "cohort_korean_cp949.csv"), "--mapping",
            str(reference_dir / "cohort_korean.mapping.json")]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "wide form, 90 patients, 427 visits" in out
    assert "groups: refractory 49, relapse 41" in out
    assert "classes: IV 42, V 16, IV+V 14, III 13, III+V 5" in out
    assert "0 error(s)" in out


def test_bad_file_exit_2_with_row_and_column(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("patient_id,month,upcr\nP1,0,abc\n", encoding="utf-8")
    assert main([str(bad), "--json"]) == 2
    out = json.loads(capsys.readouterr().out)
    assert out["errors"][0]["row"] == 2 and out["errors"][0]["column"] == "upcr"
    assert out["errors"][0]["value"] == "abc"
    assert main([str(bad)]) == 2
    assert "row 2, column 'upcr': 'abc' is text" in capsys.readouterr().out


def test_unreadable_and_missing_files_exit_2(tmp_path, capsys):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert main([str(empty)]) == 2
    assert "The file is empty" in capsys.readouterr().out
    assert main([str(tmp_path / "nope.csv")]) == 2
    bad_map = tmp_path / "m.json"
    bad_map.write_text("{", encoding="utf-8")
    assert main([str(empty), "--mapping", str(bad_map)]) == 2


def test_module_entry_point(reference_dir):
    proc = subprocess.run([sys.executable, "-m", "core", "validate",
                           str(reference_dir / "cohort_long.csv"), "--json"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["patients"] == 90
