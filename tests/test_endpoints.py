"""The file's own time-to-event columns and the notes that leave patients out (issue 11,
points 2 and 7; data-contract §4, §5, §7).

``tests/reference/endpoints/own_times.csv``: 36 patients in three arms, visits with eGFR only
(no UPCR, no response column), the file's own time in days (header ``days``) and event;
patient E07 has neither. ``own_times.R`` beside it writes the R reference numbers.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.analyses.registry import figure_title, table_title
from core.analyses.run import run_analyses
from core.cli.report import main as report_main
from core.cli.validate import main as validate_main
from core.ingest.load import load_path
from core.model.settings import Settings, event_name_option
from core.model.vocabulary import is_left_out_note, left_out_note, without_ids
from core.report.export.docx_tables import journal_title
from core.report.export.methods import methods_text
from core.report.figures.competing import plot_cif_curve
from core.report.figures.rmst import plot_rmst
from core.report.figures.ttr import plot_ttr_curve

HERE = Path(__file__).resolve().parent / "reference" / "endpoints"
DATA, MAPPING = HERE / "own_times.csv", HERE / "own_times.mapping.json"
SOURCE = "times as given in the file, column 'days', converted from days to months"


@pytest.fixture(scope="module")
def cohort():
    c = load_path(DATA, MAPPING)
    assert c.report.ok and not c.has_recorded_response
    return c


@pytest.fixture(scope="module")
def runs(cohort):
    return {
        "default": run_analyses(cohort, Settings()),
        "death": run_analyses(cohort, Settings(event_name="death")),
    }


def test_own_times_in_days_used_as_they_are(cohort, runs):
    raw = pd.read_csv(DATA).drop_duplicates("patient_id").set_index("patient_id")
    for run in runs.values():
        t = run.table("ttr_patients").set_index("patient_id")
        assert "E07" not in t.index and len(t) == 35
        given = raw.loc[t.index]
        np.testing.assert_allclose(t["time"], given["days"] / 30.4375, rtol=1e-15)
        assert (t["event"] == given["event"]).all()
        res = run.results["ttr_patients"]
        assert res.meta["time_source"] == SOURCE
        assert any(SOURCE in n for n in res.notes)
        assert any(n.startswith("1 patient left out of time to event: no time or no event")
                   and n.endswith("(IDs: E07).") for n in res.notes)  # fmt: skip
        # no visit-derived caveat: the times are the file's
        assert not any("interval-censored" in n for n in run.results["ttr_curve"].notes)


def test_full_time_to_event_tables_without_response_data(runs):
    run = runs["default"]
    for name in ("ttr_curve", "ttr_risk", "ttr_summary", "ttr_tests", "cox", "rmst",
                 "rmst_difference", "milestones", "cif_curve", "cif_tests", "cif_regression",
                 "ph_test", "pairwise_logrank", "competing_patients"):  # fmt: skip
        assert not run.table(name).empty, (name, run.results[name].notes)


def test_own_times_agree_with_r(runs):
    run = runs["default"]
    s = run.table("ttr_summary").set_index("group")
    exp = pd.read_csv(HERE / "expected_ttr_summary.csv").set_index("group")
    for g, row in exp.iterrows():
        assert (s.at[g, "n"], s.at[g, "n_events"]) == (row["n"], row["n_events"])
        for col in ("median_time", "median_ci_low", "median_ci_high"):
            if pd.isna(row[col]):
                assert pd.isna(s.at[g, col]), (g, col)
            else:
                assert s.at[g, col] == pytest.approx(row[col], rel=1e-5), (g, col)
    lr, exp_lr = run.table("ttr_tests").iloc[0], pd.read_csv(HERE / "expected_ttr_tests.csv").iloc[0]
    assert lr["statistic"] == pytest.approx(exp_lr["statistic"], rel=1e-5)
    assert lr["df"] == exp_lr["df"] and lr["p_value"] == pytest.approx(exp_lr["p_value"], rel=1e-5)
    cox = run.table("cox").set_index("group")
    assert set(cox["reference"]) == {"ZDV"}
    for g, row in pd.read_csv(HERE / "expected_cox.csv").set_index("group").iterrows():
        for col in ("hr", "ci_low", "ci_high", "p_value"):
            assert cox.at[g, col] == pytest.approx(row[col], rel=1e-5), (g, col)


def test_which_settings_derive_the_times(cohort):
    def source(settings: Settings) -> tuple[str, tuple[str, ...]]:
        res = run_analyses(cohort, settings, only=["time_to_response"]).results["ttr_patients"]
        return res.meta["time_source"], res.notes

    # the default criteria (kdigo2024 here), left alone or picked, keep the file's times
    assert source(Settings())[0] == SOURCE
    assert source(Settings(criteria="kdigo2024"))[0] == SOURCE
    # another rule set or an event of CR only derive them, and a note says why
    src, notes = source(Settings(criteria="eular2019"))
    assert src.startswith("derived from the visits under eular2019")
    assert any("The file's own times (column 'days') were not used because the response "
               "criteria were set to eular2019" in n for n in notes)  # fmt: skip
    src, notes = source(Settings(event="cr"))
    assert src.startswith("derived from the visits") and any("complete response (CR)" in n for n in notes)
    # a named event is the file's own, whatever the response settings
    assert source(Settings(event="cr", criteria="eular2019", event_name="death"))[0] == SOURCE


def test_event_name_in_titles_labels_and_methods(runs):
    run = runs["death"]
    assert run.settings.event_name == "death"
    fig = plot_ttr_curve(run)
    (f,) = fig.values()
    assert f.layout.title.text.startswith("Time to death")
    assert f.layout.xaxis.title.text == "Months to death"
    assert f.layout.yaxis.title.text == "Cumulative incidence of death (%)"
    assert table_title("ttr_summary", "death") == "Median time to death"
    assert table_title("ttr_summary") == "Median time to response"
    assert figure_title("ttr_curve", "death") == "Time to death"
    assert journal_title("ttr", "death") == "Table 4. Time to death"
    methods = methods_text(run)
    assert "Time to death: months from the start of therapy to death" in methods
    assert SOURCE in methods and "Median time to death" in methods
    assert run.results["ttr_curve"].notes[0].startswith("Cumulative incidence of death = 1 −")
    (cif,) = plot_cif_curve(run).values()
    assert cif.layout.title.text.startswith("Time to death") and len(cif.data) > 0
    (rm,) = plot_rmst(run).values()
    assert rm.layout.title.text.startswith("Restricted mean time without death")
    assert "death" in rm.layout.xaxis.title.text
    # the default run keeps the response words
    assert "Time to death" not in methods_text(runs["default"])


def test_event_name_without_own_times_falls_back(reference_dir):
    c = load_path(reference_dir / "cohort_long.csv")
    run = run_analyses(c, Settings(event_name="death"), only=["time_to_response"])
    assert run.settings.event_name is None  # the times are responses derived from visits
    assert any("names the file's own times; the file has none" in n
               for n in run.results["ttr_patients"].notes)  # fmt: skip


def test_event_name_setting_and_mapping_option():
    assert Settings(event_name="  renal   flare ").event_name == "renal flare"
    assert Settings(event_name=" ").event_name is None
    with pytest.raises(ValueError):
        Settings(event_name="x" * 61)
    assert event_name_option({"options": {"event_name": "death"}}) == "death"
    assert event_name_option({"columns": {}}) is None and event_name_option(None) is None


def test_left_out_note_names_up_to_20_patients():
    few = left_out_note(["P2", "P1"], "no visit after month 0", "time to response")
    assert few == "2 patients left out of time to response: no visit after month 0 (IDs: P1, P2)."
    assert left_out_note(["A"], "r") == "1 patient left out: r (IDs: A)."
    many = left_out_note([f"P{i:02d}" for i in range(21)], "no baseline eGFR")
    assert many == "21 patients left out: no baseline eGFR." and "IDs" not in many
    assert len(left_out_note([f"P{i:02d}" for i in range(20)], "x").split(", ")) == 20
    assert is_left_out_note(few) and is_left_out_note(many) and not is_left_out_note("2 left")
    assert without_ids(few) == "2 patients left out of time to response: no visit after month 0."


def test_notes_say_the_real_reason(cohort):
    # kidney outcomes: the reason per outcome, not "without baseline value or follow-up"
    rows = ["patient_id,group,month,egfr,creatinine"]
    for i in range(1, 6):
        rows += [f"K{i},A,0,{'' if i == 1 else 80},1.0", f"K{i},A,6,70,1.1"]
    rows += ["K6,B,0,80,1.0"]  # no visit after month 0
    rows += [f"K{i},B,0,80,1.0\nK{i},B,6,75,1.2" for i in range(7, 10)]
    c = load_path_text("\n".join(rows))
    notes = run_analyses(c, Settings(), only=["kidney_outcomes"]).results["kidney_outcomes"].notes
    assert "1 patient left out of sustained eGFR decline ≥ 30 %: no eGFR at the baseline visit (IDs: K1)." in notes
    assert any(n.startswith("1 patient left out of sustained eGFR decline ≥ 30 %: no visit after "
                            "month 0 (IDs: K6)") for n in notes), notes  # fmt: skip


def load_path_text(text: str):
    from core.ingest.load import load_cohort

    c = load_cohort(text.encode(), "k.csv")
    assert c.report.ok, c.report.to_frame()
    return c


def test_suppression_removes_ids_from_notes(cohort):
    run = run_analyses(cohort, Settings(suppression_threshold=5), only=["time_to_response"])
    notes = [n for r in run.results.values() for n in r.notes]
    assert any(n.startswith("1 patient left out of time to event") for n in notes)
    assert not any("E07" in n for n in notes)


def test_validate_prints_left_out_notes_as_warnings(capsys):
    assert validate_main([str(DATA), "--mapping", str(MAPPING)]) == 0
    out = capsys.readouterr().out
    assert "1 patient left out of time to event: no time or no event in the file's column " \
           "'days' or ttr_event (IDs: E07)." in out  # fmt: skip
    assert validate_main([str(DATA), "--mapping", str(MAPPING), "--json"]) == 0
    warnings = json.loads(capsys.readouterr().out)["warnings"]
    assert any(w["message"].endswith("(IDs: E07).") and w["row"] is None for w in warnings)


def test_cli_event_name(tmp_path):
    out = tmp_path / "o"
    argv = [str(DATA), "--mapping", str(MAPPING), "--event-name", "death", "--tables-only",
            "--out", str(out)]  # fmt: skip
    assert report_main(argv) == 0
    notes = (out / "notes.txt").read_text(encoding="utf-8")
    assert "[ttr_curve] Cumulative incidence of death = 1 − Kaplan–Meier" in notes
    assert SOURCE in notes
    summary = pd.read_csv(out / "ttr_summary.csv", encoding="utf-8-sig")
    assert set(summary["group"]) == {"ZDV", "ddI", "ZDV+ddI", "All"}
