"""``python -m core report`` (data-contract §7): options, outputs and exit codes."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pytest

from core.__main__ import main
from core.analyses.run import TABLE_NAMES

REF = Path(__file__).parent / "reference"
LONG = str(REF / "cohort_long.csv")


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["report", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_tables_only_writes_every_table(tmp_path: Path, capsys) -> None:
    code, out, _ = run(capsys, LONG, "--tables-only", "--out", str(tmp_path))
    assert code == 0 and "n = 90" in out
    for name in TABLE_NAMES:
        assert (tmp_path / f"{name}.csv").is_file(), name
    rates = pd.read_csv(tmp_path / "response_rates.csv")
    # full precision: 45/83 as a double, not rounded for display
    assert rates.loc[(rates["month"] == 6) & (rates["group"] == "All"), "orr_pct"].item() == (
        100 * 45 / 83
    )
    assert not (tmp_path / "report.zip").exists()


def test_options_reach_the_analysis(tmp_path: Path, capsys) -> None:
    code, out, _ = run(
        capsys,
        LONG,
        "--criteria",
        "creatinine15",
        "--landmarks",
        "3",
        "9",
        "--window",
        "0.5",
        "--missing",
        "non-responder",
        "--event",
        "cr",
        "--ci",
        "wilson",
        "--reference",
        "relapse",
        "--group",
        "refractory",
        "relapse",
        "--class",
        "IV",
        "4",
        "IV+V",
        "--tables-only",
        "--zip",
        "--out",
        str(tmp_path),
    )
    assert code == 0, out
    assert "Class IV, IV+V ·" in out and "creatinine ≤ 1.15 × baseline" in out and "non-responder" in out
    rates = pd.read_csv(tmp_path / "response_rates.csv")
    assert sorted(set(rates["month"])) == [3, 9]
    assert (rates.loc[rates["group"] == "All", "n_evaluable"] == 56).all()  # non-responder
    diff = pd.read_csv(tmp_path / "response_difference.csv")
    assert set(diff["reference"]) == {"relapse"} and set(diff["group"]) == {"refractory"}
    sens = pd.read_csv(tmp_path / "criteria_sensitivity.csv")
    assert "creatinine15" in set(sens["criteria"])
    with zipfile.ZipFile(tmp_path / "report.zip") as z:
        assert {"tables/response_rates.csv", "README.txt"} <= set(z.namelist())


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["nope.csv"], "nope.csv"),
        ([LONG, "--class", "VII"], "class"),
        ([LONG, "--criteria", "whatever"], "criteria"),
        ([LONG, "--group", "elsewhere"], "elsewhere"),
        ([LONG, "--reference", "elsewhere"], "elsewhere"),
        ([LONG, "--window", "5"], "window"),
        ([LONG, "--landmarks", "0"], "landmarks"),
        ([LONG, "--max-rows", "10"], "limit is 10"),
        ([LONG, "--mapping", "missing.json"], "missing.json"),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path: Path, capsys, args, needle) -> None:
    code, _, err = run(capsys, *args, "--tables-only", "--out", str(tmp_path / "o"))
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0]


def test_validation_errors_need_drop_invalid(tmp_path: Path, capsys) -> None:
    d = pd.read_csv(LONG, dtype=str)
    d.loc[3, "upcr"] = "80"  # > 50 g/g: an error (clinical-rules §4)
    bad = tmp_path / "bad.csv"
    d.to_csv(bad, index=False)
    code, _, err = run(capsys, str(bad), "--tables-only", "--out", str(tmp_path / "a"))
    assert code == 2 and "--drop-invalid" in err and len(err.strip().splitlines()) == 1
    code, _, _ = run(
        capsys, str(bad), "--drop-invalid", "--tables-only", "--out", str(tmp_path / "b")
    )
    assert code == 0
    pc = pd.read_csv(tmp_path / "b" / "paired_changes.csv")
    assert (pc["n_pairs"] > 0).any()


def test_one_group_and_no_response_are_notes(tmp_path: Path, capsys) -> None:
    d = pd.read_csv(LONG, dtype=str).drop(columns=["response"])
    d = d[d["group"] == "relapse"]
    f = tmp_path / "one.csv"
    d.to_csv(f, index=False)
    code, out, _ = run(capsys, str(f), "--tables-only", "--out", str(tmp_path / "o"))
    assert code == 0 and "KDIGO 2024" in out  # nothing recorded: derived by default
    notes = (tmp_path / "o" / "notes.txt").read_text(encoding="utf-8")
    assert "Only one group" in notes
    code, _, _ = run(
        capsys, str(f), "--criteria", "recorded", "--tables-only", "--out", str(tmp_path / "r")
    )
    notes = (tmp_path / "r" / "notes.txt").read_text(encoding="utf-8")
    assert code == 0 and "response analyses skipped" in notes


def test_full_report_writes_workbook(tmp_path: Path, capsys, monkeypatch) -> None:
    """The full path hands over to core.report.export (figures stubbed here; the demo test below
    exports them for real)."""
    import core.report.figures

    monkeypatch.setattr(core.report.figures, "build_figures", lambda *a, **k: {})
    code, out, _ = run(capsys, LONG, "--class", "IV", "--out", str(tmp_path))
    assert code == 0, out
    assert (tmp_path / "report.xlsx").is_file()
    assert (tmp_path / "response_rates.csv").is_file()


@pytest.mark.slow
def test_full_report_on_the_demo_exports_every_figure(tmp_path: Path, capsys) -> None:
    """``report`` on the demo writes each figure as PNG, SVG and HTML sharing one
    plotly.min.js, plus the workbook, Word tables, methods and the ZIP (figure export is
    tested once, here, end to end)."""
    from core.report.images import images_available

    demo = Path(__file__).parents[1] / "data" / "demo" / "demo_cohort_long.csv"
    code, out, _ = run(capsys, str(demo), "--zip", "--out", str(tmp_path))
    assert code == 0, out
    names = {p.name for p in tmp_path.iterdir()}
    for name in (
        "report.xlsx",
        "tables.docx",
        "report.html",
        "methods.md",
        "provenance.json",
        "reproduce.py",
        "report.zip",
        "plotly.min.js",
        "ttr_curve.html",
    ):
        assert name in names, name
    html = (tmp_path / "ttr_curve.html").read_text(encoding="utf-8")
    assert 'src="plotly.min.js"' in html and "cdn.plot.ly" not in html
    if images_available():
        png = (tmp_path / "ttr_curve.png").read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        assert (
            (tmp_path / "response_rates.svg")
            .read_text(encoding="utf-8")
            .lstrip()
            .startswith(("<svg", "<?xml"))
        )
    rates = pd.read_csv(tmp_path / "response_rates.csv", encoding="utf-8-sig")
    six = rates[(rates["month"] == 6) & (rates["group"] == "All")].iloc[0]
    assert (six["n_evaluable"], six["cr_n"], six["pr_n"]) == (26, 4, 10)
    twelve = rates[(rates["month"] == 12) & (rates["group"] == "All")].iloc[0]
    assert (twelve["n_evaluable"], twelve["cr_n"], twelve["pr_n"]) == (27, 7, 8)
    assert round(six["orr_pct"], 1) == 53.8 and round(twelve["orr_pct"], 1) == 55.6
    changes = pd.read_csv(tmp_path / "paired_changes.csv", encoding="utf-8-sig")
    steroid = changes[
        (changes["measure"] == "steroid_mg") & (changes["month"] == 6) & (changes["group"] == "All")
    ].iloc[0]
    assert steroid["median_change"] < 0 and steroid["wilcoxon_p"] < 0.05


def test_durability_options_reach_the_tables(tmp_path: Path, capsys) -> None:
    """--audit-every-visit lists every visit's call; --confirm-weeks changes what confirms."""
    demo = REF.parent.parent / "data" / "demo" / "demo_cohort_long.csv"
    base, more = tmp_path / "base", tmp_path / "more"
    assert run(capsys, str(demo), "--tables-only", "--out", str(base))[0] == 0
    assert run(capsys, str(demo), "--tables-only", "--audit-every-visit", "--confirm-weeks",
               "52", "--out", str(more))[0] == 0  # fmt: skip
    a0, a1 = (pd.read_csv(d / "response_audit.csv") for d in (base, more))
    assert len(a1) > len(a0)
    s0, s1 = (pd.read_csv(d / "sustained_response.csv") for d in (base, more))
    c0, c1 = (s[s["kind"] == "confirmed"]["n_yes"].sum() for s in (s0, s1))
    assert c1 < c0  # a 52-week gap confirms fewer responses than 4 weeks


