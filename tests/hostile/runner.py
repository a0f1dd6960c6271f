"""Checks shared by the hostile tests: run a case through the core, compare with its case."""

from __future__ import annotations

import contextlib
import math
import re
import signal
from collections.abc import Iterator

from . import base as B
from . import builders as X
from .case import Case


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Raise TimeoutError in the main thread after ``seconds`` (a hung parser fails, not hangs)."""

    def _expired(signum, frame):  # noqa: ARG001
        raise TimeoutError(f"took longer than {seconds:.0f} s")

    old = signal.signal(signal.SIGALRM, _expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def mentions(pattern: str, text: str) -> bool:
    return re.search(pattern, text, re.IGNORECASE | re.DOTALL) is not None


def issue_text(issue) -> str:
    """The words a user sees for an issue: the sentence plus the column and value it names."""
    parts = [issue.message, issue.column or "", "" if issue.value is None else str(issue.value)]
    return " ".join(p for p in parts if p)


def resolve_mapping(case: Case) -> tuple[dict | None, str | None]:
    """The mapping dict to pass to ``load_cohort``, or the error the mapping parser gave.

    Raw mapping bytes go through ``core.ingest.mapping.parse_mapping_json`` as a user's file would;
    a dict goes through it too (as JSON), so a mapping refused at parse time counts.
    """
    if case.mapping is None:
        return None, None
    from core.ingest.mapping import parse_mapping_json

    raw = case.mapping if isinstance(case.mapping, bytes) else case.mapping_text or ""
    parsed, error = parse_mapping_json(raw)
    if error:
        return None, error
    return parsed, None


def load_case(case: Case):
    """(cohort or None, mapping error or None) for a case, under its time budget."""
    from core.ingest.load import load_cohort

    mapping, error = resolve_mapping(case)
    if error:
        return None, error
    with deadline(case.max_seconds):
        return load_cohort(case.data, case.filename, mapping), None


def loaded_problems(case: Case, cohort) -> list[str]:
    """Every way a loaded cohort differs from what the case states (empty list = as stated)."""
    problems: list[str] = []
    patients, visits = cohort.patients, cohort.visits
    if case.n_patients is not None and len(patients) != case.n_patients:
        problems.append(f"{len(patients)} patients, expected {case.n_patients}")
    if case.n_visits is not None and len(visits) != case.n_visits:
        problems.append(f"{len(visits)} visits, expected {case.n_visits}")
    if case.ids is not None:
        got = sorted(map(str, patients["patient_id"])) if "patient_id" in patients else []
        if got != sorted(case.ids):
            problems.append(f"patient IDs {[g[:40] for g in got]} != {[i[:40] for i in case.ids]}")
    if case.groups is not None:
        got = patients["group"].value_counts().to_dict() if "group" in patients else {}
        if {str(k): int(v) for k, v in got.items()} != case.groups:
            problems.append(f"groups {got} != {case.groups}")
    for pid, month, name, expected in case.values:
        rows = visits[(visits["patient_id"] == pid) & ((visits["month"] - month).abs() < 1e-9)]
        if len(rows) != 1 or name not in rows:
            problems.append(f"{pid} month {month}: {len(rows)} visit rows with {name}")
            continue
        got = rows[name].iloc[0]
        if isinstance(expected, float) and math.isnan(expected):
            ok = got is None or (isinstance(got, float) and math.isnan(got)) or str(got) == "<NA>"
        elif isinstance(expected, float):
            ok = got is not None and math.isclose(float(got), expected, rel_tol=1e-9)
        else:
            ok = got == expected
        if not ok:
            problems.append(f"{pid} month {month} {name} = {got!r}, expected {expected!r}")
    return problems


def rate_problems(case: Case, rates_table) -> list[str]:
    """Compare ``response_rates`` rows with the case's (month, group, n, cr_n, orr_n)."""
    problems = []
    for month, group, n, cr, orr in case.rates:
        row = rates_table[(rates_table["month"].astype(float) == month)
                          & (rates_table["group"].astype(str) == group)]
        if len(row) != 1:
            problems.append(f"response_rates: {len(row)} rows for month {month} {group}")
            continue
        got = tuple(int(row[c].iloc[0]) for c in ("n_evaluable", "cr_n", "orr_n"))
        if got != (n, cr, orr):
            problems.append(f"month {month} {group}: (n, cr, orr) = {got}, expected {(n, cr, orr)}")
    return problems


def many_rows_xlsx(copies: int) -> bytes:
    """The base cohort ``copies`` times over (distinct patient IDs), in an xlsx sheet that
    declares no <dimension>: only reading the rows tells how many there are."""
    header, body = B.table(B.long_rows())
    rows = [header] + [[f"{r[0]}-{k}", *r[1:]] for k in range(copies) for r in body]
    return X.xlsx({"Cohort": X.sheet_xml(rows, dimension="")})
