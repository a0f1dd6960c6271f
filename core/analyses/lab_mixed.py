"""Lab trajectories over all visits: linear mixed models, slope per group per year.

For each chosen lab: ``y ~ time × group + (1 + time | patient)`` fitted by REML on every
visit of the (filtered) cohort, time in years (``month / 12``), the reference group first
(``Settings.reference``, else ``refractory``, else the first group). UPCR and anti-dsDNA are
modelled on the natural-log scale. The R calls are in tests/reference/mixed/reference_mixed.R
(``lme4::lmer`` and ``nlme::lme``); the numerical method is in :mod:`core.stats.mixed`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.analyses.context import RunContext
from core.analyses.response import group_levels
from core.analyses.spec import AnalysisSkipped, AnalysisSpec, FigureRef, TableSpec
from core.model.i18n import N_
from core.model.i18n import gettext as _
from core.model.results import AnalysisRun, Result
from core.model.schema import Cohort, label_of, measure_units, unit_of
from core.model.settings import Settings
from core.model.vocabulary import groups_with_reference, left_out_note
from core.outcomes.criteria import add_egfr
from core.stats.mixed import MixedFit, reml_fit

LOG_SCALE: tuple[str, ...] = ("upcr", "anti_dsdna")
DEFAULT_MEASURES: tuple[str, ...] = ("egfr",)
MIN_PATIENTS = 3
RANDOM_SLOPE = "random intercept and slope"
RANDOM_INTERCEPT = "random intercept"

SLOPE_COLUMNS = [
    "measure",
    "scale",
    "unit",
    "model",
    "kind",
    "group",
    "reference",
    "estimate",
    "se",
    "df",
    "ci_low",
    "ci_high",
    "p_value",
    "pct_per_year",
    "pct_ci_low",
    "pct_ci_high",
    "n_patients",
    "n_obs",
]
MIXED_COLUMNS = [
    "measure",
    "scale",
    "model",
    "effect",
    "term",
    "estimate",
    "se",
    "df",
    "t_value",
    "p_value",
    "ci_low",
    "ci_high",
    "n_patients",
    "n_obs",
    "reml_loglik",
    "converged",
]

METHOD = N_(
    "Linear mixed model over all visits: value ~ time × group + (1 + time | patient), "
    "time in years (month / 12), fitted by REML as R lme4::lmer(REML = TRUE) and "
    "nlme::lme(method = 'REML'); standard errors from σ²(XᵀV⁻¹X)⁻¹ as vcov(); t-tests and "
    "95 % CIs with nlme's between/within degrees of freedom. The optimiser differs from "
    "R's, so estimates and standard errors agree with R to about 1e-5 relative, not bit "
    "for bit."
)
LOG_NOTE = N_(
    "UPCR and anti-dsDNA are modelled on the natural-log scale: a slope b is a change of "
    "100·(e^b − 1) % per year (pct_per_year); values ≤ 0 cannot be logged and are left out."
)
FALLBACK = N_(
    "{label}: the between-patient variation of the slope was estimated at its boundary "
    "(singular fit, as lme4::isSingular, tolerance 1e-4), so the model with a random "
    "intercept only, value ~ time × group + (1 | patient), is reported."
)


@dataclass(frozen=True)
class Trajectory:
    """One lab's fit: the model frame summary, the fit (None when not estimable)."""

    measure: str
    scale: str
    model: str
    fit: MixedFit | None
    groups: tuple[str, ...]
    notes: tuple[str, ...]


def _reference(groups: list[str], settings: Settings) -> str | None:
    return groups_with_reference(groups, settings.reference, settings.group_order)[1]


