"""Lab trajectories (linear mixed models, REML) against R lme4 and nlme.

Reference: ``Rscript tests/reference/mixed/reference_mixed.R ../cohort_long.csv expected``
(run from tests/reference/mixed; R 4.2.2, lme4 1.1.31, nlme 3.1.162), which fits
``lmer(y ~ time * group + (1 + time | patient_id), REML = TRUE)`` and
``lme(y ~ time * group, random = ~ 1 + time | patient_id, method = "REML")`` for nine labs
on the whole validation cohort and on class IV / IV+V, falls back to ``(1 | patient_id)``
when ``isSingular(tol = 1e-4)``, and writes expected/lab_mixed.csv and lab_slopes.csv.

Tolerances (docs/mixed-models.md): against lme4 (run to tight tolerances, the best REML
optimum of the two) every estimate, se, p-value and CI within 1e-5 relative (1e-4 asked);
against nlme, whose optimiser stops up to 2e-4 short on the flattest fit (creatinine:
its REML log-likelihood is 6e-9 below lme4's), estimates, se and CIs within 1e-3 relative and
p-values within 2e-3. The REML log-likelihood to 1e-7 absolute; counts and the
model chosen exactly.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.analyses.lab_mixed import LOG_SCALE, lab_mixed_models, model_frame
from core.analyses.run import run_analyses
from core.ingest.load import load_cohort, load_path
from core.model.filters import filter_cohort
from core.model.schema import PAIRED_MEASURES, Cohort
from core.model.settings import Filters, Settings
from core.stats import mixed, mixed_optim
from core.stats.mixed import containment_df, reml_fit

REF = Path(__file__).parent / "reference"
EXPECTED = REF / "mixed" / "expected"
MEASURES = PAIRED_MEASURES  # the nine labs of reference_mixed.R, in its order
SUBSETS = {"whole": Filters(), "class_IV_IVV": Filters(classes=("IV", "IV+V"))}
TOL = {"lme4": (1e-5, 1e-4), "nlme": (1e-3, 2e-3)}  # (estimates, se, CIs; p-values)


@pytest.fixture(scope="module")
def results() -> dict[str, dict]:
    cohort = load_path(REF / "cohort_long.csv")
    return {
        name: lab_mixed_models(filter_cohort(cohort, f), Settings(), MEASURES)
        for name, f in SUBSETS.items()
    }


def _close(ours, theirs, rtol: float, what: str) -> None:
    a = np.asarray(ours, float)
    b = np.asarray(theirs, float)
    assert np.isnan(a).sum() == 0, what
    rel = np.abs(a - b) / np.maximum(np.abs(b), 1e-300)
    assert (rel <= rtol).all(), (what, rel.max(), a, b)


@pytest.mark.parametrize("engine", ["lme4", "nlme"])
@pytest.mark.parametrize("subset", list(SUBSETS))
def test_lab_mixed_against_R(results, subset: str, engine: str) -> None:
    """Every fixed and random term of nine labs: lmer / lme with REML."""
    rtol, ptol = TOL[engine]
    ref = pd.read_csv(EXPECTED / "lab_mixed.csv")
    ref = ref[(ref["subset"] == subset) & (ref["engine"] == engine)]
    ours = results[subset]["lab_mixed"].table
    keys = ["measure", "effect", "term"]
    m = ref.merge(ours, on=keys, suffixes=("_r", ""), how="left", validate="one_to_one")
    assert len(m) == len(ref) and m["estimate"].notna().all()
    assert len(ours) == len(ref)  # no term of ours that R does not have
    assert (m["model_r"] == m["model"]).all(), m.loc[m["model_r"] != m["model"], keys]
    assert (m["scale_r"] == m["scale"]).all()
    assert (m["n_obs_r"] == m["n_obs"]).all() and (m["n_patients_r"] == m["n_patients"]).all()
    assert m["converged"].all()
    _close(m["reml_loglik"], m["reml_loglik_r"], 1e-9, "reml_loglik")
    _close(m["estimate"], m["estimate_r"], rtol, "estimate")
    f = m[m["effect"] == "fixed"]
    for c in ("se", "t_value", "ci_low", "ci_high"):
        _close(f[c], f[f"{c}_r"], rtol, c)
    assert (f["df"] == f["df_r"]).all()
    _close(f["p_value"], f["p_value_r"], ptol, "p_value")


@pytest.mark.parametrize("engine", ["lme4", "nlme"])
@pytest.mark.parametrize("subset", list(SUBSETS))
def test_lab_slopes_against_R(results, subset: str, engine: str) -> None:
    """Slope per group per year and relapse − refractory, from vcov() of each fit."""
    rtol, ptol = TOL[engine]
    ref = pd.read_csv(EXPECTED / "lab_slopes.csv")
    ref = ref[(ref["subset"] == subset) & (ref["engine"] == engine)]
    ours = results[subset]["lab_slopes"].table
    keys = ["measure", "kind", "group"]
    m = ref.merge(ours, on=keys, suffixes=("_r", ""), how="left", validate="one_to_one")
    assert len(m) == len(ref) == len(ours)
    assert (m["reference_r"] == m["reference"]).all() and (m["model_r"] == m["model"]).all()
    assert (m["df"] == m["df_r"]).all()
    for c in ("estimate", "se", "ci_low", "ci_high"):
        _close(m[c], m[f"{c}_r"], rtol, c)
    _close(m["p_value"], m["p_value_r"], ptol, "p_value")
    logged = m["measure"].isin(LOG_SCALE)
    _close(m.loc[logged, "pct_per_year"], 100 * np.expm1(m.loc[logged, "estimate_r"]), rtol, "%")
    assert m.loc[~logged, "pct_per_year"].isna().all()


def test_egfr_slopes_read_as_clinicians_expect(results) -> None:
    """eGFR slopes in mL/min/1.73 m² per year; the difference equals relapse − refractory."""
    t = results["whole"]["lab_slopes"].table
    e = t[t["measure"] == "egfr"].set_index(["kind", "group"])
    assert e.loc[("slope", "refractory"), "unit"] == "mL/min/1.73 m² per year"
    diff = e.loc[("slope", "relapse"), "estimate"] - e.loc[("slope", "refractory"), "estimate"]
    assert diff == pytest.approx(e.loc[("difference", "relapse"), "estimate"], rel=1e-12)
    notes = " ".join(results["whole"]["lab_slopes"].notes)
    assert "REML" in notes and "natural-log" in notes
    assert "Anti-dsDNA: the between-patient variation of the slope" in notes  # fallback


def test_containment_df_follows_nlme() -> None:
    """Between-patient columns: clusters − between − 1; within: n − clusters − within."""
    codes = np.repeat(np.arange(4), 3)
    t = np.tile([0.0, 0.5, 1.0], 4)
    g = (codes >= 2).astype(float)
    X = np.column_stack([np.ones(12), t, g, t * g])
    assert containment_df(X, codes, 4).tolist() == [6, 6, 2, 6]


def _toy(slope_sd: float, seed: int, n: int = 12) -> Cohort:
    rng = np.random.default_rng(seed)
    ids = [f"P{i:02d}" for i in range(n)]
    p = pd.DataFrame({"patient_id": ids, "group": ["refractory", "relapse"] * (n // 2)})
    months = np.array([0.0, 3, 6, 9, 12])
    rows = []
    for i, pid in enumerate(ids):
        b0, b1 = rng.normal(0, 10), rng.normal(0, slope_sd)
        for mo in months:
            y = 80 + b0 + (-2 + b1 + (i % 2)) * mo / 12 + rng.normal(0, 3)
            rows.append((pid, mo, y, 0.0 if (i, mo) == (0, 0) else rng.gamma(2, 1)))
    v = pd.DataFrame(rows, columns=["patient_id", "month", "egfr", "upcr"])
    return Cohort(p, v)


def test_degenerate_slope_variance_falls_back_with_a_note() -> None:
    """No between-patient slope variation: singular, random intercept only, said so."""
    r = lab_mixed_models(_toy(0.0, 1), Settings(), ("egfr",))
    t = r["lab_slopes"].table
    assert set(t["model"]) == {"random intercept"}
    assert any("singular fit" in n for n in r["lab_slopes"].notes)
    assert set(r["lab_mixed"].table["term"]) >= {"sd(intercept)", "sd(residual)"}
    assert "sd(time)" not in set(r["lab_mixed"].table["term"])


def test_log_scale_leaves_out_zeros_with_a_note() -> None:
    c = _toy(5.0, 2)
    frame, scale, notes = model_frame(c, "upcr")
    assert scale == "log" and len(frame) == len(c.visits) - 1
    assert notes == ["UPCR: 1 value(s) ≤ 0 left out (log scale)."]
    assert np.allclose(np.exp(frame["y"]), c.visits["upcr"][c.visits["upcr"] > 0])


def test_too_little_data_is_a_note_not_an_error() -> None:
    c = _toy(5.0, 3, n=2)
    r = lab_mixed_models(c, Settings(), ("egfr", "albumin"))
    assert r["lab_slopes"].table.empty and r["lab_mixed"].table.empty
    assert any("fewer than 3 patients" in n for n in r["lab_slopes"].notes)
    one = Cohort(c.patients.assign(group="relapse"), c.visits)
    more = _toy(5.0, 4)
    more = Cohort(more.patients.assign(group="relapse"), more.visits)
    r1 = lab_mixed_models(more, Settings(), ("egfr",))
    assert r1["lab_slopes"].table["kind"].tolist() == ["slope"]
    assert any("one group only" in n for n in r1["lab_slopes"].notes)
    assert lab_mixed_models(one, Settings(), ("egfr",))["lab_slopes"].table.empty


def test_reml_fit_recovers_a_known_slope() -> None:
    """Many simulated patients: the fixed slope lands within 3 standard errors."""
    rng = np.random.default_rng(5)
    m, k = 400, 5
    pid = np.repeat(np.arange(m), k)
    t = np.tile(np.linspace(0, 1, k), m)
    y = 50 + rng.normal(0, 8, m)[pid] + (-3 + rng.normal(0, 2, m)[pid]) * t
    y += rng.normal(0, 2, m * k)
    X = np.column_stack([np.ones_like(t), t])
    fit = reml_fit(y, X, X, pid, ("intercept", "time"), ("intercept", "time"))
    se = np.sqrt(np.diag(fit.cov))
    assert abs(fit.estimate[1] + 3) < 3 * se[1]
    assert fit.converged and not fit.singular
    assert fit.random_table().set_index("term").loc["sd(intercept)", "estimate"] == (
        pytest.approx(8, rel=0.15)
    )


def test_both_variances_on_their_bounds_fit_as_least_squares() -> None:
    """Four patients, nothing between them: every variance parameter at 0, no crash."""
    pid = np.repeat(np.arange(4), 3)
    t = np.tile([0.0, 0.5, 1.0], 4)
    # residuals average 0 within every patient: no between-patient variance at all
    y = 10 - 2 * t + np.repeat([0.5, 1.0, 1.5, 2.0], 3) * np.tile([1.0, -2.0, 1.0], 4)
    X = np.column_stack([np.ones(12), t])
    fit = reml_fit(y, X, np.ones((12, 1)), pid, ("intercept", "time"), ("intercept",))
    assert fit.singular and fit.theta.tolist() == [0.0]
    assert np.allclose(fit.estimate, np.linalg.lstsq(X, y, rcond=None)[0], rtol=1e-10)


def test_the_run_models_the_labs_the_settings_name() -> None:
    """eGFR by default; Settings.mixed_measures picks others (UPCR on the log scale)."""
    cohort = load_path(REF / "cohort_long.csv")
    default = run_analyses(cohort).results["lab_slopes"].table
    assert set(default["measure"]) == {"egfr"}
    picked = run_analyses(cohort, Settings(mixed_measures=("egfr", "upcr"))).results
    t = picked["lab_slopes"].table
    assert set(t["measure"]) == {"egfr", "upcr"}
    assert set(t.loc[t["measure"] == "upcr", "scale"]) == {"log"}
    assert any("natural-log" in n for n in picked["lab_slopes"].notes)


def test_a_cohort_without_groups_is_one_group() -> None:
    c = _toy(5.0, 6)
    r = lab_mixed_models(Cohort(c.patients.drop(columns="group"), c.visits), Settings())
    t = r["lab_slopes"].table
    assert t[["kind", "group"]].values.tolist() == [["slope", "All"]]


PBC = REF / "real_datasets"


@pytest.fixture(scope="module")
def pbcseq_albumin() -> dict:
    """survival::pbcseq as exported (tests/reference/real_datasets): its mapping without the
    `options` section, the labs other than albumin ignored, invalid values dropped (one
    albumin of 8.01 g/dL), placebo the reference, as reference_real.R."""
    mapping = json.loads((PBC / "pbcseq_long.mapping.json").read_text())
    mapping.pop("options")
    keep = {"patient_id", "group", "month", "albumin"}
    mapping["columns"] = {h: f if f in keep else "ignore" for h, f in mapping["columns"].items()}
    mapping["units"] = {f: u for f, u in mapping["units"].items() if f in keep}
    data = (PBC / "pbcseq_long.csv").read_bytes()
    cohort = load_cohort(data, "pbcseq_long.csv", mapping, drop_invalid=True)
    assert cohort.report.n_dropped == 1
    return lab_mixed_models(cohort, Settings(reference="Placebo"), ("albumin",))


def test_pbcseq_albumin_reaches_lme4s_optimum(pbcseq_albumin) -> None:
    """Visits up to 14 years apart: L-BFGS-B from Λ = I overshoots onto the slope's bound,
    where the deviance (even in that diagonal) has a zero gradient, and stopped there
    (singular, REML log-lik −928.6); lme4 and nlme reach −895.6 with sd(time) 0.057. The
    edge restart must get there: every term and slope as lme4, within 1e-5 (p 1e-4)."""
    expected = PBC / "expected" / "pbcseq"
    ref = pd.read_csv(expected / "lab_mixed.csv")
    ref = ref[ref["measure"] == "albumin"]
    ours = pbcseq_albumin["lab_mixed"].table
    keys = ["measure", "effect", "term"]
    m = ref.merge(ours, on=keys, suffixes=("_r", ""), how="left", validate="one_to_one")
    assert len(m) == len(ref) == len(ours)
    assert (m["model"] == "random intercept and slope").all() and m["converged"].all()
    assert (m["n_obs_r"] == m["n_obs"]).all() and (m["n_patients_r"] == m["n_patients"]).all()
    _close(m["reml_loglik"], m["reml_loglik_r"], 1e-9, "reml_loglik")
    _close(m["estimate"], m["estimate_r"], 1e-5, "estimate")
    f = m[m["effect"] == "fixed"]
    for c in ("se", "t_value", "ci_low", "ci_high"):
        _close(f[c], f[f"{c}_r"], 1e-5, c)
    assert (f["df"] == f["df_r"]).all()
    _close(f["p_value"], f["p_value_r"], 1e-4, "p_value")
    ref = pd.read_csv(expected / "lab_slopes.csv")
    ref = ref[ref["measure"] == "albumin"]
    ours = pbcseq_albumin["lab_slopes"].table
    m = ref.merge(ours, on=["measure", "kind", "group"], suffixes=("_r", ""), how="left")
    assert len(m) == len(ref) == len(ours) and (m["reference_r"] == m["reference"]).all()
    for c in ("estimate", "se", "ci_low", "ci_high"):
        _close(m[c], m[f"{c}_r"], 1e-5, c)
    _close(m["p_value"], m["p_value_r"], 1e-4, "p_value")
    assert not any(
        "singular" in n or "did not meet" in n for n in pbcseq_albumin["lab_slopes"].notes
    )


def test_a_zero_gradient_on_the_bound_is_not_taken_for_an_optimum() -> None:
    """Long follow-up (0-10 years), a true slope SD of 0.06: from Λ = I, L-BFGS-B
    overshoots onto the slope's bound, where the deviance (even in that diagonal) has a
    gradient of exactly 0, and the old optimiser stopped there (singular, REML deviance
    4.0 too high). Moving off the bound lowers the deviance, so the fit must go on to the
    interior optimum, and a point on the bound must not pass the convergence test."""
    rng = np.random.default_rng(11)
    m, k = 60, 6
    pid = np.repeat(np.arange(m), k)
    t = np.tile(np.linspace(0, 10, k), m)
    y = 3.5 + rng.normal(0, 0.35, m)[pid] + (-0.09 + rng.normal(0, 0.06, m)[pid]) * t
    y += rng.normal(0, 0.3, m * k)
    Z = np.column_stack([np.ones_like(t), t])
    fit = reml_fit(y, Z, Z, pid, ("intercept", "time"), ("intercept", "time"))
    assert fit.converged and not fit.singular
    assert fit.theta[2] > 0.1
    sd_time = fit.random_table().set_index("term").loc["sd(time)", "estimate"]
    assert sd_time == pytest.approx(0.06, rel=0.3)
    prof = mixed._Profile(y - y.mean(), Z, Z, pid, m)
    lower = np.array([0.0, -np.inf, 0.0])
    on_bound = mixed_optim._descend(prof.deviance, np.array([1.0, 0.0, 1.0]), lower)
    assert on_bound[2] == 0.0  # where the old optimiser stopped
    assert mixed_optim._grad(prof.deviance, on_bound, np.ones(3, bool))[2] == 0.0
    assert mixed_optim._edge_drop(prof.deviance, on_bound, lower)[0] > 1e-3  # a saddle
    assert -2 * fit.reml_loglik < prof.deviance(on_bound) - 1