def test_labels_clinical_writes_human_csvs_with_diagnostics_apart(tmp_path: Path, capsys) -> None:
    """``--labels clinical``: clinical headers, values as words, full precision, and the
    diagnostics (``wilcoxon_V``, ``p_method``…) in ``<table>_diagnostics.csv``; the default
    keeps machine names and writes no diagnostics file."""
    machine, clinical = tmp_path / "machine", tmp_path / "clinical"
    assert run(capsys, LONG, "--tables-only", "--out", str(machine))[0] == 0
    assert run(capsys, LONG, "--tables-only", "--labels", "clinical", "--out", str(clinical))[0] == 0
    raw = pd.read_csv(machine / "paired_changes.csv")
    assert {"wilcoxon_V", "wilcoxon_method"} <= set(raw.columns)
    assert not list(machine.glob("*_diagnostics.csv"))

    human = pd.read_csv(clinical / "paired_changes.csv")
    assert "Wilcoxon p" in human.columns and "Pairs (n)" in human.columns
    assert not {"wilcoxon_V", "wilcoxon_method", "Wilcoxon V statistic"} & set(human.columns)
    assert human["Wilcoxon p"].tolist() == pytest.approx(raw["wilcoxon_p"].tolist(), nan_ok=True)
    diag = pd.read_csv(clinical / "paired_changes_diagnostics.csv")
    assert {"Measure", "Wilcoxon V statistic", "Wilcoxon variant"} <= set(diag.columns)
    assert set(diag["Wilcoxon variant"].dropna()) <= {
        "Exact", "Normal approximation with continuity correction"}  # fmt: skip
    table1 = pd.read_csv(clinical / "table1.csv")
    assert "p_method" not in table1.columns and (clinical / "table1_diagnostics.csv").is_file()
    tests = pd.read_csv(clinical / "response_tests.csv")
    assert "fisher_exact" not in set(tests["Test"]) and "Fisher's exact test" in set(tests["Test"])
