"""Cell parsers and checks that turn every problem into an :class:`~core.model.schema.Issue`.

Vectorised over a column (no Python loop per row); an issue names the row as the user sees
it in the file, the user's header and the value. Plausibility limits are clinical-rules §4.
With ``drop_invalid`` an invalid value becomes missing, the error becomes a warning and
the value is counted in ``ValidationReport.n_dropped``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from core.model.i18n import N_
from core.model.i18n import gettext as _
from core.model.schema import LABELS, Issue

MAX_CELL_ISSUES = 50  # per column and kind of problem; the rest are summarised

MISSING_TOKENS = frozenset({"na", "n/a", "nan", "null", "none", "-", "--", ".", "nd", "n.d.",
                            "not done", "missing", "미시행", "없음", "결측", "#n/a"})

# Errors outside [low, high] (clinical-rules §4); warnings outside the usual range.
LIMITS: dict[str, tuple[float, float]] = {
    "upcr": (0, 50), "proteinuria_24h": (0, 50), "creatinine": (0, 30), "egfr": (0, 250),
    "albumin": (0.5, 7), "c3": (0, 400), "c4": (0, 150), "sledai": (0, 105),
    "steroid_mg": (0, 200), "steroid_pulse_mg": (0, 2000), "age": (0, 120),
    "anti_dsdna": (0, 1e6), "urine_rbc": (0, 1000), "prior_egfr": (0, 250),
}
LOW_OPEN = frozenset({"creatinine"})  # creatinine must be > 0, not >= 0
USUAL: dict[str, tuple[float, float]] = {
    "upcr": (0, 20), "creatinine": (0.2, 15), "egfr": (5, 180), "albumin": (1.0, 5.5),
    "steroid_mg": (0, 80), "c3": (10, 250), "c4": (1, 80), "sledai": (0, 60),
}
_USUAL_WHY = {"steroid_mg": N_("a daily dose above 80 mg is probably a pulse")}

SEX_CODES = {"f": "F", "female": "F", "woman": "F", "w": "F", "여": "F", "여자": "F",
             "여성": "F", "m": "M", "male": "M", "man": "M", "남": "M", "남자": "M", "남성": "M"}
RESPONSE_CODES = {
    "cr": "CR", "complete": "CR", "complete response": "CR", "complete remission": "CR",
    "complete renal response": "CR", "완전관해": "CR", "완전반응": "CR", "완전": "CR",
    "pr": "PR", "partial": "PR", "partial response": "PR", "partial remission": "PR",
    "partial renal response": "PR", "부분관해": "PR", "부분반응": "PR", "부분": "PR",
    "nr": "NR", "none": "NR", "no": "NR", "no response": "NR", "non-response": "NR",
    "nonresponse": "NR", "non-responder": "NR", "no remission": "NR", "failure": "NR",
    "무반응": "NR", "반응없음": "NR", "미반응": "NR", "무관해": "NR",
}
GROUP_CODES = {"refractory": "refractory", "relapse": "relapse", "relapsed": "relapse",
               "relapsing": "relapse", "불응": "refractory", "불응성": "refractory",
               "재발": "relapse", "재발성": "relapse"}
BOOL_CODES = {"true": True, "false": False, "t": True, "f": False, "1": True, "0": False,
              "1.0": True, "0.0": False, "+": True, "-": False, "pos": True, "neg": False,
              "positive": True, "negative": False, "yes": True, "no": False, "y": True,
              "n": False, "양성": True, "음성": False, "예": True, "아니오": False}


class IssueLog:
    """Collects issues; with ``drop_invalid`` value errors become warnings and are counted."""

    def __init__(self, drop_invalid: bool = False) -> None:
        self.items: list[Issue] = []
        self.drop_invalid = drop_invalid
        self.n_dropped = 0

    def add(self, severity: str, message: str, *, row: int | None = None,
            column: str | None = None, value: object = None, sheet: str | None = None,
            droppable: bool = False, count: int = 1) -> None:
        if severity == "error" and droppable and self.drop_invalid:
            severity, message = "warning", message + " " + _("Set to missing.")
            self.n_dropped += count
        text = None if value is None else str(value)
        self.items.append(Issue(severity, message, row, column, text, sheet))

    def cells(self, severity: str, mask: np.ndarray, rows: np.ndarray, values: pd.Series,
              column: str, message: Callable[[str], str], *, sheet: str | None = None,
              droppable: bool = True) -> None:
        """One issue per flagged cell (the first MAX_CELL_ISSUES, then a summary)."""
        idx = np.flatnonzero(mask)
        for i in idx[:MAX_CELL_ISSUES]:
            v = values.iloc[i]
            self.add(severity, message(str(v)), row=int(rows[i]), column=column, value=v,
                     sheet=sheet, droppable=droppable)
        if idx.size > MAX_CELL_ISSUES:
            rest = idx.size - MAX_CELL_ISSUES
            self.add(severity, _("…and {n} more cells like these in column '{column}'.").format(
                n=rest, column=column),
                     column=column, sheet=sheet, droppable=droppable, count=rest)


def by_unique(s: pd.Series, fn: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """Apply ``fn`` to the distinct values of ``s`` only (categories repeat a lot).

    ``fn`` gets a Series of the distinct non-missing values and returns one result each;
    missing cells give None. One hashing pass over the column instead of many string passes.
    """
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    res = np.asarray(fn(pd.Series(uniques, dtype=object)), dtype=object)
    out = np.append(res, None)[codes]  # one take: code -1 (missing) picks the trailing None
    return pd.Series(out, index=s.index, dtype=object)


def _is_missing_text(u: pd.Series) -> pd.Series:
    t = u.astype(str).str.strip().str.lower()
    return (t == "") | t.isin(MISSING_TOKENS)


def _missing(s: pd.Series) -> np.ndarray:
    flag = by_unique(s, _is_missing_text)
    return s.isna().to_numpy() | (flag.to_numpy(dtype=object) == True)  # noqa: E712


def strip_text(s: pd.Series) -> pd.Series:
    """Text cells stripped; empty or missing-marker cells become None."""
    def fn(u: pd.Series) -> pd.Series:
        t = u.astype(str).str.strip()
        return t.where(~_is_missing_text(u), None)
    return by_unique(s, fn)


def parse_numbers(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """``(values, bad)``: floats from text cells, and the cells that hold text, not a number.

    Python's correctly rounded ``float`` does the conversion (so ``'142.16566159914672'``
    gives the same double as in the long file; ``pd.to_numeric`` can be 1 ulp off); a
    decimal comma (``'0,46'``) is read as a point when the cell has no point.
    """
    arr = s.to_numpy(dtype=object)
    try:  # the usual case, every cell a number: convert each distinct text once
        codes, uniques = pd.factorize(arr, use_na_sentinel=True)
        out = np.append(np.asarray(uniques, dtype=object).astype(float), np.nan)[codes]
        filled = codes >= 0
        bad = filled & np.isinf(out)
        return np.where(bad, np.nan, out), bad
    except (ValueError, TypeError):
        filled = s.notna().to_numpy()

    def fn(u: pd.Series) -> pd.Series:
        t = u.astype(str).str.strip()
        t = _commas(t)
        ok = pd.to_numeric(t, errors="coerce").notna() & ~_is_missing_text(u)
        vals = pd.Series(np.nan, index=u.index)
        vals[ok] = t[ok].to_numpy(dtype=object).astype(float)
        return vals.where(np.isfinite(vals), np.nan).astype(object)

    vals = by_unique(s, fn).to_numpy(dtype=float)  # None -> nan
    bad = filled & np.isnan(vals) & ~_missing(s)
    return vals, bad


def _commas(t: pd.Series) -> pd.Series:
    """Decimal comma ('0,46') or thousands separators ('1,234'), decided for the column.

    A comma value that cannot be a thousands group ('3,2', '0,460', '10,0') makes the column
    a decimal-comma column; otherwise commas are thousands separators ('1,234' -> 1234).
    """
    comma = t.str.fullmatch(r"[+-]?\d*,\d+|[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?").fillna(False)
    if not comma.any():
        return t
    thousands = t[comma].str.fullmatch(r"[+-]?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?")
    if thousands.all():
        return t.where(~comma, t.str.replace(",", "", regex=False))
    return t.where(~comma, t.str.replace(",", ".", regex=False))


def recode(s: pd.Series, values: dict | None, builtin: dict) -> tuple[pd.Series, np.ndarray]:
    """Categories: the mapping's ``values`` (exact, then case-blind), then built-in codes.

    Returns ``(labels, unknown)``; unknown cells get None and are flagged.
    """
    exact = {str(k): v for k, v in (values or {}).items()}
    blind = {**builtin, **{str(k).strip().lower(): v for k, v in (values or {}).items()}}

    def fn(u: pd.Series) -> pd.Series:
        t = u.astype(str).str.strip()
        out = t.map(exact).astype(object)
        return out.where(out.notna(), t.str.lower().map(blind).astype(object))

    codes, uniques = pd.factorize(s, use_na_sentinel=True)  # one hashing pass for both
    u = pd.Series(uniques, dtype=object)
    labels = fn(u)
    labels = labels.where(labels.notna(), None).to_numpy(dtype=object)
    unknown_u = pd.isna(labels) & ~_is_missing_text(u).to_numpy(dtype=bool)
    out = np.append(labels, None)[codes]  # code -1 (missing cell) picks the trailing None
    unknown = np.append(unknown_u, False)[codes]
    return pd.Series(out, index=s.index, dtype=object), unknown


def parse_censored(s: pd.Series) -> tuple[np.ndarray, pd.Series, np.ndarray]:
    """Anti-dsDNA titres: ``'<10'`` -> 10 with flag ``'<'``, ``'>300'`` -> 300 with ``'>'``."""
    values, bad = parse_numbers(s)
    flag = pd.Series("", index=s.index, dtype=object)
    if bad.any():
        sub = s[bad].astype(str).str.strip()
        parts = sub.str.extract(r"^(<=|>=|≤|≥|<|>)\s*(.+)$")
        sign = parts[0].replace({"<=": "<", "≤": "<", ">=": ">", "≥": ">"})
        nums, still = parse_numbers(parts[1].astype(object).where(parts[1].notna(), None))
        good = sign.notna().to_numpy() & ~still & ~np.isnan(nums)
        idx = np.flatnonzero(bad)[good]
        values[idx] = nums[good]
        flag.iloc[idx] = sign.to_numpy()[good]
        bad[idx] = False
    return values, flag, bad


def parse_rbc(s: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Urine RBC/HPF: ``'10-20'`` -> 15 (midpoint), ``'>50'`` -> 51, ``'<1'`` -> 0.

    Returns ``(values, bad, from_text)``; ``from_text`` flags the cells read from a range.
    """
    values, bad = parse_numbers(s)
    from_text = np.zeros(len(s), dtype=bool)
    if bad.any():
        sub = s[bad].astype(str).str.strip().str.replace("/hpf", "", case=False, regex=False)
        rng = sub.str.extract(r"^(\d+(?:\.\d+)?)\s*[-~–]\s*(\d+(?:\.\d+)?)$").astype(float)
        gt = sub.str.extract(r"^(?:>=|≥|>)\s*(\d+(?:\.\d+)?)$")[0].astype(float).to_numpy()
        lt = sub.str.extract(r"^(?:<=|≤|<)\s*(\d+(?:\.\d+)?)$")[0].astype(float).to_numpy()
        got = ((rng[0] + rng[1]) / 2).to_numpy()
        got = np.where(np.isnan(got), gt + 1, got)
        got = np.where(np.isnan(got), np.maximum(lt - 1, 0), got)
        idx = np.flatnonzero(bad)
        values[idx] = got
        from_text[idx] = ~np.isnan(got)
        bad[idx] = np.isnan(got)
    return values, bad, from_text