def model_frame(cohort: Cohort, measure: str) -> tuple[pd.DataFrame, str, list[str]]:
    """patient_id, group, time (years), y for every visit with a value and a group.

    Returns the frame, the scale (``log`` for UPCR and anti-dsDNA, else ``identity``) and
    notes (visits left out: no group; for the log scale, values ≤ 0). A cohort without a
    group column is one group, ``All``.
    """
    visits, _derived = add_egfr(cohort.visits, cohort.patients)
    scale = "log" if measure in LOG_SCALE else "identity"
    label = label_of(measure, measure_units(cohort))
    if measure not in visits:
        return pd.DataFrame(columns=["patient_id", "group", "time", "y"]), scale, []
    patients = cohort.patients.drop_duplicates("patient_id").set_index("patient_id")
    # Without a group column every patient is in one group, "All" (slopes, no difference).
    group = patients["group"] if "group" in patients else pd.Series("All", index=patients.index)
    v = pd.DataFrame(
        {
            "patient_id": visits["patient_id"].to_numpy(),
            "group": visits["patient_id"].map(group).to_numpy(dtype=object),
            "time": visits["month"].to_numpy(dtype=float) / 12,
            "y": pd.to_numeric(visits[measure], errors="coerce").to_numpy(dtype=float),
        }
    )
    v = v[np.isfinite(v["y"]) & np.isfinite(v["time"])]
    notes = []
    no_group = v["group"].isna()
    if no_group.any():
        notes.append(
            f"{label}: "
            + left_out_note(v.loc[no_group, "patient_id"], _("no group in the file"), _("the model"))
        )
    v = v[~no_group]
    if scale == "log":
        bad = v["y"] <= 0
        if bad.any():
            notes.append(_('{label}: {n} value(s) ≤ 0 left out (log scale).').format(label=label, n=int(bad.sum())))
        v = v[~bad].assign(y=lambda x: np.log(x["y"]))
    return v.reset_index(drop=True), scale, notes


def _design(v: pd.DataFrame, levels: list[str]) -> tuple[np.ndarray, tuple[str, ...]]:
    t = v["time"].to_numpy(float)
    cols, names = [np.ones(len(v)), t], ["intercept", "time"]
    g = v["group"].astype(str).to_numpy()
    for lev in levels[1:]:
        cols.append((g == lev).astype(float))
        names.append(f"group={lev}")
    for lev in levels[1:]:
        cols.append(t * (g == lev))
        names.append(f"time:group={lev}")
    return np.column_stack(cols), tuple(names)


def fit_trajectory(cohort: Cohort, measure: str, settings: Settings) -> Trajectory:
    """Fit one lab's mixed model (random intercept and slope; random intercept only when
    the slope variance sits on its boundary). Too little data is a note, not an error."""
    v, scale, notes = model_frame(cohort, measure)
    label = label_of(measure, measure_units(cohort))
    levels = group_levels(v["group"].astype(str), _reference(sorted(set(v["group"])), settings),
                          settings.group_order)

    def skipped(why: str) -> Trajectory:
        return Trajectory(measure, scale, "", None, tuple(levels), (*notes, f"{label}: {why}"))

    n_patients = v["patient_id"].nunique()
    repeated = v.groupby("patient_id")["time"].nunique()
    if n_patients < MIN_PATIENTS or (repeated >= 2).sum() < 2:
        return skipped(
            _('fewer than {min_patients} patients, or fewer than 2 with visits at two different times: no mixed model.').format(min_patients=MIN_PATIENTS)
        )
    X, terms = _design(v, levels)
    if np.linalg.matrix_rank(X) < X.shape[1] or len(v) <= X.shape[1] + 3:
        return skipped(
            _("too few visits over time in some group to estimate each group's slope: no mixed model.")
        )
    y, t, pid = v["y"].to_numpy(float), v["time"].to_numpy(float), v["patient_id"].to_numpy()
    fit = reml_fit(y, X, np.column_stack([np.ones(len(v)), t]), pid, terms, ("intercept", "time"))
    model = RANDOM_SLOPE
    if fit.singular:
        fit = reml_fit(y, X, np.ones((len(v), 1)), pid, terms, ("intercept",))
        model = RANDOM_INTERCEPT
        notes.append(_(FALLBACK).format(label=label))
        if fit.singular:
            notes.append(
                _('{label}: the between-patient variance is estimated at zero as well; the fit equals ordinary least squares.').format(label=label)
            )
    if not fit.converged:
        notes.append(
            _('{label}: the REML optimiser did not meet its convergence test; read the estimates with caution.').format(label=label)
        )
    if len(levels) < 2:
        notes.append(_('{label}: one group only, so no difference between groups.').format(label=label))
    return Trajectory(measure, scale, model, fit, tuple(levels), tuple(notes))


