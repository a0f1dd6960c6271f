"""Measures the user names, time points in months, weeks or days, and landmarks given in
weeks or days (data-contract §1, §3, §4; issue 11 point 1)."""

from __future__ import annotations

import pandas as pd
import pytest

from core.analyses.run import run_analyses
from core.ingest.io import read_table
from core.ingest.load import load_cohort
from core.ingest.mapping import (
    check_row,
    mapping_from_table,
    mapping_to_json,
    parse_mapping_json,
    read_target,
    restatus,
    suggest_mapping,
    validate_mapping,
)
from core.model.schema import is_measure_name, label_with_unit, measure_units
from core.model.settings import Filters, Settings, landmark_settings, parse_landmark
from core.report.export.docx_content import baseline_content, labs_content
from ui.mapping_table import from_editor, to_editor

W20, W96 = 20 * 12 / 52, 96 * 12 / 52
WIDE = (b"pid,arm,cd40,cd420,cd496\n"
        b"P1,ZDV,400,420,380\nP2,ZDV,300,350,\nP3,ddI,500,520,560\nP4,ddI,250,,270\n"
        b"P5,ZDV,410,470,500\nP6,ddI,330,300,310\n")
MAPPING = {"columns": {"cd40": "cd4_w0", "cd420": "cd4_w20", "cd496": "cd4_w96"},
           "units": {"cd4": "cells/µL"}}


@pytest.mark.parametrize(("target", "field", "month", "time", "unit", "measure"), [
    ("cd4_w20", "cd4", W20, 20.0, "weeks", True),
    ("hb_d180", "hb", 180 / 30.4375, 180.0, "days", True),
    ("upcr_m6", "upcr", 6.0, 6.0, "months", False),
    ("upcr_w24", "upcr", 24 * 12 / 52, 24.0, "weeks", False),
    ("platelets_m5.5", "platelets", 5.5, 5.5, "months", True),
    ("cd4", "cd4", None, None, None, True),
    ("bilirubin", "bilirubin", None, None, None, True),
    ("upcr", "upcr", None, None, None, False),
])
def test_targets_of_the_grammar(target, field, month, time, unit, measure):
    t = read_target(target)
    assert (t.field, t.month, t.time, t.time_unit, t.measure) == (field, month, time, unit,
                                                                 measure)


@pytest.mark.parametrize("target", ["age_m6", "CD4", "cd4 count", "month_w2", "group_w20",
                                    "_cd4", "4cd", "visit_date_m1"])
def test_targets_refused(target):
    assert read_target(target) is None
    _, err = validate_mapping({"columns": {"x": target}})
    assert err and "measure name" in err


@pytest.mark.parametrize(("name", "ok"), [("cd4", True), ("cd4_w20", False), ("age", False),
                                          ("month", False), ("upcr", False), ("hb2", True),
                                          ("Cd4", False), ("cd4_d", True)])
def test_measure_names(name, ok):
    assert is_measure_name(name) is ok


def test_free_unit_text_only_for_a_user_named_measure():
    assert validate_mapping({"units": {"cd4": "cells/µL"}})[1] is None
    assert "at most 40" in validate_mapping({"units": {"cd4": "x" * 41}})[1]
    assert "not a known unit" in validate_mapping({"units": {"upcr": "cells/µL"}})[1]
    assert validate_mapping({"units": {"month": "days", "ttr_months": "weeks",
                                       "death_month": "days"}})[1] is None
    assert "not a known unit" in validate_mapping({"units": {"month": "fortnights"}})[1]


def test_wide_measure_at_weeks_loads_as_visits_with_its_unit():
    c = load_cohort(WIDE, "w.csv", MAPPING)
    assert c.ok, c.report.issues
    v = c.visits.set_index(["patient_id", "month"])["cd4"]
    assert v[("P1", W20)] == 420 and v[("P1", W96)] == 380 and v[("P1", 0.0)] == 400
    assert ("P2", W96) not in v.index  # an empty cell is no visit
    assert c.mapping["columns"]["cd420"] == "cd4_w20"
    assert measure_units(c) == {"cd4": "cells/µL"}
    assert label_with_unit("cd4", measure_units(c)) == "CD4 (cells/µL)"
    assert label_with_unit("cd4") == "cd4"  # without its unit it is not dressed up


