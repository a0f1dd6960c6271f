"""From a clinician's file to the canonical :class:`~core.model.schema.Cohort` (data-contract §1–§3).

bytes -> :func:`~core.ingest.io.read_table` -> :func:`~core.ingest.mapping.plan_columns` -> typed columns
(:mod:`core.ingest.columns`)
-> units (exactly once per column) -> plausibility -> long form (:mod:`core.ingest.reshape`)
-> cross-row checks -> eGFR.
User errors are issues in ``Cohort.report``, never exceptions.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from core.ingest import validation as V
from core.ingest.columns import (
    FLOATS,
    Col,
    apply_units,
    check_limits,
    prepare_cells,
    type_column,
)
from core.ingest.io import Limits, RawTable, read_table
from core.ingest.mapping import (
    ColumnPlan,
    format_month,
    format_target,
    parse_mapping_json,
    plan_columns,
    validate_mapping,
)
from core.ingest.reshape import side_by_side, split_rows, wide_to_long
from core.ingest.units import ckd_epi_2021, convert, display_unit
from core.model.i18n import gettext as _
from core.model.schema import (
    PATIENT_FIELDS,
    VISIT_FIELDS,
    Cohort,
    Derived,
    Issue,
    SourceInfo,
    ValidationReport,
)


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
                drop_invalid: bool | None = None, unit_overrides: dict[str, str] | None = None,
                limits: Limits | None = None) -> Cohort:
    """Read, map, convert and validate a cohort file (any form of data-contract §1).

    ``unit_overrides`` (field or column -> unit) is the unit the user picked in the page,
    used for columns whose unit neither the mapping nor the header states. With
    ``drop_invalid`` invalid values become missing (counted in ``report.n_dropped``); None
    (the default) takes the mapping's ``options.drop_invalid`` (False without it).
    Patients are sorted by patient_id, visits by (patient_id, month). Spreadsheet error
    cells and "not done" markers are missing values (a warning per column); a cell over
    ``limits.max_cell_chars`` is an error in an analysed column and is cut elsewhere.
    """
    if mapping is not None:
        mapping, err = validate_mapping(mapping)
        if err:
            return _empty(filename, data, [Issue("error", err)])
    if drop_invalid is None:
        drop_invalid = bool(((mapping or {}).get("options") or {}).get("drop_invalid", False))
    limits = limits or Limits()
    raw = read_table(data, filename, limits)
    if not raw.ok or not raw.sheets:
        return _empty(filename, data, raw.issues)
    log = V.IssueLog(drop_invalid)
    log.items.extend(raw.issues)
    try:
        with warnings.catch_warnings():  # pandas' own warnings are not the user's business
            warnings.simplefilter("ignore")
            return _build(raw, data, filename, mapping or {}, unit_overrides or {}, log,
                          limits)
    except MemoryError:
        return _empty(filename, data, [*log.items, Issue("error", _("The file is too large."))])
    except Exception as exc:  # a bug must not become a traceback in the browser
        msg = _('The file could not be processed ({value}: {exc}); please report this.').format(value=type(exc).__name__, exc=exc)
        return _empty(filename, data, [*log.items, Issue("error", msg)])


def _empty(filename: str, data: bytes, issues) -> Cohort:
    src = SourceInfo(filename, hashlib.sha256(data).hexdigest(), "", len(data))
    return Cohort(pd.DataFrame({"patient_id": pd.Series(dtype=object)}),
                  pd.DataFrame({"patient_id": pd.Series(dtype=object),
                                "month": pd.Series(dtype=float)}),
                  ValidationReport(tuple(issues)), src, None)


def _build(raw: RawTable, data: bytes, filename: str, mapping: dict, overrides: dict,
           log: V.IssueLog, limits: Limits) -> Cohort:
    every_plan = plan_columns(raw, mapping)
    # a column the mapping maps to `ignore` is dropped (contract §3), not passed through
    plans = [p for p in every_plan if not (p.field is None and p.status == "from mapping file")]
    for sheet in raw.sheets:
        prepare_cells(sheet, [p for p in plans if p.sheet == sheet.name], limits, log)
    values = mapping.get("values", {})
    absent = [h for h in mapping.get("columns", {}) if h not in {p.column for p in every_plan}]
    if absent:
        log.add("warning", _('{absent} column(s) named in the mapping are not in the file ({value}): is it the mapping for this export?').format(absent=len(absent), value=', '.join(repr(h) for h in absent[:3])))
    cols: dict[str | None, list[Col]] = {}
    for p in plans:
        sheet = next(s for s in raw.sheets if s.name == p.sheet)
        cols.setdefault(p.sheet, []).append(type_column(sheet, p, values, log))
    every = [c for cs in cols.values() for c in cs]
    measures = frozenset(p.field for p in plans if p.measure)
    for name in sorted(measures):  # a typo of a known lab would silently be a new measure
        near = difflib.get_close_matches(name, VISIT_FIELDS, n=1, cutoff=0.85)
        if near:
            log.add("warning", _("The mapping names a new measure '{name}', analysed as it is (not as {value}): if {value} was meant, map the column to {value}.").format(name=name, value=near[0]))
    apply_units(every, overrides, log)
    check_limits(every, log)
    if raw.is_workbook:
        (ps, vs), form = raw.sheets, "workbook"
        pframe, phdr = side_by_side(cols[ps.name], ps, log)
        patients, _more = split_rows(pframe, phdr, log, ps.name, need_month=False)
        vframe, vhdr = side_by_side(cols[vs.name], vs, log)
        more, visits = split_rows(vframe, vhdr, log, vs.name, measures=measures)
        if patients is None or more is None:
            return _empty(filename, data, log.items)
        add = [c for c in more.columns if c not in patients.columns]  # fields on both sheets
        unknown = sorted(set(more["patient_id"]) - set(patients["patient_id"]))
        if unknown:
            log.add("warning", _("{unknown} patient(s) have visits but no row on the '{name}' sheet ({value}).").format(unknown=len(unknown), name=ps.name, value=', '.join(map(str, unknown[:5]))), sheet=vs.name)
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
                    log.add("warning", _("Column '{column}' holds {field} but no time point, so it was left out: write the month in the header ('{column} (month 6)') or map it to {field}_m6.").format(column=c.plan.column, field=c.plan.field),
                            column=c.plan.column, sheet=sheet.name)
            base, long, hdr = wide_to_long(every, sheet, log)
            patients, _more = split_rows(base, hdr, log, sheet.name, need_month=False)
            visits = None
            if patients is not None and long is not None:
                _more, visits = split_rows(long, hdr, log, sheet.name, extra_in_visits=True)
        else:
            frame, hdr = side_by_side(every, sheet, log)
            patients, visits = split_rows(frame, hdr, log, sheet.name, measures=measures)
        if patients is None:
            return _empty(filename, data, log.items)
    if visits is None:
        visits = pd.DataFrame({"patient_id": pd.Series(dtype=object),
                               "month": pd.Series(dtype=float), "_row": pd.Series(dtype=int)})
    patients, visits, derived = _finish(patients, visits, log)
    derived = dataclasses.replace(derived, conversions=_conversions(every))
    used = _mapping_used(plans, every, values)
    options = dict(mapping.get("options") or {})
    options.pop("drop_invalid", None)
    if log.drop_invalid:  # remembered as it was applied (contract §3 options)
        options["drop_invalid"] = True
    if options:
        used["options"] = options
    src = SourceInfo(filename, hashlib.sha256(data).hexdigest(), form, len(data))
    return Cohort(patients, visits, ValidationReport(tuple(log.items), log.n_dropped), src, used,
                  derived)


def _conversions(cols: list[Col]) -> tuple[tuple[str, str, float], ...]:
    """Each field whose values were converted to its canonical unit: (field, the unit as given,
    the factor), in column order, once per field and unit (methods text)."""
    out: dict[tuple[str, str], float] = {}
    for c in cols:
        if c.converted_from is None or c.plan.field is None or c.plan.measure:
            continue
        factor = float(convert(np.array([1.0]), c.plan.field, c.converted_from)[0])
        if factor != 1.0:
            out.setdefault((c.plan.field, display_unit(c.converted_from)), factor)
    return tuple((f, u, k) for (f, u), k in out.items())


def _finish(patients: pd.DataFrame, visits: pd.DataFrame,
            log: V.IssueLog) -> tuple[pd.DataFrame, pd.DataFrame, Derived]:
    """eGFR from creatinine, canonical column order and dtypes, sorting; what was computed."""
    derived = Derived()
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
        given = visits["egfr"].notna().to_numpy() if "egfr" in visits else \
            np.zeros(len(visits), dtype=bool)
        if "egfr" in visits:
            visits["egfr"] = visits["egfr"].where(visits["egfr"].notna(), computed)
        else:
            visits["egfr"] = computed
        filled = ~given & np.isfinite(computed)
        if filled.any():
            derived = Derived(egfr_visits=int(filled.sum()),
                              egfr_patients=int(len(np.unique(codes[filled]))))
        kids = visits.loc[child & visits["creatinine"].notna().to_numpy(), "patient_id"].unique()
        if len(kids):
            log.add("warning", _('eGFR was not computed for {kids} patient(s) under 18 ({value}): CKD-EPI is for adults (the bedside Schwartz equation needs height).').format(kids=len(kids), value=', '.join(map(str, kids[:5]))), column="age")
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
    return patients, visits, derived


def _mapping_used(plans: list[ColumnPlan], cols: list[Col], values: dict) -> dict:
    """The mapping (contract §3 form) that describes what was applied."""
    columns, units = {}, {}
    for p in plans:
        if p.field is not None:
            if p.time is not None:  # as written: cd4_w20, not cd4_m4.615384615384615
                target = format_target(p.field, p.time, p.time_unit)
            else:
                target = p.field if p.month is None else f"{p.field}_m{format_month(p.month)}"
            columns[p.column] = target
    for c in cols:  # the unit each field was read in: stated, picked or assumed
        unit = c.plan.unit or c.converted_from
        if unit is not None and c.plan.field not in units:
            units[c.plan.field] = unit if c.plan.measure else display_unit(unit)
    return {"columns": columns, "units": units, "values": dict(values)}