def _pct(x: float) -> float:
    return float(100 * np.expm1(x))


def _slope_rows(tr: Trajectory, units: dict[str, str] | None = None) -> list[dict]:
    fit = tr.fit
    assert fit is not None
    ref = tr.groups[0]
    df = float(fit.df[fit.terms.index("time")])
    unit = (
        f"log({label_of(tr.measure, units)}) per year"
        if tr.scale == "log"
        else f"{unit_of(tr.measure, units) or 'units'} per year"
    )
    base = {
        "measure": tr.measure,
        "scale": tr.scale,
        "unit": unit,
        "model": tr.model,
        "reference": ref,
        "n_patients": fit.n_clusters,
        "n_obs": fit.n_obs,
    }
    rows = []
    for g in tr.groups:
        w = {"time": 1.0} | ({} if g == ref else {f"time:group={g}": 1.0})
        rows.append(base | {"kind": "slope", "group": g} | fit.contrast(w, df))
        if g != ref:
            rows.append(
                base
                | {"kind": "difference", "group": g}
                | fit.contrast({f"time:group={g}": 1.0}, df)
            )
    for r in rows:
        logged = tr.scale == "log"
        r["pct_per_year"] = _pct(r["estimate"]) if logged else np.nan
        r["pct_ci_low"] = _pct(r["ci_low"]) if logged else np.nan
        r["pct_ci_high"] = _pct(r["ci_high"]) if logged else np.nan
    return rows


def _mixed_rows(tr: Trajectory) -> pd.DataFrame:
    fit = tr.fit
    assert fit is not None
    fixed = fit.fixed_table().assign(effect="fixed")
    random = fit.random_table().assign(effect="random")
    out = pd.concat([fixed, random], ignore_index=True)
    return out.assign(
        measure=tr.measure,
        scale=tr.scale,
        model=tr.model,
        n_patients=fit.n_clusters,
        n_obs=fit.n_obs,
        reml_loglik=fit.reml_loglik,
        converged=fit.converged,
    )


def lab_mixed_models(
    cohort: Cohort, settings: Settings, measures: Sequence[str] = DEFAULT_MEASURES
) -> dict[str, Result]:
    """Mixed-model trajectories of ``measures`` (default eGFR) over all visits.

    Parameters
    ----------
    cohort
        The filtered cohort (every visit counts, not only landmark visits).
    settings
        ``reference`` names the reference group.
    measures
        Canonical lab names (``core.model.schema.VISIT_LABS``) or other numeric visit
        columns; eGFR is filled from creatinine where missing (CKD-EPI 2021).

    Returns
    -------
    dict with two Results:

    ``lab_slopes``: one row per measure and group (``kind`` = ``slope``: that group's
    change per year, b_time [+ b_time:group]) and per non-reference group (``kind`` =
    ``difference``: b_time:group, its slope minus the reference's). Columns measure, scale
    (``identity``/``log``), unit, model (``random intercept and slope`` or ``random
    intercept``), kind, group, reference, estimate (per year), se, df (nlme's, of the time
    term), ci_low, ci_high (95 %, t), p_value (t-test of 0), pct_per_year, pct_ci_low,
    pct_ci_high (log scale only: 100·(e^x − 1), % change per year or % difference in the
    yearly change factor), n_patients, n_obs.

    ``lab_mixed``: one row per model term. Columns measure, scale, model, effect
    (``fixed``/``random``), term (fixed: intercept, time, group=G, time:group=G; random:
    sd(intercept), sd(time), sd(residual), cor(intercept,time)), estimate, se, df,
    t_value, p_value, ci_low, ci_high (fixed only; as nlme ``summary(fit)$tTable``),
    n_patients, n_obs, reml_loglik (R ``logLik(fit, REML = TRUE)``), converged.

    R: ``lmer(y ~ time * group + (1 + time | patient_id), REML = TRUE)`` and
    ``lme(y ~ time * group, random = ~ 1 + time | patient_id, method = "REML")``
    (tests/reference/mixed/reference_mixed.R).
    """
    notes: list[str] = [_(METHOD)]
    if any(m in LOG_SCALE for m in measures):
        notes.append(_(LOG_NOTE))
    slopes: list[dict] = []
    mixed: list[pd.DataFrame] = []
    for measure in measures:
        tr = fit_trajectory(cohort, measure, settings)
        notes.extend(tr.notes)
        if tr.fit is not None:
            slopes.extend(_slope_rows(tr, measure_units(cohort)))
            mixed.append(_mixed_rows(tr))
    slope_table = pd.DataFrame(slopes, columns=SLOPE_COLUMNS)
    mixed_table = (
        pd.concat(mixed, ignore_index=True)[MIXED_COLUMNS]
        if mixed
        else pd.DataFrame(columns=MIXED_COLUMNS)
    )
    meta = {"measures": list(measures), "time_unit": "years", "log_scale": list(LOG_SCALE)}
    return {
        "lab_slopes": Result("lab_slopes", slope_table, tuple(notes), meta),
        "lab_mixed": Result("lab_mixed", mixed_table, tuple(notes), meta),
    }


