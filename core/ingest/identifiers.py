"""Direct identifiers in a loaded cohort: find them, drop them, replace patient IDs.

A cohort file exported from a hospital system often carries more than the analysis needs:
names, resident registration numbers, phone numbers, e-mail addresses, full birth dates,
and hospital record numbers used as patient IDs. :func:`find_identifier_columns` names the
columns (never the values); :func:`drop_identifier_columns` removes them and
:func:`pseudonymise_ids` replaces patient IDs by study codes, returning the key to the caller
(it stays in memory: nothing here writes or logs anything).

All checks are vectorised per column (``Series.str`` regexes), so 100,000 patients cost a
few regex passes, not a Python loop per value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import pandas as pd

from core.model.i18n import N_
from core.model.i18n import gettext as _
from core.model.schema import Cohort

# Canonical categorical fields whose values are labels, never identifiers.
_LABEL_FIELDS = frozenset(
    {"group", "isn_class", "isn_class_detail", "sex", "response", "anti_dsdna_censored"}
)

KINDS: dict[str, str] = {  # English msgids, translated where shown (ui/privacy.py)
    "name": N_("names"),
    "rrn": N_("resident registration numbers"),
    "phone": N_("phone numbers"),
    "email": N_("e-mail addresses"),
    "birth_date": N_("full dates of birth"),
    "mrn": N_("hospital record numbers"),
}

_NAME_HEADER = re.compile(
    r"^\s*(이름|성명|성함|환자\s*명|환자\s*이름|patient\s*name|full\s*name|first\s*name|"
    r"last\s*name|given\s*name|family\s*name|surname|name)\s*$",
    re.IGNORECASE,
)
_PHONE_HEADER = re.compile(r"전화|연락처|휴대폰|핸드폰|phone|mobile|\btel\b|cell", re.IGNORECASE)
_BIRTH_HEADER = re.compile(r"birth|\bdob\b|생년월일|생일|출생", re.IGNORECASE)
_MRN_HEADER = re.compile(
    r"등록\s*번호|병록\s*번호|차트\s*번호|\bmrn\b|record\s*(no|number)|hospital\s*(no|number|id)|"
    r"chart\s*(no|number)",
    re.IGNORECASE,
)

# Resident registration number: YYMMDD, optional hyphen, sex/century digit 1-4, six digits.
_RRN = r"\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])-?[1-4]\d{6}"
_PHONE = r"(\+82[- ]?|0)(1[016789]|[2-6]\d?)[- .)]?\d{3,4}[- .]?\d{4}"
_EMAIL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
_FULL_DATE = r"(\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4}|(19|20)\d{6})(\s.*)?"
_KOREAN_SURNAMES = (
    "김이박최정강조윤장임한오서신권황안송류전홍고문양손배백허유남심노하곽성차주우구민진나지엄채원천방"
    "공현함변염여추도소석선설마길연위표명기반왕금옥육인맹제모탁국어은편용예경봉사부"
)
_KOREAN_NAME = rf"(남궁|황보|제갈|선우|독고|[{_KOREAN_SURNAMES}])[가-힣]{{1,2}}"
_LATIN_NAME = r"[A-Z][a-z]+(?:[ '-][A-Z][a-z]+){1,2}|[A-Z][A-Za-z'-]+, ?[A-Z][a-z]+"
_MRN = r"\d{7,}"


@dataclass(frozen=True)
class IdentifierFinding:
    """One column that holds direct identifiers: which column, what kind, how many values."""

    column: str
    kind: str  # a key of KINDS
    example_count: int  # non-empty values that look like this kind

    def describe(self) -> str:
        """A sentence for the page; names the column and kind, never a value."""
        what = _(KINDS[self.kind]) if self.kind in KINDS else self.kind
        if self.column == "patient_id":
            return _('The patient IDs look like {what} ({example_count} values).').format(what=what, example_count=self.example_count)
        return f"Column '{self.column}' holds {what} ({self.example_count} values)."


def _text(series: pd.Series) -> pd.Series:
    """Non-empty values as stripped text (numbers included, so a numeric RRN is seen)."""
    s = series.dropna()
    if s.empty:
        return s.astype(str)
    if pd.api.types.is_float_dtype(s):
        whole = s[(s % 1 == 0) & (s.abs() < 1e15)]
        s = whole.astype("int64")
    return s.astype(str).str.strip().loc[lambda x: x != ""]


def _count(values: pd.Series, pattern: str) -> int:
    return int(values.str.fullmatch(pattern).sum()) if len(values) else 0


def _looks_like_names(values: pd.Series) -> int:
    """Values that look like personal names, when the column as a whole does (else 0)."""
    if len(values) < 3:
        return 0
    hits = values.str.fullmatch(_KOREAN_NAME) | values.str.fullmatch(_LATIN_NAME)
    distinct = values[hits].nunique()
    # Names are mostly distinct; category labels repeat. Both conditions keep labels out.
    if hits.mean() >= 0.6 and distinct >= 0.5 * hits.sum() and distinct >= 3:
        return int(hits.sum())
    return 0


def _birth_dates(series: pd.Series, values: pd.Series) -> int:
    if pd.api.types.is_datetime64_any_dtype(series):
        return int(series.notna().sum())
    return _count(values, _FULL_DATE)


def _column_findings(name: str, series: pd.Series, mrn_header: bool) -> list[IdentifierFinding]:
    values = _text(series)
    if values.empty:
        return []
    found: dict[str, int] = {}
    header = str(name)
    found["rrn"] = _count(values, _RRN)
    found["email"] = _count(values, _EMAIL)
    found["phone"] = _count(values, _PHONE)
    if _NAME_HEADER.match(header):
        found["name"] = len(values)
    elif name not in _LABEL_FIELDS:
        found["name"] = _looks_like_names(values)
    if _BIRTH_HEADER.search(header):
        found["birth_date"] = _birth_dates(series, values)
    if name == "patient_id":
        mrn = _count(values, _MRN if not mrn_header else r"\d{6,}")
        found["mrn"] = mrn if mrn >= 0.8 * len(values) else 0
    elif _MRN_HEADER.search(header):
        found["mrn"] = len(values)
    if found["phone"] and not _PHONE_HEADER.search(header):
        # Without a phone header, bare digits are more likely a number than a phone.
        separated = values.str.contains(r"[- .)+]")
        found["phone"] = int((values.str.fullmatch(_PHONE) & separated).sum())
    if found["rrn"]:
        found["phone"] = 0  # the same digits; the registration number is the finding
    return [IdentifierFinding(header, kind, n) for kind, n in found.items() if n > 0]


def find_identifier_columns(
    patients: pd.DataFrame, visits: pd.DataFrame, raw_headers: Sequence[str] = ()
) -> list[IdentifierFinding]:
    """Columns of a cohort that hold direct identifiers.

    Parameters
    ----------
    patients, visits
        The canonical tables (``Cohort.patients``, ``Cohort.visits``).
    raw_headers
        The file's original headers. A record-number header (``등록번호``, ``MRN``) among
        them makes 6-digit patient IDs count as record numbers (7 digits otherwise).

    Returns
    -------
    list of IdentifierFinding
        One per (column, kind): ``name`` (header 이름/성명/name… or values that look like
        Korean or Latin personal names), ``rrn`` (Korean resident registration numbers,
        ``\\d{6}-?[1-4]\\d{6}`` with a valid month and day), ``phone``, ``email``,
        ``birth_date`` (a birth/생년월일 column holding full dates), ``mrn`` (patient IDs of
        7+ digits, or a record-number column). Patient-level columns come first.
    """
    mrn_header = any(_MRN_HEADER.search(str(h)) for h in raw_headers)
    findings: list[IdentifierFinding] = []
    seen: set[str] = set()
    for frame in (patients, visits):
        for name in frame.columns:
            if name in seen or (name != "patient_id" and pd.api.types.is_bool_dtype(frame[name])):
                continue
            seen.add(name)
            findings += _column_findings(name, frame[name], mrn_header)
    return findings


def drop_identifier_columns(cohort: Cohort, columns: Iterable[str]) -> Cohort:
    """The cohort without ``columns`` (from both tables). ``patient_id`` cannot be dropped:
    replace it with :func:`pseudonymise_ids` instead."""
    columns = set(columns)
    if "patient_id" in columns:
        raise ValueError("patient_id cannot be dropped; use pseudonymise_ids to replace it.")
    return replace(
        cohort,
        patients=cohort.patients.drop(columns=[c for c in cohort.patients if c in columns]),
        visits=cohort.visits.drop(columns=[c for c in cohort.visits if c in columns]),
    )


def pseudonymise_ids(cohort: Cohort, prefix: str = "S") -> tuple[Cohort, dict[str, str]]:
    """Replace patient IDs by study codes ``S001``, ``S002``… in the patients' order.

    Returns the new cohort and the key ``{study_code: original_id}``. The key is only
    returned: keeping it (or not) is the caller's decision, and it never leaves memory here.
    """
    ids = pd.unique(pd.concat([cohort.patients["patient_id"], cohort.visits["patient_id"]]).dropna())
    width = max(3, len(str(len(ids))))
    codes = [f"{prefix}{i:0{width}d}" for i in range(1, len(ids) + 1)]
    to_code = pd.Series(codes, index=pd.Index(ids, dtype=object))
    patients = cohort.patients.assign(patient_id=cohort.patients["patient_id"].map(to_code))
    visits = cohort.visits.assign(patient_id=cohort.visits["patient_id"].map(to_code))
    key = dict(zip(codes, (str(i) for i in ids), strict=True))
    return replace(cohort, patients=patients, visits=visits), key
