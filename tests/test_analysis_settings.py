"""The settings of issue 14 a user can set (data-contract §4, §7) change the tables as R does.

R: tests/reference/competing/settings_reference.R on the time to response of the validation
cohort (tests/reference/cohort_long.csv): ``summary(survfit(Surv(time, event) ~ 1),
rmean = 9)$table`` per group and All with survRM2's rmst2 contrasts (rmst_tau9.csv,
rmst_difference_tau9.csv), ``summary(survfit(..., conf.type = "log-log"), times = c(3, 9,
18), extend = TRUE)`` (milestones_3_9_18.csv), ``cox.zph(coxph(Surv(time, event) ~ group,
ties = "efron"), transform = t)`` for t in identity, log, rank (ph_test_<t>.csv). Counts
exact, numbers 1e-6 relative.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from core.__main__ import main
from core.analyses.registry import ANALYSES
from core.analyses.run import run_analyses
from core.analyses.survival_checks import ph_test
from core.ingest.load import load_path
from core.model.settings import Settings
from tests.test_competing_risks import assert_matches

REF = Path(__file__).parent / "reference"
EXP = REF / "competing" / "expected"
LONG = REF / "cohort_long.csv"
CHOSEN = Settings(
    rmst_tau=9,
    milestone_months=(18, 3, 9),
    zph_transform="log",
    mixed_measures=("egfr", "upcr"),
)


def expected(name: str) -> pd.DataFrame:
    return pd.read_csv(EXP / f"{name}.csv")


@pytest.fixture(scope="module")
def run():
    return run_analyses(load_path(LONG), CHOSEN)


def _methods(run, name: str) -> str:
    return " ".join(next(a for a in ANALYSES if a.name == name).methods(run))


# --- Settings ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        {"rmst_tau": 0},
        {"rmst_tau": -3},
        {"rmst_tau": float("nan")},
        {"milestone_months": ()},
        {"milestone_months": (6, 0)},
        {"zph_transform": "loglog"},
        {"mixed_measures": ()},
        {"mixed_measures": ("",)},
    ],
)
def test_invalid_settings_are_refused(bad: dict) -> None:
    with pytest.raises(ValueError):
        Settings(**bad)


def test_defaults_and_normalisation() -> None:
    s = Settings()
    assert (s.rmst_tau, s.milestone_months, s.zph_transform, s.mixed_measures) == (
        None,
        None,
        "km",
        ("egfr",),
    )
    assert s.milestones == s.landmarks == (6.0, 12.0)
    assert Settings(landmarks=(3,)).milestones == (3.0,)
    assert CHOSEN.milestones == (3.0, 9.0, 18.0) and CHOSEN.rmst_tau == 9.0


# --- the run -------------------------------------------------------------------------


def test_tau_9_gives_r_rmst_at_9(run) -> None:
    assert_matches(expected("rmst_tau9"), run.results["rmst"].table, ["group"])
    assert_matches(
        expected("rmst_difference_tau9"), run.results["rmst_difference"].table, ["group"]
    )
    assert "τ = 9 months (chosen by the user)" in _methods(run, "restricted_mean")


def test_default_tau_is_unchanged_and_said() -> None:
    default = run_analyses(load_path(LONG))
    assert_matches(expected("rmst"), default.results["rmst"].table, ["group"])
    assert "the largest time all groups reach" in _methods(default, "restricted_mean")
    assert "months 6, 12" in _methods(default, "restricted_mean")
    assert default.results["ph_test"].table["transform"].eq("km").all()


def test_milestone_months_give_r_cumulative_incidence(run) -> None:
    assert_matches(
        expected("milestones_3_9_18"),
        run.results["milestones"].table,
        ["group", "estimator", "cause", "month"],
    )
    assert "months 3, 9, 18" in _methods(run, "restricted_mean")


def test_zph_transform_reaches_the_test(run) -> None:
    assert_matches(expected("ph_test_log"), run.results["ph_test"].table, ["term"])
    assert run.results["ph_residuals"].meta["transform"] == "log"
    assert 'cox.zph(transform = "log")' in _methods(run, "ph_check")


@pytest.mark.parametrize("transform", ["identity", "log", "rank"])
def test_every_zph_transform_matches_r(transform: str) -> None:
    ttr = pd.read_csv(REF / "expected" / "ttr_patients.csv", dtype={"patient_id": str})
    got = ph_test(ttr, Settings(), transform=transform)["ph_test"].table
    assert_matches(expected(f"ph_test_{transform}"), got, ["term"])


def test_mixed_measures_reach_the_slopes(run) -> None:
    slopes = run.results["lab_slopes"].table
    assert list(dict.fromkeys(slopes["measure"])) == ["egfr", "upcr"]
    assert slopes.loc[slopes["measure"] == "upcr", "scale"].eq("log").all()


# --- the command line ------------------------------------------------------------------


def _cli(capsys, *args: str) -> tuple[int, str]:
    code = main(["report", str(LONG), *args])
    return code, capsys.readouterr().err


def test_cli_options_reach_the_tables(tmp_path: Path, capsys) -> None:
    code, err = _cli(
        capsys,
        "--rmst-tau", "9",
        "--milestones", "3", "9", "18",
        "--zph-transform", "log",
        "--mixed-measures", "egfr", "upcr",
        "--tables-only",
        "--out", str(tmp_path),
    )  # fmt: skip
    assert code == 0, err
    assert_matches(expected("rmst_tau9"), pd.read_csv(tmp_path / "rmst.csv"), ["group"])
    assert_matches(
        expected("milestones_3_9_18"),
        pd.read_csv(tmp_path / "milestones.csv"),
        ["group", "estimator", "cause", "month"],
    )
    assert_matches(expected("ph_test_log"), pd.read_csv(tmp_path / "ph_test.csv"), ["term"])
    assert set(pd.read_csv(tmp_path / "lab_slopes.csv")["measure"]) == {"egfr", "upcr"}


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--rmst-tau", "0"], "τ"),
        (["--milestones", "-3"], "Milestone"),
        (["--zph-transform", "loglog"], "zph-transform"),
        (["--mixed-measures", "ferritin"], "ferritin"),
    ],
)
def test_cli_bad_settings_exit_2(tmp_path: Path, capsys, args: list[str], says: str) -> None:
    code, err = _cli(capsys, *args, "--tables-only", "--out", str(tmp_path))
    assert code == 2 and says in err and err.count("\n") == 1
