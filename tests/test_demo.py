"""The bundled SYNTHETIC demo cohort (data/demo/): reproducible, and it gives the seed
study's counts (clinical-rules §5) under the contract's complete-case rule (data-contract §5).

Counts are computed here directly with pandas from the shipped CSV, not through the app's
analysis code, so a bug there cannot hide a wrong demo file.
"""

from __future__ import annotations

import importlib.util
import json
import math
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import wilcoxon

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"
LONG = DEMO / "demo_cohort_long.csv"
WIDE = DEMO / "demo_cohort_wide.xlsx"
MAPPING = DEMO / "demo_cohort_wide.mapping.json"
REFERENCE_COLUMNS = (
    (ROOT / "tests" / "reference" / "cohort_long.csv")
    .open(encoding="utf-8")
    .readline()
    .strip()
    .split(",")
)


def _load_generator():
    spec = importlib.util.spec_from_file_location("make_demo", DEMO / "make_demo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def long() -> pd.DataFrame:
    return pd.read_csv(LONG, dtype={"patient_id": str})


def _landmark_counts(long: pd.DataFrame, month: int) -> dict[str, int]:
    # the demo's visits are exactly on schedule: the landmark visit is the visit at `month`
    at = long.loc[(long["month"] == month) & long["response"].notna(), "response"]
    return {"evaluable": len(at), "CR": int((at == "CR").sum()), "PR": int((at == "PR").sum())}


def test_regeneration_is_byte_identical(tmp_path: Path) -> None:
    paths = _load_generator().write_demo(tmp_path)
    assert paths["long"].read_bytes() == LONG.read_bytes()
    assert paths["mapping"].read_bytes() == MAPPING.read_bytes()
    assert paths["wide"].read_bytes() == WIDE.read_bytes()


def test_wide_workbook_has_no_save_time() -> None:
    with zipfile.ZipFile(WIDE) as zf:
        core = zf.read("docProps/core.xml").decode()
        assert {i.date_time for i in zf.infolist()} == {(2025, 1, 1, 0, 0, 0)}
    assert "2025-01-01T00:00:00Z" in core


def test_columns_match_the_canonical_long_layout(long: pd.DataFrame) -> None:
    # the reference layout, then the long-term patient columns (death, month of death)
    assert list(long.columns) == REFERENCE_COLUMNS + ["death", "death_month"]
    assert long[REFERENCE_COLUMNS].notna().all().all()  # every canonical lab at every visit


def test_one_sustained_egfr_decline_and_one_death(long: pd.DataFrame) -> None:
    base = long[long["month"] == 0].set_index("patient_id")["egfr"]
    ratio = long["egfr"] / long["patient_id"].map(base)
    low = long[(long["month"] > 0) & (ratio <= 0.7)]
    # one patient, below 70 % of baseline at months 9 and 12 (its last two visits)
    assert low["patient_id"].nunique() == 1 and low["month"].tolist() == [9, 12]
    dead = long.drop_duplicates("patient_id").query("death == 1")
    assert dead["patient_id"].tolist() == low["patient_id"].unique().tolist()
    assert dead["death_month"].tolist() == [14.0]
    assert long.loc[long["death"] == 0, "death_month"].isna().all()


def test_patients_groups_classes(long: pd.DataFrame) -> None:
    patients = long.drop_duplicates("patient_id")
    assert list(patients["patient_id"]) == [f"DM{i:03d}" for i in range(1, 30)]
    assert patients["group"].value_counts().to_dict() == {"relapse": 17, "refractory": 12}
    assert set(patients["isn_class"]) == {"III", "IV", "V", "III+V", "IV+V"}
    assert (patients["sex"] == "F").sum() > 20
    assert patients["age"].between(18, 60).all()
    # patient fields do not vary between a patient's rows
    assert (
        long.groupby("patient_id")[["group", "isn_class", "sex", "age"]].nunique().eq(1).all().all()
    )


def test_seed_study_counts(long: pd.DataFrame) -> None:
    # clinical-rules §5: 26 evaluable, CR 4, PR 10 at 6 months; 27, CR 7, PR 8 at 12 months
    assert _landmark_counts(long, 6) == {"evaluable": 26, "CR": 4, "PR": 10}
    assert _landmark_counts(long, 12) == {"evaluable": 27, "CR": 7, "PR": 8}
    assert set(long["month"]) == {0, 3, 6, 9, 12}
    assert (long.loc[long["month"] == 0, "response"] == "NR").all()
    assert long.groupby("patient_id")["month"].min().eq(0).all()
    assert long.loc[long["month"] > 0, "patient_id"].nunique() == 29  # all enter time to response


def test_steroid_dose_falls_by_six_months(long: pd.DataFrame) -> None:
    wide = long.pivot(index="patient_id", columns="month", values="steroid_mg")[[0, 6]].dropna()
    assert len(wide) == 26
    assert wilcoxon(wide[0], wide[6]).pvalue < 0.01
    assert wide[6].median() < wide[0].median()


def test_labs_improve_and_relapse_does_better(long: pd.DataFrame) -> None:
    by_month = long.groupby("month")[["upcr", "anti_dsdna", "c3", "c4"]].median()
    assert by_month.loc[6, "upcr"] < by_month.loc[0, "upcr"]
    assert by_month.loc[6, "anti_dsdna"] < by_month.loc[0, "anti_dsdna"]
    assert by_month.loc[6, "c3"] > by_month.loc[0, "c3"]
    assert by_month.loc[6, "c4"] > by_month.loc[0, "c4"]
    responded = long["response"].isin(["CR", "PR"]) & (long["month"] > 0)
    first = long[responded].groupby("patient_id")["month"].min()
    group = long.drop_duplicates("patient_id").set_index("patient_id")["group"]
    rate = first.reindex(group.index).notna().groupby(group).mean()
    assert rate["relapse"] > rate["refractory"]
    assert first.groupby(group).median()["relapse"] < first.groupby(group).median()["refractory"]
    for month in (6, 12):
        at = long[long["month"] == month]
        orr = at["response"].isin(["CR", "PR"]).groupby(at["group"]).mean()
        assert orr["relapse"] > orr["refractory"]


def test_labs_agree_with_recorded_response(long: pd.DataFrame) -> None:
    base = long[long["month"] == 0].set_index("patient_id")
    fu = long[long["month"] > 0].join(base[["upcr", "egfr"]], on="patient_id", rsuffix="_0")
    cr, pr = fu["response"] == "CR", fu["response"] == "PR"
    assert (fu.loc[cr, "upcr"] < 0.5).all()
    assert (fu.loc[pr, "upcr"] >= 0.5).all() and (fu.loc[pr, "upcr"] < 3.0).all()
    stable = fu["egfr"] >= 0.85 * fu["egfr_0"]
    kdigo = np.select(
        [
            (fu["upcr"] < 0.5) & stable,
            (fu["upcr"] <= 0.5 * fu["upcr_0"]) & (fu["upcr"] < 3.0) & stable,
        ],
        ["CR", "PR"],
        "NR",
    )
    # the two investigator-judgement visits documented in data/demo/README.md
    assert int((kdigo != fu["response"]).sum()) == 2


def test_values_within_clinical_limits(long: pd.DataFrame) -> None:
    # clinical-rules §4 error limits, and eGFR = CKD-EPI 2021 of the stored creatinine
    assert long["upcr"].between(0, 50).all() and long["creatinine"].between(0.3, 30).all()
    assert long["albumin"].between(0.5, 7).all() and long["egfr"].between(15, 250).all()
    assert long["c3"].between(0, 400).all() and long["c4"].between(0, 150).all()
    assert long["sledai"].between(0, 105).all() and long["steroid_mg"].between(0, 80).all()
    assert (long["anti_dsdna_pos"] == (long["anti_dsdna"] >= 30)).all()

    def ckd_epi(scr: float, age: float, sex: str) -> float:
        kappa, alpha = (0.7, -0.241) if sex == "F" else (0.9, -0.302)
        r = scr / kappa
        return (
            142
            * min(r, 1) ** alpha
            * max(r, 1) ** -1.2
            * 0.9938**age
            * (1.012 if sex == "F" else 1)
        )

    expected = [
        ckd_epi(c, a, s)
        for c, a, s in zip(long["creatinine"], long["age"], long["sex"], strict=True)
    ]
    assert all(
        math.isclose(e, g, rel_tol=1e-12) for e, g in zip(expected, long["egfr"], strict=True)
    )


def test_mapping_names_every_wide_header() -> None:
    mapping = json.loads(MAPPING.read_text(encoding="utf-8"))
    headers = list(pd.read_excel(WIDE, nrows=0).columns)
    assert set(headers) == set(mapping["columns"])
    assert "egfr" not in {v.rsplit("_m", 1)[0] for v in mapping["columns"].values()}
    assert mapping["units"] == {"albumin": "g/L"}


def test_core_load_gives_the_same_cohort_from_long_and_wide(long: pd.DataFrame) -> None:
    from core.ingest.load import load_path

    from_long = load_path(LONG)
    from_wide = load_path(WIDE, MAPPING)
    for cohort in (from_long, from_wide):
        assert cohort.report.errors == (), cohort.report.to_frame().to_string()
    patient_fields = ["patient_id", "group", "isn_class", "sex", "age", "death_month"]
    expected_patients = long.drop_duplicates("patient_id")[patient_fields].reset_index(drop=True)
    visit_fields = [c for c in REFERENCE_COLUMNS if c not in patient_fields[1:]]
    for cohort in (from_long, from_wide):  # the death flag as the files write it (0/1)
        died = cohort.patients.set_index("patient_id")["death"].astype(float)
        assert died.sort_index().tolist() == long.groupby("patient_id")["death"].first().tolist()
    expected_visits = long[visit_fields]
    for cohort in (from_long, from_wide):
        patients = cohort.patients[patient_fields].sort_values("patient_id").reset_index(drop=True)
        pd.testing.assert_frame_equal(patients, expected_patients, check_dtype=False)
        visits = cohort.visits[visit_fields].sort_values(["patient_id", "month"])
        visits = visits.reset_index(drop=True).astype({"anti_dsdna_pos": bool})
        # eGFR: stored in the long file, computed from creatinine for the wide one (contract
        # §6: 1e-12 relative); albumin g/L / 10 gives back the long file's doubles exactly
        pd.testing.assert_frame_equal(
            visits, expected_visits, check_exact=False, rtol=1e-12, atol=0, check_dtype=False
        )
        assert (visits["albumin"] == expected_visits["albumin"]).all()


def test_bench_cohorts_have_the_reference_layout(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location(
        "make_cohorts", ROOT / "bench" / "make_cohorts.py"
    )
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    paths = bench.make_cohort(200, tmp_path, ("csv", "parquet"), seed=1)
    header = paths["csv"].read_text(encoding="utf-8").splitlines()[0]
    assert header.split(",") == REFERENCE_COLUMNS
    csv = pd.read_csv(paths["csv"], float_precision="round_trip")
    parquet = pd.read_parquet(paths["parquet"])
    assert list(parquet.columns) == REFERENCE_COLUMNS
    assert len(csv) == 1000 and csv["patient_id"].nunique() == 200
    assert (csv.groupby("patient_id")["month"].apply(tuple) == (0, 3, 6, 9, 12)).all()
    assert set(csv["group"]) == {"refractory", "relapse"} and {"IV", "IV+V"} <= set(
        csv["isn_class"]
    )
    assert (csv.loc[csv["month"] == 0, "response"] == "NR").all()
    assert set(csv["response"]) == {"CR", "PR", "NR"}
    # the two files hold the same numbers (CSV decimals parse to the Parquet doubles)
    for column in ("upcr", "creatinine", "egfr", "albumin", "c3", "steroid_mg"):
        assert np.array_equal(csv[column].to_numpy(), parquet[column].to_numpy(), equal_nan=True)
    # eGFR is CKD-EPI 2021 of the stored creatinine, missing exactly where creatinine is
    assert (csv["egfr"].isna() == csv["creatinine"].isna()).all()
    female = csv["sex"] == "F"
    kappa, alpha = np.where(female, 0.7, 0.9), np.where(female, -0.241, -0.302)
    r = csv["creatinine"] / kappa
    expected = (142 * np.minimum(r, 1) ** alpha * np.maximum(r, 1) ** -1.2 * 0.9938 ** csv["age"]
                * np.where(female, 1.012, 1.0))  # fmt: skip
    assert np.allclose(csv["egfr"], expected, rtol=1e-12, atol=0, equal_nan=True)
    text = paths["csv"].read_text(encoding="utf-8")
    assert '"' not in text and ",TRUE," in text and ",FALSE," in text