def parse_dates(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Dates (ISO, or day-first with dots/slashes); ``(dates, bad)``."""
    def fn(u: pd.Series) -> pd.Series:
        t = u.astype(str).str.strip()
        d = pd.to_datetime(t, errors="coerce", format="ISO8601")
        rest = d.isna()
        if rest.any():
            d[rest] = pd.to_datetime(t[rest], errors="coerce", dayfirst=True, format="mixed")
        return d.astype(object)

    out = pd.to_datetime(by_unique(s, fn))
    bad = out.isna().to_numpy() & ~_missing(s)
    return out, bad


def limit_masks(field: str, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(impossible, unusual)`` masks for a converted numeric column."""
    finite = np.isfinite(x)
    impossible = np.zeros(x.shape, dtype=bool)
    unusual = np.zeros(x.shape, dtype=bool)
    if field in LIMITS:
        lo, hi = LIMITS[field]
        low_bad = x <= lo if field in LOW_OPEN else x < lo
        impossible = finite & (low_bad | (x > hi))
    if field in USUAL:
        lo, hi = USUAL[field]
        unusual = finite & ~impossible & ((x < lo) | (x > hi))
    return impossible, unusual


def limit_message(field: str, unit: str, kind: str,
                  converted_from: str | None = None) -> Callable[[str], str]:
    """Message for a value outside the limits of ``field`` (``kind`` error or warning)."""
    label = _(LABELS[field]) if field in LABELS else field
    given = (" " + _("({unit_from} converted to {unit})").format(unit_from=converted_from, unit=unit)
             if converted_from else "")  # fmt: skip
    if kind == "error":
        lo, hi = LIMITS[field]
        if field in LOW_OPEN:
            text = _("{label} {value}{given} is not possible: it must be above {low} to {high} "
                     "{unit}. Correct the cell (a typing mistake?).")
        else:
            text = _("{label} {value}{given} is not possible: it must be from {low} to {high} "
                     "{unit}. Correct the cell (a typing mistake?).")
        return lambda v: text.format(label=label, value=v, given=given, low=f"{lo:g}",
                                     high=f"{hi:g}", unit=unit)  # fmt: skip
    why = _(_USUAL_WHY[field]) if field in _USUAL_WHY else _("please check it")
    text = _("{label} {value}{given} is unusual ({unit}): {why}.")
    return lambda v: text.format(label=label, value=v, given=given, unit=unit, why=why)



# ------------------------------------------------------------------------ cross-row checks


def check_duplicate_visits(visits: pd.DataFrame, log: IssueLog, header: Callable[[str], str],
                           sheet: str | None = None) -> pd.DataFrame:
    """Same (patient_id, month) twice: identical copies kept once (warning), else an error.

    ``visits`` carries ``_row`` (file row); ``header(field)`` is the user's header. With
    ``drop_invalid`` the first of the conflicting rows is kept.
    """
    key = ["_pid" if "_pid" in visits else "patient_id", "month"]  # _pid: IDs as numbers
    timed = visits["month"].notna().to_numpy()
    if not (visits.duplicated(key, keep=False).to_numpy() & timed).any():
        return visits
    cols = [c for c in visits.columns if c != "_row"]
    copies = visits.duplicated(cols, keep="first").to_numpy() & timed
    first_row = visits.groupby(key, dropna=False)["_row"].transform("first").to_numpy()
    for i in np.flatnonzero(copies)[:MAX_CELL_ISSUES]:
        log.add("warning", _('Row {_row} repeats row {value} (same patient, same month, same values); one copy is kept.').format(_row=visits['_row'].iat[i], value=first_row[i]),
                row=int(visits["_row"].iat[i]), column=header("patient_id"), sheet=sheet,
                value=visits["patient_id"].iat[i])
    visits = visits[~copies]
    timed = visits["month"].notna().to_numpy()
    clash = visits.duplicated(key, keep="first").to_numpy() & timed
    if clash.any():
        firsts = visits.drop_duplicates(key).set_index(key)
        for i in np.flatnonzero(clash)[:MAX_CELL_ISSUES]:
            row = visits.iloc[i]
            ref = firsts.loc[(row[key[0]], row["month"])]
            diff = [c for c in cols if c not in key and not _same(row[c], ref[c])]
            what = f" ({header(diff[0])}: {ref[diff[0]]} vs {row[diff[0]]})" if diff else ""
            log.add("error", _('Rows {value} and {other} are both patient {patient_id} at month {month} with different values{what}; keep one.').format(value=int(ref['_row']), other=int(row['_row']), patient_id=row['patient_id'], month=f"{row['month']:g}", what=what), row=int(row["_row"]), column=header("month"),
                    value=row["month"], sheet=sheet, droppable=True)
        if log.drop_invalid:
            visits = visits[~clash]
    return visits


def _same(a: object, b: object) -> bool:
    if pd.isna(a) and pd.isna(b):
        return True
    return bool(a == b) if not (pd.isna(a) or pd.isna(b)) else False


def check_patient_fields(df: pd.DataFrame, fields: list[str], log: IssueLog,
                         header: Callable[[str], str], sheet: str | None = None) -> pd.DataFrame:
    """A patient field that differs between a patient's rows is an error naming both rows.

    Returns one row per patient: the first non-missing value of each field (missing for a
    conflicting field when ``drop_invalid``).
    """
    if "_pid" in df:  # the IDs as numbers (first appearance order): no hashing of texts
        codes = df["_pid"].to_numpy()
        g = df.groupby(codes, sort=False)
        out = g[fields].first() if fields else pd.DataFrame(index=g.size().index)
        out.index = pd.Index(df["patient_id"].to_numpy()[first_rows(codes)], name="patient_id")
    else:
        g = df.groupby("patient_id", sort=False)
        out = g[fields].first() if fields else pd.DataFrame(index=g.size().index)
        # group number of every row (-1: no ID), in the order of ``out``
        codes = g.ngroup().fillna(-1).to_numpy(dtype=int) if fields else np.zeros(0, dtype=int)
    for f in fields:
        if f == "isn_class_detail":  # 'IV' and '4' are the same class: isn_class decides
            continue
        s = df[f]
        has = s.notna().to_numpy()
        first = np.append(out[f].to_numpy(dtype=object), None)
        ref = pd.Series(first[codes], index=df.index, dtype=object)
        bad = has & (s.astype(object) != ref).to_numpy()
        if not bad.any():
            continue
        ref_row = df["patient_id"].map(df[has].groupby("patient_id")["_row"].first())
        for i in np.flatnonzero(bad)[:MAX_CELL_ISSUES]:
            log.add("error", _("Patient {patient_id} has {f} '{value}' in row {other} but '{third}' in row {_row}.").format(patient_id=df['patient_id'].iat[i], f=header(f), value=ref.iat[i], other=ref_row.iat[i], third=s.iat[i], _row=df['_row'].iat[i]), row=int(df["_row"].iat[i]), column=header(f),
                    value=s.iat[i], sheet=sheet, droppable=True)
        if log.drop_invalid:
            out.loc[df.loc[bad, "patient_id"].unique(), f] = None
    return out


def check_baseline(visits: pd.DataFrame, log: IssueLog, patient_ids: pd.Series) -> None:
    """Warn about patients without a visit within ± 1 month of month 0 (no baseline)."""
    near = visits["month"].abs().le(1.0)
    if "_pid" in visits:  # the IDs as numbers: count, then name the distinct IDs only
        codes = visits["_pid"].to_numpy()
        first = first_rows(codes)
        there = first < len(codes)  # rows may have been dropped since the IDs were numbered
        hit = np.bincount(codes[near.to_numpy()], minlength=len(first)) > 0
        has = pd.Series(hit[there], index=visits["patient_id"].to_numpy()[first[there]])
    else:
        has = near.groupby(visits["patient_id"]).any()
    has = has.reindex(pd.unique(patient_ids), fill_value=False)
    missing = has.index[~has.to_numpy(dtype=bool)]
    if not len(missing):
        return
    first_row = visits.groupby("patient_id")["_row"].min()
    for pid in missing[:MAX_CELL_ISSUES]:
        row = first_row.get(pid)
        log.add("warning", _('Patient {pid} has no baseline visit (none within 1 month of month 0); baseline comparisons leave this patient out.').format(pid=pid),
                row=None if row is None else int(row), value=pid)
    if len(missing) > MAX_CELL_ISSUES:
        log.add("warning", _('…and {value} more patients without a baseline visit.').format(value=len(missing) - MAX_CELL_ISSUES))


def first_rows(codes: np.ndarray) -> np.ndarray:
    """Position of the first row of each code 0 … max (codes from ``pd.factorize``);
    ``len(codes)`` for a code no row holds (any more)."""
    n = int(codes.max()) + 1 if len(codes) else 0
    first = np.full(max(n, 0), len(codes), dtype=np.int64)
    rows = np.flatnonzero(codes >= 0)
    np.minimum.at(first, codes[rows], rows)
    return first
