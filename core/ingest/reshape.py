"""Tables into patients and visits: columns side by side, wide rows into long visit rows,
and the split of a long table into one row per patient and one per visit (data-contract §1).

Rows without a patient ID or a month, fields that differ between one patient's rows, and
duplicate visits are issues naming the rows.
"""

from __future__ import annotations

import pandas as pd

from core.ingest import validation as V
from core.ingest.columns import Col
from core.ingest.table import Sheet
from core.model.i18n import gettext as _
from core.model.schema import PATIENT_FIELDS, VISIT_FIELDS


def side_by_side(cols: list[Col], sheet: Sheet, log: V.IssueLog) -> tuple[pd.DataFrame, dict]:
    """Columns side by side (one per name; a second column for the same field is an error)."""
    data, header = {}, {}
    for c in cols:
        name = c.name
        if name in data:
            if c.plan.field is not None:
                log.add("error", _("Columns '{value}' and '{column}' both hold {name}; map one of them to another field or to ignore.").format(value=header[name], column=c.plan.column, name=name),
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


def wide_to_long(cols: list[Col], sheet: Sheet,
                  log: V.IssueLog) -> tuple[pd.DataFrame, pd.DataFrame | None, dict]:
    """One row per patient -> ``(patient rows, visit rows, headers)``.

    A visit exists for a patient and month when any of that month's cells is filled.
    """
    fixed = [c for c in cols if c.plan.month is None]
    base, header = side_by_side(fixed, sheet, log)
    months = sorted({c.plan.month for c in cols if c.plan.month is not None})
    parts = []
    base["_any_visit"] = False
    for m in months:
        sub, hdr = side_by_side([c for c in cols if c.plan.month == m], sheet, log)
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


def split_rows(df: pd.DataFrame, header: dict, log: V.IssueLog, sheet: str | None,
           need_month: bool = True,
           extra_in_visits: bool = False,
           measures: frozenset[str] = frozenset()) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """A long table -> (patients, visits); rows without ID or month are errors.

    ``measures`` (user-named measures of the mapping) are visit columns even when a
    patient's rows all hold the same value.

    ``(None, None)`` when there is no patient ID column at all.
    """
    def hdr(name: str) -> str:
        return header.get(name, name)

    if "patient_id" not in df:
        where = _(" in sheet '{sheet}'").format(sheet=sheet) if sheet else ""
        log.add("error", _("No patient ID column found{where}: name one column 'patient_id' (or 환자번호, Patient ID …) or map it in the mapping step.").format(where=where), sheet=sheet)
        return None, None
    data_cols = [c for c in df.columns if c != "patient_id" and not str(c).startswith("_")]
    no_id = df["patient_id"].isna().to_numpy()
    if no_id.any():
        has_data = df[data_cols].notna().any(axis=1).to_numpy()
        if "_any_visit" in df:  # a wide row whose values are all time points
            has_data |= df["_any_visit"].to_numpy(dtype=bool)
        no_id &= has_data
        log.cells("error", no_id, df["_row"].to_numpy(), pd.Series([""] * len(df)),
                  hdr("patient_id"), lambda v: _("This row has values but no patient ID."),
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
        varying = [c for c in extra if spread.get(c, 0) > 1 or c in measures]
    else:
        varying = list(extra)
    pat_fields = [c for c in df.columns if c in PATIENT_FIELDS and c != "patient_id"]
    pat_fields += [c for c in extra if c not in varying]
    patients = V.check_patient_fields(df, pat_fields, log, hdr, sheet).reset_index()
    if "month" not in df:
        if need_month and visit_fields:
            log.add("error", _("No month column found: add a column 'month' (months since the "
                    "start of therapy), 'week', or 'visit_date' with 'start_date'."), sheet=sheet)
        return patients, None
    no_month = df["month"].isna().to_numpy()
    if no_month.any():
        no_month &= df[visit_fields + varying].notna().any(axis=1).to_numpy()
        if "_month_given" in df:
            no_month &= ~df["_month_given"].to_numpy(dtype=bool)
        log.cells("error", no_month, df["_row"].to_numpy(), df["patient_id"], hdr("month"),
                  lambda v: _('This visit of patient {v} has no month.').format(v=v), sheet=sheet)
        df = df[df["month"].notna()]
    keep = ["patient_id", "month", *visit_fields, *varying, "_row", "_pid"]
    visits = pd.DataFrame({c: df[c] for c in keep}, copy=False)  # columns shared, not copied
    visits = V.check_duplicate_visits(visits, log, hdr, sheet)
    return patients, visits
