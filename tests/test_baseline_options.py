"""Issue 11 points 4 and 8: free text is never a baseline variable or a filter, extra numeric
measures at baseline are Table 1 rows, the user's include/exclude and the clinical conveniences
(anti-dsDNA cutoff, censored titres, eGFR from creatinine, invalid values set to missing) are
remembered in the mapping's ``options`` (data-contract §3) and read back."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from docx import Document

from core.__main__ import main
from core.analyses.run import run_analyses
from core.analyses.table1 import baseline_table, baseline_variables
from core.ingest.load import load_cohort, load_path
from core.ingest.mapping import mapping_to_json, parse_mapping_json, validate_mapping
from core.model.dsdna import censored_counts, derive_positivity
from core.model.filters import filter_columns, patient_mask
from core.model.settings import Filters, Settings, options_settings, remember_choices
from core.model.variables import is_free_text
from core.report.export.docx_tables import docx_table_texts, journal_tables_docx
from core.report.export.methods import methods_text

NOTES = [
    "biopsy repeated after a flare in spring",
    "lost to follow-up, moved to Busan",
    "switched after intolerance to MMF",
    "pregnant during year two",
    "refused rituximab at first",
    "hydroxychloroquine stopped (retina)",
    "second opinion from another centre",
    "poor adherence reported by family",
    "renal vein thrombosis excluded",
    "dialysis briefly in month one",
    "no remarks",
    "infection at week eight",
]


def long_frame(n: int = 12) -> pd.DataFrame:
    """A long export: two groups, a notes column, a centre column, an extra lab (CD4), a
    creatinine without eGFR, and censored anti-dsDNA titres; no positivity column."""
    rows = []
    for i in range(n):
        pid = f"P{i + 1:02d}"
        for month in (0, 6, 12):
            titre = ["<10", ">300", "25", "8", "160", "<20"][(i + month) % 6]
            rows.append({
                "patient_id": pid,
                "group": "refractory" if i % 2 else "relapse",
                "sex": "F" if i % 3 else "M",
                "age": 25 + i,
                "centre": "Seoul" if i % 2 else "Busan",
                "comment": NOTES[i % len(NOTES)],
                "month": month,
                "upcr": 3.0 - 0.1 * month + 0.05 * i,
                "creatinine": 0.8 + 0.01 * i,
                "anti_dsdna": titre,
                "cd4": 400 + 10 * i + month,
            })
    return pd.DataFrame(rows)


def csv_bytes(df: pd.DataFrame) -> bytes:
    return df.to_csv(index=False).encode("utf-8")


@pytest.fixture(scope="module")
def cohort():
    c = load_cohort(csv_bytes(long_frame()), "export.csv")
    assert c.ok, c.report.errors
    return c


# --- free text ------------------------------------------------------------------------------


def test_free_text_rule() -> None:
    s = pd.Series
    assert is_free_text("비고", s(["a", "b"]))  # the header names notes
    assert is_free_text("Comment (clinician)", s(["yes"] * 3))
    assert not is_free_text("denote", s(["a", "b", "a"]))  # a word, not a header word
    assert is_free_text("x", s(["a fairly long sentence about this patient's course"] * 3))
    many = s([f"text {k}" for k in range(10)])
    assert is_free_text("x", many)  # 10 values, all distinct
    assert not is_free_text("x", many[:9])  # fewer than 10 values: not decided by distinctness
    assert not is_free_text("centre", s(["Seoul", "Busan"] * 6))
    assert not is_free_text("x", s([str(k) for k in range(12)]))  # numbers written as text
    assert not is_free_text("note", s(np.arange(12.0)))  # numeric columns never


def test_free_text_is_not_a_row_and_extra_measures_at_baseline_are(cohort) -> None:
    res = baseline_table(cohort, Settings())
    variables = list(dict.fromkeys(res.table["variable"]))
    assert "comment" not in variables
    assert "centre" in variables
    assert "cd4" in variables and "egfr" in variables
    assert any("Free text is not tabulated: 'comment'" in n for n in res.notes)
    cd4 = res.table[res.table["variable"] == "cd4"].iloc[0]
    base = long_frame().query("month == 0")
    expected = np.median(base["cd4"])
    assert cd4["All"].startswith(f"{expected:g} (")
    assert cd4["n_missing"] == 0 and cd4["test"] == "wilcoxon_rank_sum"


def test_free_text_is_not_a_filter(cohort) -> None:
    assert filter_columns(cohort.patients) == ["centre"]
    keep = patient_mask(cohort.patients, Filters(extra=(("comment", (NOTES[0],)),)))
    assert keep.all()  # a stale filter on free text is ignored
    keep = patient_mask(cohort.patients, Filters(extra=(("centre", ("Seoul",)),)))
    assert keep.sum() == 6


def test_include_and_exclude(cohort) -> None:
    s = Settings(baseline_include=("comment",), baseline_exclude=("age", "cd4"))
    res = baseline_table(cohort, s)
    variables = set(res.table["variable"])
    assert "comment" in variables and not {"age", "cd4"} & variables
    assert any("Left out of the table by choice: age, cd4." == n for n in res.notes)
    names = {v.name: v for v in baseline_variables(cohort)}
    assert names["comment"].reason == "free text" and not names["comment"].default
    with pytest.raises(ValueError):
        Settings(baseline_include=("age",), baseline_exclude=("age",))


def test_word_table_follows(cohort) -> None:
    run = run_analyses(cohort, Settings(baseline_exclude=("sex",)), only=["table1"])
    labels = [row[0] for row in docx_table_texts(journal_tables_docx(run))[0][1:]]
    assert not any("comment" in lab or lab.startswith("Sex") for lab in labels)
    assert any(lab.startswith("cd4") for lab in labels)
    doc = Document(io.BytesIO(journal_tables_docx(run)))
    assert doc.tables


# --- mapping options ----------------------------------------------------------------------


def test_options_are_validated_with_one_sentence() -> None:
    ok, err = validate_mapping({"columns": {}, "options": {
        "drop_invalid": True, "anti_dsdna_cutoff": {"value": 15, "unit": "iu/ml"},
        "event_name": " death ", "baseline_include": ["comment"], "baseline_exclude": ["age"]}})
    assert err is None
    assert ok["options"] == {"drop_invalid": True,
                             "anti_dsdna_cutoff": {"value": 15.0, "unit": "IU/mL"},
                             "event_name": "death", "baseline_include": ["comment"],
                             "baseline_exclude": ["age"]}
    for options, word in (({"colour": 1}, "unknown option 'colour'"),
                          ({"drop_invalid": "yes"}, "'drop_invalid' must be true or false"),
                          ({"anti_dsdna_cutoff": 15}, "'anti_dsdna_cutoff' must be an object"),
                          ({"anti_dsdna_cutoff": {"value": -1}}, "above 0"),
                          ({"anti_dsdna_cutoff": {"value": 15, "unit": "mg"}}, "not a unit"),
                          ({"baseline_include": "age"}, "list of column"),
                          ({"baseline_include": ["a"], "baseline_exclude": ["a"]}, "both"),
                          ([], "must be an object")):
        mapping, err = validate_mapping({"options": options})
        assert mapping is None and word in err and err.count(".") <= 3, err


def test_include_exclude_and_cutoff_round_trip(cohort) -> None:
    chosen = Settings(baseline_include=("comment",), baseline_exclude=("age",),
                      dsdna_cutoff=15, dsdna_cutoff_unit="U/mL")
    saved = mapping_to_json(remember_choices(cohort.mapping, chosen))
    back, err = parse_mapping_json(saved.encode("utf-8"))
    assert err is None
    again = Settings(**options_settings(back["options"]))
    assert (again.baseline_include, again.baseline_exclude) == (("comment",), ("age",))
    assert (again.dsdna_cutoff, again.dsdna_cutoff_unit) == (15.0, "U/mL")
    # the loader keeps them on the cohort's mapping (browser and CLI read them from there)
    c = load_cohort(csv_bytes(long_frame()), "export.csv", back)
    assert options_settings(c.mapping["options"]) == options_settings(back["options"])
    # a choice taken back is no longer remembered
    assert "options" not in remember_choices(back, Settings())


# --- anti-dsDNA cutoff and censored titres -------------------------------------------------


def test_cutoff_derivation_never_overrides_and_reads_censoring() -> None:
    v = pd.DataFrame({
        "anti_dsdna": [20.0, 10.0, 10.0, 30.0, 300.0, 100.0, 5.0, np.nan],
        "anti_dsdna_censored": ["", "<", "<", ">", ">", ">", "", None],
        "anti_dsdna_pos": pd.array([pd.NA, pd.NA, pd.NA, pd.NA, pd.NA, pd.NA, True, pd.NA],
                                   dtype="boolean"),
    })
    out, counts = derive_positivity(v, 15.0)
    assert out["anti_dsdna_pos"].tolist() == [True, False, False, True, True, True, True, pd.NA]
    assert (counts.positive, counts.negative, counts.undetermined, counts.recorded) == (4, 2, 0, 1)
    out, counts = derive_positivity(v, 200.0)
    # '>30', '>100' with a cutoff of 200: not decided; '<10' below it: negative
    assert out["anti_dsdna_pos"].tolist()[:6] == [False, False, False, pd.NA, True, pd.NA]
    assert counts.undetermined == 2
    out, counts = derive_positivity(v, 8.0)  # '<10' with a cutoff of 8: not decided
    assert out["anti_dsdna_pos"].tolist()[1:3] == [pd.NA, pd.NA]


def test_cutoff_feeds_the_shift_table_with_a_note(cohort) -> None:
    plain = run_analyses(cohort, Settings(), only=["dsdna_shift"]).results["dsdna_shift"]
    assert plain.table.empty
    res = run_analyses(cohort, Settings(dsdna_cutoff=15), only=["dsdna_shift"]).results[
        "dsdna_shift"]
    assert not res.table.empty
    note = next(n for n in res.notes if n.startswith("Anti-dsDNA positivity derived"))
    assert "at or above 15 IU/mL" in note and "never overridden" in note
    assert "not comparable" not in note  # the titres carry no unit: none to compare
    u = load_cohort(csv_bytes(long_frame().rename(columns={"anti_dsdna": "anti-dsDNA (IU/mL)"})),
                    "x.csv")
    res = run_analyses(u, Settings(dsdna_cutoff=15, dsdna_cutoff_unit="U/mL"),
                       only=["dsdna_shift"]).results["dsdna_shift"]
    assert any("cutoff is in U/mL and the titres in IU/mL" in n for n in res.notes)


def test_censored_titres_are_counted_in_notes_and_methods(cohort) -> None:
    below, above = censored_counts(cohort.visits)
    assert (below, above) == (12, 6)
    run = run_analyses(cohort, Settings(dsdna_cutoff=15), only=["table1", "dsdna_shift"])
    for name in ("table1", "dsdna_shift"):
        assert any(n.startswith("18 anti-dsDNA titre(s) were censored (12 below")
                   for n in run.results[name].notes), name
    text = methods_text(run, versions={"python": "3"})
    assert "18 anti-dsDNA titre(s) of the analysed patients were censored (12 below" in text
    assert "analysed at the limit value" in text
    assert "positive at or above 15 IU/mL" in text


def test_egfr_computed_from_creatinine_is_counted_and_stated(cohort) -> None:
    assert (cohort.derived.egfr_visits, cohort.derived.egfr_patients) == (36, 12)
    text = methods_text(run_analyses(cohort, Settings(), only=["table1"]), versions={})
    assert "eGFR was not recorded at 36 visit(s) of 12 patient(s)" in text
    assert "CKD-EPI 2021" in text
    given = long_frame().assign(egfr=90.0)
    assert load_cohort(csv_bytes(given), "x.csv").derived.egfr_visits == 0


# --- invalid values set to missing, remembered in the mapping ------------------------------


def _invalid() -> bytes:
    df = long_frame()
    df.loc[4, "upcr"] = 80.0  # beyond the plausibility limit: an error
    return csv_bytes(df)


def test_drop_invalid_from_the_mapping(tmp_path: Path) -> None:
    blocked = load_cohort(_invalid(), "x.csv")
    assert not blocked.ok
    mapping = {"columns": {}, "options": {"drop_invalid": True}}
    c = load_cohort(_invalid(), "x.csv", mapping)
    assert c.ok and c.report.n_dropped == 1
    assert c.mapping["options"]["drop_invalid"] is True  # remembered as applied
    assert not load_cohort(_invalid(), "x.csv", mapping, drop_invalid=False).ok  # explicit wins
    assert "options" not in load_cohort(csv_bytes(long_frame()), "x.csv").mapping
    # command line: the mapping's option stands for --drop-invalid
    (tmp_path / "x.csv").write_bytes(_invalid())
    (tmp_path / "m.json").write_text(json.dumps(mapping), encoding="utf-8")
    assert load_path(tmp_path / "x.csv", tmp_path / "m.json").ok


def test_cli_reads_the_options_and_the_cutoff_flag(tmp_path: Path, capsys) -> None:
    data = tmp_path / "x.csv"
    data.write_bytes(_invalid())
    mapping = tmp_path / "m.json"
    mapping.write_text(json.dumps({"options": {
        "drop_invalid": True, "baseline_exclude": ["age"], "baseline_include": ["comment"]}}),
        encoding="utf-8")
    out = tmp_path / "out"
    code = main(["report", str(data), "--mapping", str(mapping), "--dsdna-cutoff", "15",
                 "--tables-only", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    t1 = pd.read_csv(out / "table1.csv")
    assert "age" not in set(t1["variable"]) and "comment" in set(t1["variable"])
    notes = (out / "notes.txt").read_text(encoding="utf-8")
    assert "[dsdna_shift] Anti-dsDNA positivity derived from the titre (positive at or above " \
           "15 IU/mL)" in notes
    code = main(["report", str(data), "--tables-only", "--out", str(tmp_path / "o2")])
    assert code == 2 and "--drop-invalid" in capsys.readouterr().err
    code = main(["report", str(data), "--mapping", str(mapping), "--dsdna-cutoff", "15",
                 "--dsdna-cutoff-unit", "mg", "--tables-only", "--out", str(tmp_path / "o3")])
    assert code == 2 and "unknown anti-dsDNA unit" in capsys.readouterr().err
