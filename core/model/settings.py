"""Analysis settings (data-contract §4) and cohort filters, as validated named values."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Literal, get_args

from core.model.vocabulary import default_reference

Criteria = Literal[
    "recorded",
    "kdigo2024",
    "eular2019",
    "creatinine15",
    "lunar",
    "aurora",
    "multitarget_cn",
    "bliss_ln",
    "custom",
]
CRITERIA: tuple[str, ...] = get_args(Criteria)
MissingStrategy = Literal["complete-case", "non-responder", "locf"]
MISSING_STRATEGIES: tuple[str, ...] = get_args(MissingStrategy)
Event = Literal["cr-or-pr", "cr"]
EVENTS: tuple[str, ...] = get_args(Event)
CIMethod = Literal["clopper-pearson", "wilson"]
CI_METHODS: tuple[str, ...] = get_args(CIMethod)
FlareConfirmation = Literal["none", "next-visit"]
FLARE_CONFIRMATIONS: tuple[str, ...] = get_args(FlareConfirmation)
ZphTransform = Literal["km", "identity", "log", "rank"]
ZPH_TRANSFORMS: tuple[str, ...] = get_args(ZphTransform)
EVENT_NAME_MAX = 60  # characters of the user's name for the time-to-event event


@dataclass(frozen=True)
class CustomCriteria:
    """Thresholds of the user's own rule set (``criteria='custom'``).

    CR: Pt < cr_upcr_max and kidney stable. PR (not CR): Pt <= pr_ratio * P0 and
    Pt < pr_upcr_max and kidney stable. Kidney stability is either eGFR (Gt >=
    egfr_ratio * G0) or creatinine (Ct <= creatinine_ratio * C0), never both.
    """

    cr_upcr_max: float = 0.5
    pr_ratio: float = 0.5
    pr_upcr_max: float = 3.0
    kidney: Literal["egfr", "creatinine"] = "egfr"
    egfr_ratio: float = 0.85
    creatinine_ratio: float = 1.15


@dataclass(frozen=True)
class Settings:
    """Analysis settings with the contract's defaults.

    ``criteria=None`` means: ``recorded`` when the cohort has a response column, else
    ``kdigo2024``; ``reference=None``: the first group of ``group_order`` (the mapping's
    order), else ``refractory`` if present, else the first group.
    """

    criteria: str | None = None
    landmarks: tuple[float, ...] = (6.0, 12.0)
    # how the user gave landmarks that were not whole months: (months, 'week 20'), shown
    # beside the months on the pages and in the titles (parse_landmark)
    landmark_names: tuple[tuple[float, str], ...] = ()
    window: float = 1.0
    missing: str = "complete-case"
    event: str = "cr-or-pr"
    ci: str = "clopper-pearson"
    reference: str | None = None
    # Display order of the groups (first = default reference); () = the cohort's order
    # (Cohort.group_levels, from the mapping), filled in by resolved().
    group_order: tuple[str, ...] = ()
    custom: CustomCriteria = field(default_factory=CustomCriteria)
    exclude_baseline_cr: bool = False
    normal_vars: tuple[str, ...] = ()  # table1: variables summarised as mean (SD)
    # table1: variables added to / left out of the default rows (Cohort page; the mapping's
    # options.baseline_include / baseline_exclude), by column or measure name
    baseline_include: tuple[str, ...] = ()
    baseline_exclude: tuple[str, ...] = ()
    # anti-dsDNA positivity derived from the titre where the file gives none: positive when
    # the titre is at or above the cutoff (unit as given; clinical-rules §4); None = not derived
    dsdna_cutoff: float | None = None
    dsdna_cutoff_unit: str = "IU/mL"
    mixed_measures: tuple[str, ...] = ("egfr",)  # labs modelled over all visits (lab_slopes)
    # Restricted mean time to response up to rmst_tau months (None: the largest time every
    # group reaches); cumulative incidence at milestone_months (None: the landmarks); the
    # time scale g(t) of the proportional-hazards test (cox.zph transform).
    rmst_tau: float | None = None
    milestone_months: tuple[float, ...] | None = None
    zph_transform: str = "km"
    # Long-term outcomes (core/analyses/flares.py, kidney_outcomes.py): renal flares are
    # confirmed at the next visit or not; the custom flare is UPCR ≥ fold × its post-response
    # nadir and ≥ floor (g/g), or creatinine ≥ (1 + rise/100) × its nadir when the rise (%)
    # is set; an unconfirmed eGFR decline / creatinine doubling at the last visit counts.
    flare_confirmation: str = "none"
    flare_fold: float = 2.0
    flare_floor_upcr: float = 1.0
    flare_creatinine_rise_pct: float | None = None
    decline_at_last_visit: bool = True
    confirm_weeks: float = 4.0  # sustained_response: least gap to the confirming visit
    audit_every_visit: bool = False  # response_audit: every visit, not only the landmarks
    # Small-cell suppression for outputs that leave the hospital: counts 1 to threshold − 1
    # blanked with their complementary cells (docs/small-cell-suppression.md); None = off.
    suppression_threshold: int | None = None
    # What the file's own time-to-event event is ("death", "renal flare"; None: a response).
    # Titles, axis labels, captions and the methods text of time to event follow it.
    event_name: str | None = None

    def __post_init__(self) -> None:
        if self.event_name is not None:
            name = " ".join(str(self.event_name).split())
            if len(name) > EVENT_NAME_MAX or any(not ch.isprintable() for ch in name):
                raise ValueError(
                    f"The event name must be plain text of at most {EVENT_NAME_MAX} characters."
                )
            object.__setattr__(self, "event_name", name or None)
        if self.criteria is not None and self.criteria not in CRITERIA:
            raise ValueError(f"Unknown response criteria {self.criteria!r}.")
        if self.missing not in MISSING_STRATEGIES:
            raise ValueError(f"Unknown missing-landmark strategy {self.missing!r}.")
        if self.event not in EVENTS:
            raise ValueError(f"Unknown time-to-response event {self.event!r}.")
        if self.ci not in CI_METHODS:
            raise ValueError(f"Unknown CI method {self.ci!r}.")
        if self.suppression_threshold is not None and not 2 <= self.suppression_threshold <= 100:
            raise ValueError("The small-cell threshold must be between 2 and 100.")
        if not 0 <= self.confirm_weeks <= 52:
            raise ValueError("The confirmation gap must be between 0 and 52 weeks.")
        if not 0 <= self.window <= 3:
            raise ValueError("The landmark window must be between 0 and 3 months.")
        if self.flare_confirmation not in FLARE_CONFIRMATIONS:
            raise ValueError(f"Unknown flare confirmation {self.flare_confirmation!r}.")
        if not self.flare_fold > 0 or not self.flare_floor_upcr >= 0:
            raise ValueError("The flare fold must be above 0 and its UPCR floor not below 0.")
        if self.flare_creatinine_rise_pct is not None and not self.flare_creatinine_rise_pct > 0:
            raise ValueError("The flare creatinine rise must be above 0 %.")
        if self.rmst_tau is not None and not 0 < float(self.rmst_tau) < float("inf"):
            raise ValueError("The restricted-mean horizon τ must be a number of months above 0.")
        if self.milestone_months is not None and (
            not self.milestone_months
            or not all(0 < float(m) < float("inf") for m in self.milestone_months)
        ):
            raise ValueError("Milestone months must be one or more months after 0.")
        if self.zph_transform not in ZPH_TRANSFORMS:
            raise ValueError(f"Unknown proportional-hazards time transform {self.zph_transform!r}.")
        if not self.mixed_measures or not all(str(m).strip() for m in self.mixed_measures):
            raise ValueError("Name at least one lab to model over all visits.")
        if self.dsdna_cutoff is not None and not 0 < float(self.dsdna_cutoff) < float("inf"):
            raise ValueError("The anti-dsDNA cutoff must be a titre above 0.")
        object.__setattr__(self, "baseline_include", tuple(str(v) for v in self.baseline_include))
        object.__setattr__(self, "baseline_exclude", tuple(str(v) for v in self.baseline_exclude))
        if set(self.baseline_include) & set(self.baseline_exclude):
            raise ValueError("A baseline variable cannot be both included and excluded.")
        if self.dsdna_cutoff is not None:
            object.__setattr__(self, "dsdna_cutoff", float(self.dsdna_cutoff))
        object.__setattr__(self, "landmarks", tuple(float(m) for m in self.landmarks))
        object.__setattr__(self, "mixed_measures", tuple(str(m) for m in self.mixed_measures))
        object.__setattr__(self, "group_order", tuple(str(g) for g in self.group_order))
        if self.rmst_tau is not None:
            object.__setattr__(self, "rmst_tau", float(self.rmst_tau))
        if self.milestone_months is not None:
            months = tuple(sorted({float(m) for m in self.milestone_months}))
            object.__setattr__(self, "milestone_months", months)

    def mapping_options(self) -> dict:
        """The choices of these settings that a mapping file remembers (contract §3
        ``options``): the anti-dsDNA cutoff and the baseline include/exclude lists."""
        out: dict = {}
        if self.dsdna_cutoff is not None:
            out["anti_dsdna_cutoff"] = {"value": self.dsdna_cutoff, "unit": self.dsdna_cutoff_unit}
        if self.baseline_include:
            out["baseline_include"] = list(self.baseline_include)
        if self.baseline_exclude:
            out["baseline_exclude"] = list(self.baseline_exclude)
        return out

    def landmark_label(self, month: float) -> str:
        """'week 20' for a landmark given in weeks, else 'month 6' (baseline for 0)."""
        m = float(month)
        if m == 0:
            return "baseline"
        return dict(self.landmark_names).get(m, f"month {m:g}")

    @property
    def milestones(self) -> tuple[float, ...]:
        """The months of the ``milestones`` table: ``milestone_months``, else the landmarks."""
        return self.milestone_months if self.milestone_months is not None else self.landmarks

    def resolved(
        self, has_recorded_response: bool, groups: list[str], order: tuple[str, ...] = ()
    ) -> Settings:
        """The same settings with ``criteria``, ``group_order`` (``order``, the cohort's,
        unless set) and ``reference`` filled in."""
        criteria = self.criteria or ("recorded" if has_recorded_response else "kdigo2024")
        group_order = self.group_order or tuple(str(g) for g in order)
        reference = self.reference
        if reference is None or reference not in groups:
            reference = default_reference(groups, group_order)
        return replace(self, criteria=criteria, reference=reference, group_order=group_order)


def options_settings(options: dict | None) -> dict:
    """:class:`Settings` keyword arguments from a mapping's ``options`` (contract §3, already
    validated): ``dsdna_cutoff``, ``dsdna_cutoff_unit``, ``baseline_include``,
    ``baseline_exclude``; absent options give no argument."""
    options = options or {}
    out: dict = {}
    if cutoff := options.get("anti_dsdna_cutoff"):
        out["dsdna_cutoff"] = float(cutoff["value"])
        out["dsdna_cutoff_unit"] = str(cutoff.get("unit") or "IU/mL")
    for key in ("baseline_include", "baseline_exclude"):
        if options.get(key):
            out[key] = tuple(options[key])
    return out


SETTING_OPTIONS: tuple[str, ...] = ("anti_dsdna_cutoff", "baseline_include", "baseline_exclude")


def remember_choices(mapping: dict | None, settings: Settings) -> dict | None:
    """``mapping`` with its ``options`` holding the choices of ``settings`` (the cutoff and
    the baseline lists replace the mapping's own; other options kept), so a saved mapping
    restores them. None when there is neither a mapping nor a choice."""
    chosen = settings.mapping_options()
    if mapping is None and not chosen:
        return None
    out = dict(mapping or {"columns": {}, "units": {}, "values": {}})
    options = {k: v for k, v in (out.get("options") or {}).items() if k not in SETTING_OPTIONS}
    options.update(chosen)
    out.pop("options", None)
    if options:
        out["options"] = options
    return out


def event_name_option(mapping: dict | None) -> str | None:
    """The mapping file's ``options.event_name`` (data-contract §3), None when absent."""
    options = (mapping or {}).get("options") if isinstance(mapping, dict) else None
    name = options.get("event_name") if isinstance(options, dict) else None
    return str(name) if isinstance(name, str) and name.strip() else None


@dataclass(frozen=True)
class Filters:
    """Which patients to analyse. Empty tuples mean 'no restriction'."""

    classes: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    sexes: tuple[str, ...] = ()
    age_min: float | None = None
    age_max: float | None = None
    extra: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (column, allowed values)

    @property
    def active(self) -> bool:
        return bool(
            self.classes or self.groups or self.sexes or self.extra
            or self.age_min is not None or self.age_max is not None
        )


# --- landmarks in months, weeks or days (data-contract §4) --------------------------------
_LANDMARK = re.compile(
    r"^\s*(?P<n>\d+(?:\.\d+)?)\s*(?P<u>m|mo|months?|w|wk|wks|weeks?|d|days?)?\s*$",
    re.IGNORECASE,
)
_UNIT_WORD = {"m": "month", "w": "week", "d": "day"}


def parse_landmark(text: object) -> tuple[float, str]:
    """A landmark as the user wrote it -> ``(months, name)``: ``'20w'`` -> (20 × 12 / 52,
    'week 20'); ``'180d'`` -> (180 / 30.4375, 'day 180'); ``'6'`` or ``6`` -> (6.0,
    'month 6'). Converted exactly, never rounded. ValueError with one sentence otherwise."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        return float(text), f"month {float(text):g}"
    m = _LANDMARK.match(str(text))
    if not m:
        raise ValueError(f"'{text}' is not a landmark: write months (6), weeks (20w) or days "
                         "(180d).")
    n = float(m.group("n"))
    unit = _UNIT_WORD[(m.group("u") or "m")[0].lower()]
    months = n if unit == "month" else n * 12 / 52 if unit == "week" else n / 30.4375
    return months, f"{unit} {n:g}"


def landmark_settings(texts) -> dict:
    """``landmarks`` and ``landmark_names`` for :class:`Settings` from what the user wrote
    (sorted by month; names kept only for landmarks not given in months)."""
    parsed = sorted({parse_landmark(t) for t in texts})
    months = tuple(dict.fromkeys(m for m, _ in parsed))
    names = tuple((m, name) for m, name in parsed if not name.startswith("month "))
    return {"landmarks": months, "landmark_names": names}