def test_text_in_a_measure_column_is_an_error_naming_the_cell():
    c = load_cohort(WIDE.replace(b"P1,ZDV,400,420", b"P1,ZDV,400,high"), "w.csv", MAPPING)
    (e,) = c.report.errors
    assert (e.row, e.column, e.value) == (2, "cd420", "high") and "measure cd4" in e.message


def test_long_file_bare_measure_and_time_column_in_days():
    data = b"id,group,day,CD4 count\nP1,a,0,400\nP1,a,140,400\nP2,b,0,300\nP2,b,150,320\n"
    m = {"columns": {"CD4 count": "cd4", "day": "month"},
         "units": {"cd4": "cells/µL", "month": "days"}}
    c = load_cohort(data, "l.csv", m)
    assert c.ok, c.report.issues
    assert "cd4" in c.visits and "cd4" not in c.patients  # constant per patient: still a lab
    assert c.visits["month"].tolist() == [0.0, 140 / 30.4375, 0.0, 150 / 30.4375]


def test_mapping_table_shows_time_as_written_and_round_trips():
    raw = read_table(WIDE, "w.csv")
    table = suggest_mapping(raw, MAPPING).set_index("column")
    assert table.loc["cd420", ["field", "time", "time_unit", "unit", "status"]].tolist() == [
        "cd4", 20.0, "weeks", "cells/µL", "from mapping file"]
    mapping = mapping_from_table(table.reset_index())
    assert mapping["columns"]["cd420"] == "cd4_w20" and mapping["units"] == {"cd4": "cells/µL"}
    again, err = parse_mapping_json(mapping_to_json(mapping))
    assert err is None and again == mapping
    assert suggest_mapping(raw, again).equals(suggest_mapping(raw, mapping))
    # a header written in weeks is shown in weeks
    h = suggest_mapping(read_table(b"patient_id,upcr_w24,hb_d180\nP1,1,2\n", "h.csv"))
    h = h.set_index("column")
    assert h.loc["upcr_w24", ["field", "time", "time_unit"]].tolist() == ["upcr", 24.0, "weeks"]
    assert h.loc["hb_d180", ["time", "time_unit"]].tolist() == [180.0, "days"]


def test_long_time_column_unit_round_trips_through_the_table():
    raw = read_table(b"id,day,upcr\nP1,0,1\nP1,30,1\n", "d.csv")
    table = suggest_mapping(raw)
    assert table.set_index("column").loc["day", ["field", "time_unit"]].tolist() == [
        "month", "days"]
    assert mapping_from_table(table)["units"] == {"month": "days"}


def test_editor_split_and_status_brought_up_to_date():
    raw = read_table(WIDE, "w.csv")
    table = suggest_mapping(raw)
    shown = to_editor(table)
    assert "measure" in shown and from_editor(shown).equals(table)
    i = shown.index[shown["column"] == "cd420"][0]
    shown.loc[i, ["measure", "time", "time_unit", "unit"]] = ["cd4", 20.0, "weeks", "cells/µL"]
    j = shown.index[shown["column"] == "cd40"][0]
    shown.loc[j, ["measure", "time"]] = ["CD 4!", 0.0]
    fresh = restatus(from_editor(shown), table).set_index("column")
    assert fresh.loc["cd420", "status"] == "matched"
    assert "neither a field nor a measure name" in fresh.loc["cd40", "status"]
    assert fresh.loc["cd496", "status"] == "unmatched"
    mapping = mapping_from_table(fresh.reset_index())
    assert mapping["columns"]["cd420"] == "cd4_w20" and "cd40" not in mapping["columns"]
    assert check_row({"field": "age", "time": 3}) is not None
    assert check_row({"field": "cd4", "time": "x"}) is not None


