"""Anti-dsDNA positivity from titres, and censored titres (clinical-rules §4).

Files often give the titre alone. With a cutoff (a setting; the mapping's
``options.anti_dsdna_cutoff``; ``--dsdna-cutoff``) the positivity is derived where the file
gives none: positive when the titre is at or above the cutoff. A recorded positivity is never
overridden. A censored titre (``<10``, ``>300``; ``anti_dsdna_censored``) decides the
positivity only when its bound does: ``<v`` with v ≤ cutoff is negative, ``>v`` with
v ≥ cutoff positive; any other censored titre leaves the positivity missing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from core.model.schema import Cohort


@dataclass(frozen=True)
class Positivity:
    """What the cutoff did: values derived positive / negative, censored titres left
    undetermined, and recorded positivities kept."""

    positive: int = 0
    negative: int = 0
    undetermined: int = 0
    recorded: int = 0

    @property
    def derived(self) -> int:
        return self.positive + self.negative


def derive_positivity(visits: pd.DataFrame, cutoff: float) -> tuple[pd.DataFrame, Positivity]:
    """The visits with ``anti_dsdna_pos`` filled from ``anti_dsdna`` where it is missing
    (positive when titre ≥ cutoff; censored titres as the module says), and the counts."""
    if "anti_dsdna" not in visits:
        return visits, Positivity()
    titre = visits["anti_dsdna"].to_numpy(dtype=float)
    flag = (visits["anti_dsdna_censored"].astype(object).where(
        visits["anti_dsdna_censored"].notna(), "").astype(str).to_numpy()
        if "anti_dsdna_censored" in visits else np.full(len(visits), "", dtype=object))
    given = (visits["anti_dsdna_pos"].astype("boolean") if "anti_dsdna_pos" in visits
             else pd.Series(pd.NA, index=visits.index, dtype="boolean"))
    has_given = given.notna().to_numpy()
    known = np.isfinite(titre)
    below, above = flag == "<", flag == ">"
    with np.errstate(invalid="ignore"):
        pos = known & ~below & (titre >= cutoff)  # plain, or '>v' with v >= cutoff
        neg = known & ((~below & ~above & (titre < cutoff)) | (below & (titre <= cutoff)))
    pos &= ~has_given
    neg &= ~has_given
    undetermined = known & ~has_given & ~pos & ~neg
    out = given.copy()
    out[pos] = True
    out[neg] = False
    v = visits.copy(deep=False)
    v["anti_dsdna_pos"] = out.astype("boolean")
    return v, Positivity(int(pos.sum()), int(neg.sum()), int(undetermined.sum()),
                         int((has_given & known).sum()))


def with_cutoff(cohort: Cohort, cutoff: float | None) -> tuple[Cohort, Positivity | None]:
    """The cohort with positivity derived at ``cutoff`` (None: unchanged, no counts)."""
    if cutoff is None or "anti_dsdna" not in cohort.visits:
        return cohort, None
    visits, counts = derive_positivity(cohort.visits, float(cutoff))
    return replace(cohort, visits=visits), counts


def censored_counts(visits: pd.DataFrame) -> tuple[int, int]:
    """Titres censored below a limit (``<``) and above one (``>``) among the visits."""
    if "anti_dsdna_censored" not in visits or "anti_dsdna" not in visits:
        return 0, 0
    flag = visits["anti_dsdna_censored"].astype(object)
    known = visits["anti_dsdna"].notna()
    return int(((flag == "<") & known).sum()), int(((flag == ">") & known).sum())


def positivity_note(counts: Positivity, cutoff: float, unit: str,
                    titre_unit: str | None = None) -> str:
    """The note saying what the cutoff derived (and when the cutoff's unit is not the one
    the titres were read in)."""
    text = (f"Anti-dsDNA positivity derived from the titre (positive at or above {cutoff:g} "
            f"{unit}) at {counts.derived} visit(s) without a recorded positivity "
            f"({counts.positive} positive, {counts.negative} negative); a recorded positivity "
            "was never overridden")
    if counts.undetermined:
        text += (f"; {counts.undetermined} censored titre(s) whose limit lies on the other side "
                 "of the cutoff left undetermined")
    text += "."
    if titre_unit and titre_unit.lower() != unit.lower():
        text += (f" The cutoff is in {unit} and the titres in {titre_unit}: assays are not "
                 "comparable, the cutoff was applied to the numbers as given.")
    return text


def censored_note(below: int, above: int) -> str | None:
    """The note on censored titres, or None when there are none."""
    if not below and not above:
        return None
    parts = [f"{below} below a detection limit (like <10)" if below else "",
             f"{above} above an upper limit (like >300)" if above else ""]
    return (f"{below + above} anti-dsDNA titre(s) were censored ("
            + ", ".join(p for p in parts if p) + "): analysed at the limit value; medians, "
            "quartiles and rank tests are unaffected when no uncensored titre lies beyond the "
            "limit, means (paired t-test, mean change) use the limit as the value.")
