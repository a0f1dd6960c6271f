"""From a clinician's file to the canonical :class:`~core.model.schema.Cohort` (data-contract §1–§3).

bytes -> :func:`~core.ingest.io.read_table` -> :func:`~core.ingest.mapping.plan_columns` -> typed columns
-> units (exactly once per column) -> plausibility -> long form -> cross-row checks -> eGFR.
User errors are issues in ``Cohort.report``, never exceptions.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from core.ingest import validation as V
from core.ingest.io import Limits, RawTable, Sheet, read_table
from core.ingest.isn import normalise_classes
from core.ingest.mapping import (
    ColumnPlan,
    format_month,
    parse_mapping_json,
    plan_columns,
    validate_mapping,
)
from core.ingest.synonyms import parse_header, parse_time
from core.ingest.units import (
    CANONICAL_UNITS,
    CONVERSIONS,
    ckd_epi_2021,
    convert,
    display_unit,
    guess_unit,
    is_canonical,
    normalise_unit,
)
from core.model.schema import (
    PATIENT_FIELDS,
    VISIT_FIELDS,
    VISIT_LABS,
    Cohort,
    Issue,
    SourceInfo,
    ValidationReport,
)

FLOATS = frozenset({*VISIT_LABS, "age", "month", "ttr_months", "ttr_event", "prior_egfr"})
NUMERIC = FLOATS - {"urine_rbc", "anti_dsdna"}  # plain numbers; those two have text forms
CATEGORY_CODES = {"sex": V.SEX_CODES, "response": V.RESPONSE_CODES, "group": V.GROUP_CODES}


@dataclass
class Col:
    """One source column after typing: ``name`` is its canonical (or pass-through) name."""

    plan: ColumnPlan
    name: str
    values: pd.Series
    rows: np.ndarray
    extra: dict  # derived columns (isn_class_detail, anti_dsdna_censored)
    converted_from: str | None = None  # unit the values were converted from


def load_path(path: str | Path, mapping_path: str | Path | None = None, **kw) -> Cohort:
    """:func:`load_cohort` on a file on disk (command line, tests)."""
    path = Path(path)
    mapping = None
    if mapping_path is not None:
        mapping, err = parse_mapping_json(Path(mapping_path).read_bytes())
        if err:
            return _empty(path.name, path.read_bytes(), [Issue("error", err)])
    return load_cohort(path.read_bytes(), path.name, mapping, **kw)


def load_cohort(data: bytes, filename: str, mapping: dict | None = None, *,
                drop_invalid: bool = False, unit_overrides: dict[str, str] | None = None,
                limits: Limits | None = None) -> Cohort:
    """Read, map, convert and validate a cohort file (any form of data-contract §1).

    ``unit_overrides`` (field or column -> unit) is the unit the user picked in the page,
    used for columns whose unit neither the mapping nor the header states. With
    ``drop_invalid`` invalid values become missing (counted in ``report.n_dropped``).
    Patients are sorted by patient_id, visits by (patient_id, month).
    """
    if mapping is not None:
        mapping, err = validate_mapping(mapping)
        if err:
            return _empty(filename, data, [Issue("error", err)])
    raw = read_table(data, filename, limits)
    if not raw.ok or not raw.sheets:
        return _empty(filename, data, raw.issues)
    log = V.IssueLog(drop_invalid)
    log.items.extend(raw.issues)
    try:
        return _build(raw, data, filename, mapping or {}, unit_overrides or {}, log)
    except MemoryError:
        return _empty(filename, data, [*log.items, Issue("error", "The file is too large.")])
    except Exception as exc:  # a bug must not become a traceback in the browser
        msg = f"The file could not be processed ({type(exc).__name__}: {exc}); please report this."
        return _empty(filename, data, [*log.items, Issue("error", msg)])


def _empty(filename: str, data: bytes, issues) -> Cohort:
    src = SourceInfo(filename, hashlib.sha256(data).hexdigest(), "", len(data))
    return Cohort(pd.DataFrame({"patient_id": pd.Series(dtype=object)}),
                  pd.DataFrame({"patient_id": pd.Series(dtype=object),
                                "month": pd.Series(dtype=float)}),
                  ValidationReport(tuple(issues)), src, None)


# ------------------------------------------------------------------------- typed columns


def _type_column(sheet: Sheet, plan: ColumnPlan, values: dict, log: V.IssueLog) -> Col:
    s, rows, field, col = sheet.frame[plan.column], sheet.rows, plan.field, plan.column
    where = {"sheet": sheet.name}
    extra: dict = {"_raw": s}
    if field is None:
        name = parse_header(col).name if plan.month is not None else col
        nums, bad = _numbers(sheet, col)
        if not bad.any() and s.notna().any():
            return Col(plan, name or col, pd.Series(nums, index=s.index), rows, extra)
        return Col(plan, name or col, V.strip_text(s), rows, extra)
    if field in NUMERIC:
        nums, bad = _numbers(sheet, col)
        if field == "month" and bad.any():  # 'baseline', '6개월', 'week 24' in a month column
            spoken = V.by_unique(s[bad], lambda u: [parse_time(v) for v in u]).astype(float)
            nums[bad] = spoken.to_numpy()
            bad[bad] = spoken.isna().to_numpy()
        log.cells("error", bad, rows, s, col, lambda v: f"'{v}' is text in a numeric column "
                  f"({field}); enter a number or leave the cell empty.", **where)
        return Col(plan, field, pd.Series(nums, index=s.index), rows, extra)
    if field == "anti_dsdna":
        nums, flag, bad = V.parse_censored(s)
        log.cells("error", bad, rows, s, col, lambda v: f"'{v}' is not an anti-dsDNA titre "
                  "(a number, or censored like <10 or >300).", **where)
        extra["anti_dsdna_censored"] = flag.where(~np.isnan(nums), None)
        return Col(plan, field, pd.Series(nums, index=s.index), rows, extra)
    if field == "urine_rbc":
        nums, bad, ranged = V.parse_rbc(s)
        log.cells("error", bad, rows, s, col, lambda v: f"'{v}' is not an RBC count per HPF "
                  "(a number, a range like 10-20, or >50).", **where)
        if ranged.any():
            log.add("warning", f"{int(ranged.sum())} urine RBC values in '{col}' were ranges or "
                    "bounds (10-20 read as 15, >50 as 51).", column=col, **where)
        return Col(plan, field, pd.Series(nums, index=s.index), rows, extra)
    if field == "isn_class":
        text = s
        if values.get("isn_class"):
            mapped, _ = V.recode(s, values["isn_class"], {})
            text = mapped.where(mapped.notna(), s)
        cls, detail, problem = normalise_classes(text)
        bad = problem.notna().to_numpy()
        log.cells("error", bad, rows, s, col, lambda v: f"Unknown ISN/RPS class '{v}' "
                  "(classes run from I to VI; combinations III+V or IV+V).", **where)
        extra["isn_class_detail"] = s.astype(object).where(s.notna(), None)
        return Col(plan, field, cls, rows, extra)
    if field in ("anti_dsdna_pos", "treatment_failure"):
        codes = {**V.BOOL_CODES, **{str(k).lower(): v for k, v in
                                    (values.get(field) or {}).items()}}
        out, bad = V.recode(s, None, codes)
        out = V.by_unique(out, lambda u: [v if isinstance(v, bool) else
                                          V.BOOL_CODES.get(str(v).lower()) for v in u])
        hint = ("positive/negative value (use positive/negative, pos/neg, TRUE/FALSE, 1/0, "
                "양성/음성)") if field == "anti_dsdna_pos" else \
            "yes/no value (use yes/no, TRUE/FALSE, 1/0, 예/아니오)"
        log.cells("error", bad, rows, s, col, lambda v: f"'{v}' is not a {hint}.", **where)
        return Col(plan, field, out.astype("boolean"), rows, extra)
    if field in ("start_date", "visit_date"):
        dates, bad = V.parse_dates(s)
        log.cells("error", bad, rows, s, col, lambda v: f"'{v}' is not a date (use "
                  "YYYY-MM-DD).", **where)
        return Col(plan, field, dates, rows, extra)
    if field in CATEGORY_CODES:
        out, bad = V.recode(s, values.get(field), CATEGORY_CODES[field])
        if field == "group":  # any labels allowed: unknown texts are kept as written
            out = out.where(~pd.Series(bad, index=s.index), V.strip_text(s))
        else:
            allowed = "F or M" if field == "sex" else "CR, PR or NR"
            log.cells("error", bad, rows, s, col, lambda v: f"'{v}' is not a {field} value "
                      f"({allowed}); add it to the mapping's values.", **where)
        return Col(plan, field, out.astype(object), rows, extra)
    return Col(plan, field, V.strip_text(s), rows, extra)  # patient_id, other text fields


def _numbers(sheet: Sheet, column: str) -> tuple[np.ndarray, np.ndarray]:
    """:func:`~core.ingest.validation.parse_numbers` of a column, or the values the file stored
    as numbers (the same doubles: their text was written to read back exactly)."""
    known = sheet.numbers.get(column)
    if known is not None:
        return known.copy(), np.zeros(len(known), dtype=bool)
    return V.parse_numbers(sheet.frame[column])


# ------------------------------------------------------------------------------- units


def _apply_units(cols: list[Col], overrides: dict[str, str], log: V.IssueLog) -> None:
    """Convert each numeric column exactly once: mapping, header, page choice, heuristic."""
    by_field: dict[str, list[Col]] = {}
    for c in cols:
        f = c.plan.field
        if f in CONVERSIONS:
            by_field.setdefault(f, []).append(c)
    for field, group in by_field.items():
        guessed: list[Col] = []
        for c in group:
            unit = c.plan.unit
            if unit is None:
                o = overrides.get(c.plan.column) or overrides.get(field)
                unit = normalise_unit(o, field) if o else None
            if unit is None:
                guessed.append(c)
                continue
            if unit not in CONVERSIONS[field]:
                log.add("error", f"Column '{c.plan.column}' is in {display_unit(unit)}, which "
                        f"cannot be converted to {field} in {V_unit(field)}.",
                        column=c.plan.column, sheet=c.plan.sheet)
                c.values = pd.Series(np.nan, index=c.values.index)
                continue
            c.values = pd.Series(convert(c.values.to_numpy(float), field, unit),
                                 index=c.values.index)
            c.converted_from = None if is_canonical(field, unit) else unit
        if not guessed:
            continue
        pooled = np.concatenate([c.values.to_numpy(float) for c in guessed])
        unit, ambiguous = guess_unit(field, pooled)
        names = ", ".join(f"'{c.plan.column}'" for c in guessed[:3])
        if ambiguous:
            log.add("error", f"UPCR in {names} looks like mg/g or mg/mmol (median "
                    f"{np.nanmedian(pooled):g}), not g/g: state the unit in the header or the "
                    "mapping (the two differ by a factor of 8.8).", column=guessed[0].plan.column,
                    sheet=guessed[0].plan.sheet)
            for c in guessed:
                c.extra["_skip_limits"] = True
        elif unit is not None:
            log.add("warning", f"{field} in {names} looks like {display_unit(unit)}: converted "
                    f"to {V_unit(field)}. Set the unit if this is wrong.",
                    column=guessed[0].plan.column, sheet=guessed[0].plan.sheet)
            for c in guessed:
                c.values = pd.Series(convert(c.values.to_numpy(float), field, unit),
                                     index=c.values.index)
                c.converted_from = unit


def V_unit(field: str) -> str:
    """The canonical unit of a field, for messages."""
    return CANONICAL_UNITS.get(field, "")


def _check_limits(cols: list[Col], log: V.IssueLog) -> None:
    for c in cols:
        field = c.plan.field
        if field not in V.LIMITS or c.extra.get("_skip_limits"):
            continue
        x = c.values.to_numpy(float)
        impossible, unusual = V.limit_masks(field, x)
        raw = c.extra.get("_raw", pd.Series(x, index=c.values.index))
        conv = display_unit(c.converted_from)
        log.cells("error", impossible, c.rows, raw, c.plan.column,
                  V.limit_message(field, V_unit(field), "error", conv), sheet=c.plan.sheet)
        log.cells("warning", unusual, c.rows, raw, c.plan.column,
                  V.limit_message(field, V_unit(field), "warning", conv), sheet=c.plan.sheet,
                  droppable=False)
        if impossible.any():
            c.values = c.values.where(~impossible, np.nan)


# ---------------------------------------------------------------------------- assembly


def _frame(cols: list[Col], sheet: Sheet, log: V.IssueLog) -> tuple[pd.DataFrame, dict]:
    """Columns side by side (one per name; a second column for the same field is an error)."""
    data, header = {}, {}
    for c in cols:
        name = c.name
        if name in data:
            if c.plan.field is not None:
                log.add("error", f"Columns '{header[name]}' and '{c.plan.column}' both hold "
                        f"{name}; map one of them to another field or to ignore.",
                        column=c.plan.column, sheet=sheet.name)
                continue
            name = c.plan.column
        data[name], header[name] = c.values.reset_index(drop=True), c.plan.column
        if name == "month":  # a month cell that was filled but unreadable is reported once
            data["_month_given"] = c.extra["_raw"].notna().reset_index(drop=True)
        for k, v in c.extra.items():
            if not k.startswith("_"):
                data[k], header[k] = v.reset_index(drop=True), c.plan.column
    df = pd.DataFrame(data, copy=False)  # no block consolidation: it copied every cell
    df["_row"] = sheet.rows
    return df, header


def _wide_to_long(cols: list[Col], sheet: Sheet,
                  log: V.IssueLog) -> tuple[pd.DataFrame, pd.DataFrame | None, dict]:
    """One row per patient -> ``(patient rows, visit rows, headers)``.

    A visit exists for a patient and month when any of that month's cells is filled.
    """
    fixed = [c for c in cols if c.plan.month is None]
    base, header = _frame(fixed, sheet, log)
    months = sorted({c.plan.month for c in cols if c.plan.month is not None})
    parts = []
    base["_any_visit"] = False
    for m in months:
        sub, hdr = _frame([c for c in cols if c.plan.month == m], sheet, log)
        for k, v in hdr.items():
            header.setdefault(k, v)
        filled = sub.drop(columns=["_row", "anti_dsdna_censored"], errors="ignore").notna()
        keep = filled.any(axis=1).to_numpy()
        base["_any_visit"] |= keep
        sub["month"] = m
        if "patient_id" in base:
            sub["patient_id"] = base["patient_id"]
            keep &= base["patient_id"].notna().to_numpy()  # reported once, on the patient row
        parts.append(sub[keep])
    header["month"] = "month"
    long = pd.concat(parts, ignore_index=True) if parts else None
    return base, long, header


def _split(df: pd.DataFrame, header: dict, log: V.IssueLog, sheet: str | None,
           need_month: bool = True,
           extra_in_visits: bool = False) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """A long table -> (patients, visits); rows without ID or month are errors.

    ``(None, None)`` when there is no patient ID column at all.
    """
    def hdr(name: str) -> str:
        return header.get(name, name)

    if "patient_id" not in df:
        where = f" in sheet '{sheet}'" if sheet else ""
        log.add("error", f"No patient ID column found{where}: name one column 'patient_id' "
                "(or 환자번호, Patient ID …) or map it in the mapping step.", sheet=sheet)
        return None, None
    data_cols = [c for c in df.columns if c != "patient_id" and not str(c).startswith("_")]
    no_id = df["patient_id"].isna().to_numpy()
    if no_id.any():
        has_data = df[data_cols].notna().any(axis=1).to_numpy()
        if "_any_visit" in df:  # a wide row whose values are all time points
            has_data |= df["_any_visit"].to_numpy(dtype=bool)
        no_id &= has_data
        log.cells("error", no_id, df["_row"].to_numpy(), pd.Series([""] * len(df)),
                  hdr("patient_id"), lambda v: "This row has values but no patient ID.",
                  sheet=sheet)
        df = df[df["patient_id"].notna()].reset_index(drop=True)
    if "month" not in df and "visit_date" in df and "start_date" in df:
        df["month"] = (df["visit_date"] - df["start_date"]) / pd.Timedelta(days=1) / 30.4375
        header["month"] = hdr("visit_date")
    extra = [c for c in df.columns if c not in (*PATIENT_FIELDS, *VISIT_FIELDS, "visit_date")
             and not str(c).startswith("_")]
    visit_fields = [c for c in VISIT_FIELDS if c in df and c not in ("patient_id", "month")]
    df["_pid"] = pd.factorize(df["patient_id"])[0]  # IDs hashed once: the checks group by it
    if extra and not extra_in_visits:
        spread = df.groupby("_pid")[extra].nunique(dropna=True).max()
        varying = [c for c in extra if spread.get(c, 0) > 1]
    else:
        varying = list(extra)
    pat_fields = [c for c in df.columns if c in PATIENT_FIELDS and c != "patient_id"]
    pat_fields += [c for c in extra if c not in varying]
    patients = V.check_patient_fields(df, pat_fields, log, hdr, sheet).reset_index()
    if "month" not in df:
        if need_month and visit_fields:
            log.add("error", "No month column found: add a column 'month' (months since the "
                    "start of therapy), 'week', or 'visit_date' with 'start_date'.", sheet=sheet)
        return patients, None
    no_month = df["month"].isna().to_numpy()
    if no_month.any():
        no_month &= df[visit_fields + varying].notna().any(axis=1).to_numpy()
        if "_month_given" in df:
            no_month &= ~df["_month_given"].to_numpy(dtype=bool)
        log.cells("error", no_month, df["_row"].to_numpy(), df["patient_id"], hdr("month"),
                  lambda v: f"This visit of patient {v} has no month.", sheet=sheet)
        df = df[df["month"].notna()]
    keep = ["patient_id", "month", *visit_fields, *varying, "_row", "_pid"]
    visits = pd.DataFrame({c: df[c] for c in keep}, copy=False)  # columns shared, not copied
    visits = V.check_duplicate_visits(visits, log, hdr, sheet)
    return patients, visits


def _build(raw: RawTable, data: bytes, filename: str, mapping: dict, overrides: dict,
           log: V.IssueLog) -> Cohort:
    plans = plan_columns(raw, mapping)
    values = mapping.get("values", {})
    absent = [h for h in mapping.get("columns", {}) if h not in {p.column for p in plans}]
    if absent:
        log.add("warning", f"{len(absent)} column(s) named in the mapping are not in the file "
                f"({', '.join(repr(h) for h in absent[:3])}): is it the mapping for this export?")
    cols: dict[str | None, list[Col]] = {}
    for p in plans:
        sheet = next(s for s in raw.sheets if s.name == p.sheet)
        cols.setdefault(p.sheet, []).append(_type_column(sheet, p, values, log))
    every = [c for cs in cols.values() for c in cs]
    _apply_units(every, overrides, log)
    _check_limits(every, log)
    if raw.is_workbook:
        (ps, vs), form = raw.sheets, "workbook"
        pframe, phdr = _frame(cols[ps.name], ps, log)
        patients, _ = _split(pframe, phdr, log, ps.name, need_month=False)
        vframe, vhdr = _frame(cols[vs.name], vs, log)
        more, visits = _split(vframe, vhdr, log, vs.name)
        if patients is None or more is None:
            return _empty(filename, data, log.items)
        add = [c for c in more.columns if c not in patients.columns]  # fields on both sheets
        unknown = sorted(set(more["patient_id"]) - set(patients["patient_id"]))
        if unknown:
            log.add("warning", f"{len(unknown)} patient(s) have visits but no row on the "
                    f"'{ps.name}' sheet ({', '.join(map(str, unknown[:5]))}).", sheet=vs.name)
        patients = patients.merge(more[["patient_id", *add]], on="patient_id", how="outer")
    else:
        sheet = raw.sheets[0]
        timed = any(c.plan.month is not None and c.plan.field not in ("month",) for c in every)
        has_time = any(c.plan.field in ("month", "visit_date") for c in every)
        form = "wide" if timed and not has_time else "long"
        if form == "wide":
            for c in every:
                if c.plan.month is None and c.plan.field in VISIT_FIELDS and \
                        c.plan.field != "patient_id":
                    log.add("warning", f"Column '{c.plan.column}' holds {c.plan.field} but no "
                            "time point, so it was left out: write the month in the header "
                            f"('{c.plan.column} (month 6)') or map it to {c.plan.field}_m6.",
                            column=c.plan.column, sheet=sheet.name)
            base, long, hdr = _wide_to_long(every, sheet, log)
            patients, _ = _split(base, hdr, log, sheet.name, need_month=False)
            visits = None
            if patients is not None and long is not None:
                _, visits = _split(long, hdr, log, sheet.name, extra_in_visits=True)
        else:
            frame, hdr = _frame(every, sheet, log)
            patients, visits = _split(frame, hdr, log, sheet.name)
        if patients is None:
            return _empty(filename, data, log.items)
    if visits is None:
        visits = pd.DataFrame({"patient_id": pd.Series(dtype=object),
                               "month": pd.Series(dtype=float), "_row": pd.Series(dtype=int)})
    patients, visits = _finish(patients, visits, log)
    used = _mapping_used(plans, every, values)
    src = SourceInfo(filename, hashlib.sha256(data).hexdigest(), form, len(data))
    return Cohort(patients, visits, ValidationReport(tuple(log.items), log.n_dropped), src, used)


def _finish(patients: pd.DataFrame, visits: pd.DataFrame,
            log: V.IssueLog) -> tuple[pd.DataFrame, pd.DataFrame]:
    """eGFR from creatinine, canonical column order and dtypes, sorting."""
    visits = visits.copy(deep=False)  # columns are replaced below, never written into
    if len(patients):
        V.check_baseline(visits, log, patients["patient_id"])
    # each visit's patient as a number (IDs sorted): hashed once for the lookups and the order
    if "_pid" in visits:  # sort the distinct IDs only
        pid = visits["_pid"].to_numpy()
        first = V.first_rows(pid)
        there = first < len(pid)  # patients whose rows were all dropped have no code
        rank = np.full(len(first), -1)
        rank[there], ids = pd.factorize(visits["patient_id"].to_numpy()[first[there]], sort=True)
        codes = rank[pid]
    else:
        codes, ids = pd.factorize(visits["patient_id"], sort=True)
    if "creatinine" in visits and {"age", "sex"} <= set(patients.columns):
        info = patients.set_index("patient_id").reindex(ids)
        age = np.append(info["age"].to_numpy(float), np.nan)[codes]
        sex = np.append(info["sex"].to_numpy(object), None)[codes]
        computed = ckd_epi_2021(visits["creatinine"].to_numpy(float), age, sex)
        child = age < 18
        computed = np.where(child, np.nan, computed)
        if "egfr" in visits:
            visits["egfr"] = visits["egfr"].where(visits["egfr"].notna(), computed)
        else:
            visits["egfr"] = computed
        kids = visits.loc[child & visits["creatinine"].notna().to_numpy(), "patient_id"].unique()
        if len(kids):
            log.add("warning", f"eGFR was not computed for {len(kids)} patient(s) under 18 "
                    f"({', '.join(map(str, kids[:5]))}): CKD-EPI is for adults (the bedside "
                    "Schwartz equation needs height).", column="age")
    v_order = [c for c in VISIT_FIELDS if c in visits]
    v_extra = [c for c in visits.columns if c not in v_order and c not in ("_row", "_pid")]
    p_order = [c for c in PATIENT_FIELDS if c in patients]
    patients = patients[p_order + [c for c in patients.columns if c not in p_order]].copy()
    for c in patients.columns:
        if c in FLOATS:
            patients[c] = patients[c].astype(float)
    patients["patient_id"] = patients["patient_id"].astype(str)
    patients = patients.sort_values("patient_id", kind="stable").reset_index(drop=True)
    order = np.lexsort((visits["month"].to_numpy(float), codes))  # faster than sorting text
    in_order = bool((order == np.arange(len(order))).all())

    def final(c: str):  # canonical dtype, sorted rows: each column copied once
        s = visits[c]
        if c in FLOATS:
            s = s.astype(float)
        elif c in ("anti_dsdna_pos", "treatment_failure"):
            s = s.astype("boolean")
        return s.array if in_order else s.array.take(order)

    visits = pd.DataFrame({c: final(c) for c in v_order + v_extra}, copy=False)
    return patients, visits


def _mapping_used(plans: list[ColumnPlan], cols: list[Col], values: dict) -> dict:
    """The mapping (contract §3 form) that describes what was applied."""
    columns, units = {}, {}
    for p in plans:
        if p.field is not None:
            target = p.field if p.month is None else f"{p.field}_m{format_month(p.month)}"
            columns[p.column] = target
    for c in cols:  # the unit each field was read in: stated, picked or assumed
        unit = c.plan.unit or c.converted_from
        if unit is not None and c.plan.field not in units:
            units[c.plan.field] = display_unit(unit)
    return {"columns": columns, "units": units, "values": dict(values)}
