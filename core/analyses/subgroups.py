"""Response within subgroups (group, ISN/RPS class, sex, age band) at each landmark: the
table behind the Response page's forest plots, under any criteria and missing-data setting.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.analyses.context import RunContext
from core.analyses.response import _no_response_note
from core.analyses.spec import AnalysisSkipped, AnalysisSpec, FigureRef, TableSpec
from core.model.i18n import gettext as _
from core.model.results import AnalysisRun, Result
from core.model.schema import LABELS
from core.outcomes.derive import Outcomes
from core.stats.binomial import clopper_pearson, wilson

SUBGROUP_COLUMNS = ["subgroup", "level", "n", "orr_n", "orr_pct", "ci_low", "ci_high"]


def subgroup_rates(
    responses: pd.DataFrame, patients: pd.DataFrame, landmark: float, *, ci: str = "clopper-pearson"
) -> pd.DataFrame:
    """ORR (%) with its 95 % interval at one landmark, overall and within each subgroup.

    Subgroups: group, ISN/RPS class, sex and age (below / at or above the cohort median,
    whole years). Evaluable = response CR, PR or NR at the landmark (after the missing-data
    strategy). Interval: Clopper-Pearson (``binom.test``) or Wilson
    (``prop.test(correct = FALSE)``), as the response rates.

    Returns
    -------
    DataFrame with columns subgroup, level, n (evaluable), orr_n, orr_pct, ci_low,
    ci_high (percent); the first row is subgroup ``All``.
    """
    r = responses[
        (responses["landmark"] == landmark) & responses["response"].isin(["CR", "PR", "NR"])
    ]
    keep = [c for c in ("patient_id", "isn_class", "sex", "age") if c in patients]
    r = r[["patient_id", "group", "response"]].merge(patients[keep], on="patient_id", how="left")
    r = r.assign(All="All", _orr=r["response"].isin(["CR", "PR"]).astype(int))
    subgroups = {"All": "All", "group": LABELS["group"]}
    if "isn_class" in r:
        subgroups["isn_class"] = LABELS["isn_class"]
    if "sex" in r:
        subgroups["sex"] = LABELS["sex"]
    if "age" in r and r["age"].notna().any():
        cut = float(np.floor(patients["age"].median()))
        r["age_band"] = np.where(
            r["age"].isna(), None, np.where(r["age"] < cut, f"< {cut:g} y", f"≥ {cut:g} y")
        )
        subgroups["age_band"] = LABELS["age"]
    parts = []
    for col, label in subgroups.items():
        g = r.dropna(subset=[col]).groupby(col, sort=True)["_orr"].agg(["size", "sum"])
        parts.append(
            pd.DataFrame(
                {
                    "subgroup": label,
                    "level": g.index.astype(str),
                    "n": g["size"].to_numpy(),
                    "orr_n": g["sum"].to_numpy(),
                }
            )
        )
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if out.empty:
        return pd.DataFrame(columns=SUBGROUP_COLUMNS)
    interval = wilson if ci == "wilson" else clopper_pearson
    iv = interval(out["orr_n"].to_numpy(), out["n"].to_numpy())
    return out.assign(
        orr_pct=100 * out["orr_n"] / out["n"],
        ci_low=100 * np.asarray(iv.low, float),
        ci_high=100 * np.asarray(iv.high, float),
    )[SUBGROUP_COLUMNS]


def response_subgroups(o: Outcomes, patients: pd.DataFrame) -> Result:
    """``response_subgroups``: month plus the columns of :func:`subgroup_rates`, one block
    per landmark. Aggregate counts only (no patient identifiers)."""
    blocks = [
        subgroup_rates(o.responses, patients, m, ci=o.settings.ci).assign(month=m)
        for m in o.settings.landmarks
    ]
    blocks = [b for b in blocks if not b.empty]  # a landmark nobody reached adds no rows
    columns = ["month", *SUBGROUP_COLUMNS]
    table = pd.concat(blocks, ignore_index=True)[columns] if blocks else pd.DataFrame(columns=columns)
    interval = "Wilson" if o.settings.ci == "wilson" else _("Clopper–Pearson exact")
    notes = (
        _("Overall response (CR or PR) within subgroups, {interval} 95% intervals; age bands split at the cohort's median age. Exploratory, no adjustment for multiplicity.").format(interval=interval),
    )
    return Result("response_subgroups", table, notes)


def _subgroups(ctx: RunContext) -> dict:
    o = ctx.outcomes
    if not o.responses["evaluable"].any():
        raise AnalysisSkipped(_no_response_note(o))
    return {"response_subgroups": response_subgroups(o, ctx.filtered.patients)}


def _methods(run: AnalysisRun) -> list[str]:
    if run.table("response_subgroups") is None:
        return []
    return [_("Overall response within subgroups (group, sex, ISN/RPS class, age at the median) "
              "with the same intervals; exploratory, without adjustment for multiplicity.")]



SPECS = (
    AnalysisSpec(
        name="response_subgroups", page="response", section="Subgroups",
        tables=(
            TableSpec("response_subgroups", "Response by subgroup", ("month", *SUBGROUP_COLUMNS),
                      "tests/test_subgroups.py (KDIGO rates from reference.R)",
                      counts=("n", "orr_n"), percents=("orr_pct", "ci_low", "ci_high"),
                      estimates={"month": "months"}),
        ),
        compute=_subgroups,
        figures=(FigureRef("core.report.figures.response", "plot_response_forests", "response_forest", "Response by subgroup"),),
        methods=_methods,
        r_call="binom.test(orr_n, n) per subgroup level",
    ),
)
