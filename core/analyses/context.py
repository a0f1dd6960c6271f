"""What every compute function receives: the cohort before and after filters, the derived
outcomes and the settings, resolved once by the run."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from core.model.schema import Cohort
from core.model.settings import Filters, Settings
from core.outcomes.derive import Outcomes


@dataclass(frozen=True)
class RunContext:
    """Inputs of one run, shared by the analyses (read-only).

    ``cohort`` as loaded; ``filtered`` the patients analysed; ``outcomes`` derived from
    ``filtered`` under ``settings`` (resolved: criteria and reference filled in).
    """

    cohort: Cohort
    filtered: Cohort
    filters: Filters
    settings: Settings
    outcomes: Outcomes
    _shared: dict = field(default_factory=dict, repr=False, compare=False)

    def landmark_values(self) -> pd.DataFrame:
        """Every measure at each patient's baseline and landmark visits (long), computed once
        per run (``core.analyses.paired.landmark_values``)."""
        if "landmark_values" not in self._shared:
            from core.analyses.paired import landmark_values

            self._shared["landmark_values"] = landmark_values(self.filtered, self.outcomes)
        return self._shared["landmark_values"]
