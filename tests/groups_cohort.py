"""The validation cohort split into three or four groups, as tests/reference/groups/groups.R
builds it: relapse patients with an even number become ``new-onset`` (3 groups); with four,
refractory patients whose number is divisible by 3 also become ``partial``. The mapping
states the groups' order (``values.group``, identity entries), whose first label is the
reference."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from core.ingest.load import load_cohort
from core.model.schema import Cohort

REFERENCE = Path(__file__).parent / "reference"
GROUPS_DIR = REFERENCE / "groups"
ORDERS: dict[int, tuple[str, ...]] = {
    3: ("relapse", "new-onset", "refractory"),
    4: ("partial", "relapse", "refractory", "new-onset"),
}


def split_frame(k: int) -> pd.DataFrame:
    """cohort_long.csv with ``k`` (3 or 4) groups."""
    d = pd.read_csv(REFERENCE / "cohort_long.csv", dtype={"patient_id": str})
    n = d["patient_id"].str.removeprefix("PT").astype(int)
    group = d["group"].copy()
    group[(d["group"] == "relapse") & (n % 2 == 0)] = "new-onset"
    if k >= 4:
        group[(d["group"] == "refractory") & (n % 3 == 0)] = "partial"
    return d.assign(group=group)


def groups_csv(k: int) -> bytes:
    return split_frame(k).to_csv(index=False).encode()


def groups_mapping(k: int) -> dict:
    """The mapping stating the display order (identity recodes of ``values.group``)."""
    return {"values": {"group": {g: g for g in ORDERS[k]}}}


def groups_cohort(k: int, *, ordered: bool = True) -> Cohort:
    """The ``k``-group cohort, with the mapping's order (``ordered``) or without one."""
    return load_cohort(groups_csv(k), f"cohort_{k}_groups.csv",
                       groups_mapping(k) if ordered else None)
