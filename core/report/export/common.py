"""Small helpers shared by the exporters: table access, patient-level tables, group order
and group sizes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from core.analyses.registry import is_patient_level_table
from core.model.i18n import N_
from core.model.i18n import gettext as _
from core.model.results import Result
from core.model.vocabulary import ALL, group_order

__all__ = ["ALL", "group_order"]

# Shared words translated where they are shown (their constants live in core.model.vocabulary):
# the whole cohort as a group, the time-to-response events.
SHOWN_WORDS = (N_("All"), N_("CR or PR"), N_("CR"))



def table(results: Mapping[str, Result], name: str) -> pd.DataFrame | None:
    """The table of result ``name``, or None when absent or empty."""
    res = results.get(name)
    if res is None or res.table is None or res.table.empty:
        return None
    return res.table


def is_patient_level(name: str, frame: pd.DataFrame | None) -> bool:
    """True for a table that identifies patients: marked so in the registry, or any table
    with a ``patient_id`` column."""
    return is_patient_level_table(name) or (frame is not None and "patient_id" in frame.columns)


def split_patient_level(
    results: Mapping[str, Result],
) -> tuple[dict[str, Result], dict[str, Result]]:
    """``(aggregate, patient_level)``: the results split by :func:`is_patient_level`."""
    aggregate: dict[str, Result] = {}
    patient_level: dict[str, Result] = {}
    for name, res in results.items():
        (patient_level if is_patient_level(name, res.table) else aggregate)[name] = res
    return aggregate, patient_level


def group_sizes(results: Mapping[str, Result]) -> dict[str, int]:
    """Patients per group and ``All`` in the analysed cohort.

    From ``landmark_visits`` (one baseline row per patient), else ``response_transitions``
    (every patient counted once per from/to month pair), else ``ttr_summary``'s n (patients
    with follow-up only).
    """
    lv = table(results, "landmark_visits")
    if lv is not None and {"patient_id", "group", "landmark"} <= set(lv.columns):
        base = lv[lv["landmark"] == 0]
        sizes = base.groupby(base["group"].astype(str))["patient_id"].nunique()
        out = {str(k): int(v) for k, v in sizes.items()}
        out[ALL] = int(base["patient_id"].nunique())
        return out
    tr = table(results, "response_transitions")
    if tr is not None and {"from_month", "to_month", "group", "n"} <= set(tr.columns):
        first = tr[
            (tr["from_month"] == tr["from_month"].iloc[0])
            & (tr["to_month"] == tr["to_month"].iloc[0])
        ]
        return {
            str(k): int(v) for k, v in first.groupby(first["group"].astype(str))["n"].sum().items()
        }
    ts = table(results, "ttr_summary")
    if ts is not None and {"group", "n"} <= set(ts.columns):
        return {str(g): int(n) for g, n in zip(ts["group"], ts["n"], strict=False)}
    return {}


def group_label(group: object) -> str:
    """A group as a reader sees it: the user's own names as they are, the whole cohort
    (``All``) in the current language."""
    text = str(group)
    return _(ALL) if text == ALL else text


def header_with_n(group: str, sizes: Mapping[str, int]) -> str:
    """``'refractory (n = 49)'``; the bare label when the size is unknown."""
    label = group_label(group)
    return f"{label} (n = {sizes[group]})" if group in sizes else label


@dataclass(frozen=True)
class TableContent:
    """A table ready to lay out: ``spans`` flags rows that are one merged section label."""

    header: list[str]
    rows: list[list[str]]
    spans: list[bool] = field(default_factory=list)
    footnotes: list[str] = field(default_factory=list)