@pytest.mark.parametrize(("text", "months", "name"), [
    ("20w", W20, "week 20"), ("96w", W96, "week 96"), ("180d", 180 / 30.4375, "day 180"),
    ("6", 6.0, "month 6"), (6, 6.0, "month 6"), ("20 weeks", W20, "week 20"),
    ("6m", 6.0, "month 6"),
])
def test_landmarks_in_weeks_or_days_are_exact(text, months, name):
    assert parse_landmark(text) == (months, name)


def test_bad_landmark_is_one_sentence():
    with pytest.raises(ValueError, match="is not a landmark"):
        parse_landmark("soon")


def test_user_measure_flows_through_every_lab_table_and_the_exports():
    c = load_cohort(WIDE, "w.csv", MAPPING)
    s = Settings(**landmark_settings(["20w", "96w"]), mixed_measures=("cd4",))
    assert s.landmark_label(W20) == "week 20"
    run = run_analyses(c, s, Filters())
    assert "week 20 (month 4.62)" in run.summary
    paired = run.table("paired_changes")
    assert set(paired["measure"]) == {"cd4"} and set(paired["month"]) == {W20, W96}
    allp = paired[(paired["group"] == "All") & (paired["month"] == W20)].iloc[0]
    assert allp["n_pairs"] == 5 and allp["median_change"] == 20.0  # 20, 50, 20, 60, −30
    for name in ("repeated_measures", "change_between_groups", "lab_trajectories",
                 "lab_landmark_values", "lab_slopes"):
        assert "cd4" in set(run.table(name)["measure"]), name
    assert run.table("lab_slopes")["unit"].iloc[0] == "cells/µL per year"
    t1 = run.table("table1").set_index("variable")
    assert t1.loc["cd4", "All"] == "365 (308–408)"  # 250 300 330 400 410 500, type 7
    body = baseline_content(run.results, run.settings, run.filters)
    assert any(r[0] == "CD4 (cells/µL), median (IQR)" for r in body.rows)
    labs = labs_content(run.results, run.settings, run.filters)
    assert labs.rows[0][0] == "CD4 (cells/µL)"
    from core.report.export.methods import methods_text

    assert "CD4 (cells/µL)" in methods_text(run)
    from core.report.figures.labs import plot_paired_values

    fig = next(iter(plot_paired_values(run).values()))
    assert fig.layout.yaxis.title.text == "CD4 (cells/µL)"
    assert "Week 20" in " ".join(fig.layout.xaxis.ticktext)


def test_units_table_column_of_mapping_from_table_keeps_old_month_column():
    df = pd.DataFrame([{"column": "u", "field": "upcr", "month": 6.0, "unit": None}])
    assert mapping_from_table(df)["columns"]["u"] == "upcr_m6"


def test_cli_landmarks_in_weeks_with_a_mapped_measure(tmp_path, capsys):
    from core.__main__ import main

    data, mapping = tmp_path / "w.csv", tmp_path / "w.mapping.json"
    data.write_bytes(WIDE)
    mapping.write_text(mapping_to_json(MAPPING), encoding="utf-8")
    out = tmp_path / "out"
    code = main(["report", str(data), "--mapping", str(mapping), "--landmarks", "20w", "96w",
                 "--tables-only", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    assert "landmarks week 20 (month 4.62), week 96 (month 22.2)" in capsys.readouterr().out
    paired = pd.read_csv(out / "paired_changes.csv", float_precision="round_trip")
    assert set(paired["month"]) == {W20, W96}  # months in the table, exactly
    code = main(["report", str(data), "--landmarks", "soon", "--tables-only", "--out", str(out)])
    assert code == 2 and "'soon' is not a landmark" in capsys.readouterr().err


def test_a_measure_named_like_a_known_lab_is_loaded_with_a_warning():
    data = b"patient_id,month,upcr\nP1,0,1\nP1,6,0.4\n"
    c = load_cohort(data, "t.csv", {"columns": {"upcr": "upcrr"}})
    assert c.ok and "upcrr" in c.visits
    assert any("'upcrr'" in w.message and "map the column to upcr" in w.message
               for w in c.report.warnings)
    quiet = load_cohort(WIDE, "w.csv", MAPPING)  # cd4 is not taken for c4
    assert not [w for w in quiet.report.warnings if "new measure" in w.message]
