"""The run: filters applied and settings resolved once; data conditions become notes;
unexpected exceptions are internal errors (a note for users, a log line without values, and
raised under the test suite)."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import pytest

import core.analyses.run as run_module
from core.analyses.registry import ANALYSES, TABLE_NAMES
from core.analyses.run import run_analyses
from core.analyses.spec import AnalysisSkipped
from core.ingest.load import load_path
from core.model.results import AnalysisRun
from core.model.settings import Filters, Settings

REF = Path(__file__).parent / "reference"


@pytest.fixture(scope="module")
def cohort():
    return load_path(REF / "cohort_long.csv")


def test_run_resolves_settings_once_and_keeps_every_input(cohort) -> None:
    run = run_analyses(cohort, Settings(), Filters(classes=("IV", "IV+V")))
    assert isinstance(run, AnalysisRun)
    assert run.settings.criteria == "recorded" and run.settings.reference == "refractory"
    assert run.cohort is cohort and len(run.filtered.patients) == 56
    assert run.summary.endswith("n = 56") and "Class IV, IV+V" in run.summary
    assert list(run.results) == list(TABLE_NAMES)
    assert all(r.meta["summary"] == run.summary for r in run.results.values())


def test_only_computes_the_named_analyses(cohort) -> None:
    run = run_analyses(cohort, only=["time_to_response"])
    assert set(run.results) == {t.name for a in ANALYSES if a.name == "time_to_response"
                                for t in a.tables}  # fmt: skip


def _spec_raising(name: str, exc: Exception):
    def compute(ctx):
        raise exc

    return tuple(replace(a, compute=compute) if a.name == name else a for a in ANALYSES)


def test_a_data_condition_is_a_note_on_every_table(cohort, monkeypatch) -> None:
    monkeypatch.setattr(run_module, "ANALYSES", _spec_raising("dsdna_shift",
                        AnalysisSkipped("No anti-dsDNA in this file.")))  # fmt: skip
    run = run_analyses(cohort)
    res = run.results["dsdna_shift"]
    assert res.table.empty and res.notes == ("No anti-dsDNA in this file.",)
    assert not run.results["paired_changes"].table.empty  # the others are untouched


def test_an_unexpected_error_is_raised_under_the_tests(cohort, monkeypatch) -> None:
    assert run_module.STRICT  # tests/conftest.py sets LN_STRICT_ANALYSES=1
    monkeypatch.setattr(run_module, "ANALYSES", _spec_raising("table1", KeyError("x")))
    with pytest.raises(KeyError):
        run_analyses(cohort)


def test_for_users_an_unexpected_error_is_a_note_and_a_log_line_without_values(
    cohort, monkeypatch, caplog
) -> None:
    secret = "PT001 creatinine 9.87"  # as if the exception message quoted the data
    monkeypatch.setattr(run_module, "STRICT", False)
    monkeypatch.setattr(run_module, "ANALYSES", _spec_raising("table1", ValueError(secret)))
    with caplog.at_level(logging.ERROR, logger="core.analyses.run"):
        run = run_analyses(cohort)
    note = run.results["table1"].notes[0]
    assert "internal error" in note and "ValueError" in note and secret not in note
    assert "table1" in caplog.text and "ValueError" in caplog.text
    assert secret not in caplog.text
    assert not run.results["response_rates"].table.empty


def test_one_group_notes_the_comparisons(cohort) -> None:
    run = run_analyses(cohort, Settings(), Filters(groups=("relapse",)))
    for name in ("response_tests", "response_difference", "change_between_groups", "ttr_tests",
                 "cox"):  # fmt: skip
        assert any("Only one group" in n for n in run.results[name].notes), name


def test_no_patient_after_filters(cohort) -> None:
    run = run_analyses(cohort, Settings(), Filters(classes=("VI",)))
    assert run.n_patients == 0
    assert not run.results["flow"].table.empty
    assert all(r.table.empty for n, r in run.results.items() if n != "flow")


def test_the_response_audit_is_not_listed_above_its_limit(cohort, monkeypatch) -> None:
    import core.analyses.response_audit as audit

    monkeypatch.setattr(audit, "AUDIT_MAX_PATIENTS", 10)
    res = run_analyses(cohort, only=["response_audit"]).results["response_audit"]
    assert res.table.empty and "not listed for 90 patients" in res.notes[0]
