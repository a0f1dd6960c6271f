"""The frozen result every analysis returns: a tidy table plus notes on how it was made."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass(frozen=True)
class Result:
    """One analysis output.

    ``name`` is the contract table name (``response_rates`` ...); ``table`` has the
    contract columns (extra columns allowed) at full precision; ``notes`` are sentences
    naming the method, variant and caveats; ``meta`` records the settings and filters.
    """

    name: str
    table: pd.DataFrame
    notes: tuple[str, ...] = ()
    meta: dict = field(default_factory=dict)
