"""The :class:`Case` record of the hostile corpus and the helpers that build cases."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Literal

from . import base as B
from . import builders as X

# What the one sentence must say, by kind of problem (regexes, always matched with re.IGNORECASE)
UNREADABLE = (
    r"(cannot|can't|could not|couldn't|unable to|not) (be )?(read|open|recogni[sz]e)"
    r"|not a valid|corrupt|damaged|broken|binary|unsupported|not an? (excel|spreadsheet|csv|"
    r"text|table|workbook|xlsx|parquet)"
)
EMPTY = r"empty|no (data|rows|patients|records|visits)|nothing"
TOO_BIG = r"too (large|big|many|long)|exceed|limit|maximum|at most"
ENCRYPTED = r"password|encrypt|protected"
DUPLICATE = r"duplicat|more than once|twice|repeated|same (patient|month)|both"

PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489") + bytes(
    range(256)
) * 8


@dataclass(frozen=True)
class Case:
    """One hostile file and what must happen to it (see the module docstring)."""

    name: str
    filename: str
    data: bytes
    expect: Literal["load", "refuse"]
    must_mention: str  # refuse: the error sentence; load: a required warning ("" = none)
    category: str
    basis: Literal["contract", "issue", "judgement"] = "contract"
    mapping: dict | bytes | None = None  # dict, or raw mapping-file bytes (maybe invalid)
    n_patients: int | None = None
    n_visits: int | None = None
    groups: dict[str, int] | None = None
    ids: tuple[str, ...] | None = None  # the exact patient IDs expected (as text)
    # (patient_id, month, field, expected value) of visits; month matched to 1e-9
    values: tuple[tuple[str, float, str, object], ...] = ()
    # (month, group, n_evaluable, cr_n, orr_n) in response_rates under default settings
    rates: tuple[tuple[float, str, int, int, int], ...] = ()
    max_seconds: float = 60.0  # a hang guard only: speed is measured in bench/
    note: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def mapping_text(self) -> str | None:
        if self.mapping is None:
            return None
        if isinstance(self.mapping, bytes):
            return self.mapping.decode("utf-8", errors="replace")
        return json.dumps(self.mapping, ensure_ascii=False)


def csv_base(rows: list[dict] | None = None, columns=B.LONG_HEADER, **kw) -> str:
    header, body = B.table(B.long_rows() if rows is None else rows, columns)
    return X.delimited(header, body, **kw)


def loads(name: str, filename: str, data: bytes, category: str, **kw) -> Case:
    """A load case with the base cohort's numbers unless told otherwise."""
    kw.setdefault("n_patients", B.N_PATIENTS)
    kw.setdefault("n_visits", B.N_VISITS)
    return Case(name, filename, data, "load", kw.pop("warning", ""), category, **kw)


def refuses(name: str, filename: str, data: bytes, mention: str, category: str, **kw) -> Case:
    return Case(name, filename, data, "refuse", mention, category, **kw)


def with_change(rows: list[dict], index: int, **changes) -> list[dict]:
    out = [dict(r) for r in rows]
    out[index].update(changes)
    return out
