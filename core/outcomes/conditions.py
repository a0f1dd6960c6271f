"""Named conditions of the renal response rule sets (clinical-rules §1).

A rule set is a list of :class:`Condition` s: CR when every CR condition holds, PR when
every PR condition holds (and not CR). Each condition names the values it reads, so the
response audit can show each one as true, false, missing (a value it needs is missing) or
not assessed (an optional value, such as urine RBC in LUNAR or treatment failure in
BLISS-LN, is not recorded: the condition then counts as met).

Values are read from a :class:`Values` mapping: ``upcr``/``egfr``/``creatinine``/… at the
visit judged, ``<field>_0`` at the baseline visit, ``egfr_ref`` the BLISS-LN reference eGFR.

Boundary rules: a ``≤``/``≥`` holds when it holds on paper, compared with a relative
tolerance of 1e-9 (``a ≤ b`` as ``a ≤ b + 1e-9·|b|``; 0.92 ≤ 1.15 × 0.80 is false in
doubles, true on paper); a plain ``<`` against a fixed threshold has no tolerance.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

REL_TOL = 1e-9


def leq(a: np.ndarray, b: np.ndarray | float) -> np.ndarray:
    """``a ≤ b`` on paper: ``a ≤ b + 1e-9·|b|``."""
    return a <= b + REL_TOL * np.abs(b)


def geq(a: np.ndarray, b: np.ndarray | float) -> np.ndarray:
    """``a ≥ b`` on paper: ``a ≥ b − 1e-9·|b|``."""
    return a >= b - REL_TOL * np.abs(b)


def on_edge(a: np.ndarray, b: np.ndarray | float) -> np.ndarray:
    """``a`` equals the threshold ``b`` on paper (diagnostic ``n_on_boundary``)."""
    return np.abs(a - b) <= REL_TOL * np.abs(b)


class Values(Mapping):
    """Numeric columns of a frame as float arrays, read once; absent columns are NaN."""

    def __init__(self, x: pd.DataFrame | Mapping[str, np.ndarray], n: int | None = None) -> None:
        self._x = x
        self.n = len(x) if n is None else n
        self._cache: dict[str, np.ndarray] = {}

    def __getitem__(self, key: str) -> np.ndarray:
        if key not in self._cache:
            if key in self._x:
                col = self._x[key]
                self._cache[key] = pd.to_numeric(pd.Series(col), errors="coerce").to_numpy(
                    dtype=float
                )
            else:
                self._cache[key] = np.full(self.n, np.nan)
        return self._cache[key]

    def __setitem__(self, key: str, value: np.ndarray) -> None:
        self._cache[key] = np.asarray(value, dtype=float)

    def __contains__(self, key: object) -> bool:
        return key in self._cache or key in self._x

    def __iter__(self):
        return iter({*self._cache, *self._x})

    def __len__(self) -> int:
        return len(set(self))


Test = Callable[[Values], np.ndarray]


@dataclass(frozen=True)
class Condition:
    """One named condition: ``text`` as printed in the methods (``'Pt < 0.5'``).

    ``inputs``: values that must be present for the condition to be known; ``optional``:
    values that, when missing, leave it not assessed (and met); ``holds`` and ``edge``
    (exactly on its threshold) are vectorised over the rows of a :class:`Values`.
    """

    name: str
    text: str
    inputs: tuple[str, ...]
    holds: Test
    edge: Test
    optional: tuple[str, ...] = ()


def _never(v: Values) -> np.ndarray:
    return np.zeros(v.n, dtype=bool)


def below(key: str, limit: float, text: str, name: str) -> Condition:
    """``key < limit`` (plain comparison; on the edge when equal)."""
    return Condition(name, text, (key,), lambda v: v[key] < limit, lambda v: v[key] == limit)


def at_most(key: str, limit: float, text: str, name: str) -> Condition:
    """``key ≤ limit`` on paper."""
    return Condition(
        name, text, (key,), lambda v: leq(v[key], limit), lambda v: on_edge(v[key], limit)
    )


def at_least(key: str, limit: float, text: str, name: str) -> Condition:
    """``key ≥ limit`` on paper."""
    return Condition(
        name, text, (key,), lambda v: geq(v[key], limit), lambda v: on_edge(v[key], limit)
    )


def at_most_ratio(key: str, base: str, ratio: float, text: str, name: str) -> Condition:
    """``key ≤ ratio · base`` on paper (``Pt ≤ 0.5·P0``, ``Ct ≤ 1.15·C0``)."""
    return Condition(
        name,
        text,
        (key, base),
        lambda v: leq(v[key], ratio * v[base]),
        lambda v: on_edge(v[key], ratio * v[base]),
    )


def at_least_ratio(
    key: str, base: str, ratio: float, text: str, name: str, absolute: float | None = None
) -> Condition:
    """``key ≥ ratio · base`` on paper, or ``key ≥ absolute`` when given (either suffices).

    Both values are needed even when the absolute threshold alone would decide.
    """

    def holds(v: Values) -> np.ndarray:
        ok = geq(v[key], ratio * v[base])
        return ok | geq(v[key], absolute) if absolute is not None else ok

    def edge(v: Values) -> np.ndarray:
        e = on_edge(v[key], ratio * v[base])
        return e | on_edge(v[key], absolute) if absolute is not None else e

    return Condition(name, text, (key, base), holds, edge)


def below_when_recorded(key: str, limit: float, text: str, name: str) -> Condition:
    """``key < limit`` when ``key`` is recorded; not assessed (met) when it is missing."""
    return Condition(
        name,
        text,
        (),
        lambda v: np.isnan(v[key]) | (v[key] < limit),
        lambda v: v[key] == limit,
        optional=(key,),
    )


def not_flagged(key: str, text: str, name: str) -> Condition:
    """The 0/1 flag ``key`` is not 1; not assessed (met) when the file has no such flag."""
    return Condition(name, text, (), lambda v: ~(v[key] == 1), _never, optional=(key,))


def lunar_pr_ceiling() -> Condition:
    """LUNAR: ``Pt < 1.0`` when ``P0 ≤ 3.0``, else ``Pt ≤ 3.0``."""

    def holds(v: Values) -> np.ndarray:
        p, p0 = v["upcr"], v["upcr_0"]
        return np.where(leq(p0, 3.0), p < 1.0, leq(p, 3.0))

    def edge(v: Values) -> np.ndarray:
        p, p0 = v["upcr"], v["upcr_0"]
        return (p == 1.0) | (p0 == 3.0) | (p == 3.0)

    return Condition(
        "pr_upcr_ceiling", "Pt < 1.0 if P0 ≤ 3.0, else Pt ≤ 3.0", ("upcr", "upcr_0"), holds, edge
    )


STATE_TRUE, STATE_FALSE, STATE_MISSING, STATE_NOT_ASSESSED = (
    "true",
    "false",
    "missing",
    "not assessed",
)


def condition_state(c: Condition, v: Values) -> np.ndarray:
    """Each row's state of ``c``: ``true``, ``false``, ``missing`` or ``not assessed``."""
    missing = np.zeros(v.n, dtype=bool)
    for k in c.inputs:
        missing |= np.isnan(v[k])
    absent = np.zeros(v.n, dtype=bool)
    for k in c.optional:
        absent |= np.isnan(v[k])
    with np.errstate(invalid="ignore"):
        holds = np.asarray(c.holds(v), dtype=bool)
    out = np.where(holds, STATE_TRUE, STATE_FALSE).astype(object)
    out[absent] = STATE_NOT_ASSESSED
    out[missing] = STATE_MISSING
    return out
