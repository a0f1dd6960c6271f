"""Anti-dsDNA positivity at baseline against each landmark: McNemar or exact binomial."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.analyses.context import RunContext
from core.analyses.labs_values import landmark_values
from core.analyses.paired import _subsets, _wide
from core.analyses.response import group_levels
from core.analyses.spec import AnalysisSpec, FigureRef, TableSpec
from core.model.i18n import gettext as _
from core.model.results import AnalysisRun, Result
from core.model.schema import Cohort
from core.model.vocabulary import test_text
from core.outcomes.derive import Outcomes
from core.stats.contingency import mcnemar_or_binomial


def dsdna_shift(cohort: Cohort, o: Outcomes, values: pd.DataFrame | None = None) -> Result:
    """Anti-dsDNA positivity at baseline against each landmark (patients with both).

    ``mcnemar.test(correct = TRUE)`` with ≥ 25 discordant pairs, else ``binom.test(b, b +
    c)``. Returns Result ``dsdna_shift``: month, group, n_pairs, pos_to_neg, neg_to_pos,
    test, p_value, pos_baseline, pos_followup.
    """
    cols = (
        "month group n_pairs pos_to_neg neg_to_pos test p_value pos_baseline pos_followup"
    ).split()
    if "anti_dsdna_pos" not in cohort.visits or cohort.visits["anti_dsdna_pos"].isna().all():
        return Result(
            "dsdna_shift",
            pd.DataFrame(columns=cols),
            (_("No anti-dsDNA positivity in the file."),),
            {"settings": o.settings},
        )
    values = landmark_values(cohort, o) if values is None else values
    v = values.assign(anti_dsdna_pos=values["anti_dsdna_pos"].astype("float"))
    w = _wide(v, "anti_dsdna_pos")
    levels = group_levels(o, o.settings.reference)
    rows, notes = [], []
    for month in o.settings.landmarks:
        x0, x1 = w.at(0.0), w.at(month)
        both = ~np.isnan(x0) & ~np.isnan(x1)
        for g, mask in _subsets(w.group, levels):
            ok = both & mask
            b0, b1 = x0[ok] == 1, x1[ok] == 1
            b, c = int((b0 & ~b1).sum()), int((~b0 & b1).sum())
            shift = mcnemar_or_binomial(b, c)  # no discordant pair: exact binomial, p NaN
            test, p = shift.test, shift.p
            if b + c == 0:
                notes.append(_('Month {month} {group}: no discordant pair, no test.').format(month=f"{month:g}", group=g))
            rows.append([month, g, int(ok.sum()), b, c, test, p, int(b0.sum()), int(b1.sum())])
    notes.insert(
        0,
        _("McNemar with continuity correction when discordant pairs ≥ 25, else "
        "exact binomial test on the discordant pairs."),
    )
    return Result(
        "dsdna_shift", pd.DataFrame(rows, columns=cols), tuple(notes), {"settings": o.settings}
    )


def _dsdna(ctx: RunContext) -> dict:
    return {"dsdna_shift": dsdna_shift(ctx.filtered, ctx.outcomes, ctx.landmark_values())}


def _methods(run: AnalysisRun) -> list[str]:
    if run.table("dsdna_shift") is None:
        return []
    return [_("Anti-dsDNA positivity at baseline and landmark: {test}.").format(
        test=test_text("mcnemar"))]



SPECS = (
    AnalysisSpec(
        name="dsdna_shift", page="labs", section="Anti-dsDNA positivity",
        tables=(
            TableSpec("dsdna_shift", "Anti-dsDNA shift",
                      ("month", "group", "n_pairs", "pos_to_neg", "neg_to_pos", "test", "p_value",
                       "pos_baseline", "pos_followup"), "tests/reference/expected/dsdna_shift.csv",
                      counts=("n_pairs", "pos_to_neg", "neg_to_pos", "pos_baseline", "pos_followup"),
                      p_values=("p_value",), estimates={"month": "months"}),
        ),
        compute=_dsdna,
        figures=(FigureRef("core.report.figures.lab_summary", "plot_dsdna_shift", "dsdna_shift", "Anti-dsDNA shift"),),
        methods=_methods,
        r_call="mcnemar.test(correct = TRUE) / binom.test(b, b + c)",
    ),
)