def lab_slopes(
    cohort: Cohort, settings: Settings, measures: Sequence[str] = DEFAULT_MEASURES
) -> Result:
    """The ``lab_slopes`` table of :func:`lab_mixed_models` (slope per group per year)."""
    return lab_mixed_models(cohort, settings, measures)["lab_slopes"]


def lab_mixed(
    cohort: Cohort, settings: Settings, measures: Sequence[str] = DEFAULT_MEASURES
) -> Result:
    """The ``lab_mixed`` table of :func:`lab_mixed_models` (fixed and random effects)."""
    return lab_mixed_models(cohort, settings, measures)["lab_mixed"]


def _compute(ctx: RunContext) -> dict[str, Result]:
    if ctx.filtered.visits.empty:
        raise AnalysisSkipped(_("No visits: no lab trajectories to model."))
    return lab_mixed_models(ctx.filtered, ctx.settings, ctx.settings.mixed_measures)


def _methods(run: AnalysisRun) -> list[str]:
    t = run.table("lab_slopes")
    if t is None:
        return []
    sentences = [_(METHOD)]
    if t["scale"].eq("log").any():
        sentences.append(_(LOG_NOTE))
    if t["model"].eq(RANDOM_INTERCEPT).any():
        sentences.append(_(
            "Where the slope variance was estimated at its boundary (singular fit), the model "
            "with a random intercept only is reported."
        ))

    return sentences


_FIXED = ("estimate", "se", "ci_low", "ci_high")
SPECS = (
    AnalysisSpec(
        name="lab_mixed",
        page="labs",
        section="Slopes over all visits",
        tables=(
            TableSpec(
                "lab_slopes",
                "Slope per year",
                tuple(SLOPE_COLUMNS),
                "tests/reference/mixed/expected/lab_slopes.csv",
                counts=("n_patients", "n_obs"),
                percents=("pct_per_year", "pct_ci_low", "pct_ci_high"),
                p_values=("p_value",),
                estimates={c: "unit column (per year)" for c in _FIXED},
            ),
            TableSpec(
                "lab_mixed",
                "Mixed model terms",
                tuple(MIXED_COLUMNS),
                "tests/reference/mixed/expected/lab_mixed.csv",
                counts=("n_patients", "n_obs"),
                p_values=("p_value",),
            ),
        ),
        compute=_compute,
        figures=(FigureRef("core.report.figures.lab_slopes", "plot_lab_slopes", "lab_slopes",
                           "Lab slopes over all visits (mixed model)"),),  # fmt: skip
        methods=_methods,
        r_call=(
            "lme4::lmer(y ~ time * group + (1 + time | patient_id), REML = TRUE); "
            "nlme::lme(y ~ time * group, random = ~ 1 + time | patient_id, method = 'REML')"
        ),
    ),
)
