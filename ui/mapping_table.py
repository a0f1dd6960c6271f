"""The Data page's mapping table: for each column a canonical field *or* a measure the user
names, its unit, and the time point with its unit (months, weeks, days).

The table the core speaks (:func:`core.ingest.mapping.suggest_mapping`) has one ``field``
column; the editor splits it in two — a pick list of canonical fields and a text column for a
new measure — and joins them back (:func:`to_editor`, :func:`from_editor`). After every edit
the status of the changed rows is brought up to date (``matched`` once a row can be used, or
why not), and the editor is drawn again with it.
"""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from core.ingest.mapping import IGNORE, TARGET_FIELDS, TIME_UNITS, restatus
from core.model.i18n import N_, language
from core.model.i18n import gettext as _
from core.model.schema import label_of
from ui.state import Key

EDITOR_COLUMNS = ["column", "field", "measure", "unit", "time", "time_unit", "status", "sheet"]
_EDITABLE = ["field", "measure", "unit", "time", "time_unit"]
_KNOWN = frozenset({*TARGET_FIELDS, IGNORE})
# column widths in pixels (fixed: the table reads the same on every screen)
WIDTHS = {"column": 140, "field": 180, "measure": 120, "unit": 100, "time": 90,
          "time_unit": 100, "status": 240, "sheet": 90}
# The status column keeps the core's machine words (core.ingest.mapping.restatus); the editor
# shows them, and the time units, in the session's language. A status that is not one of these
# is the core's sentence saying why a row cannot be used, shown as it is.
STATUS_WORDS = {"matched": N_("matched"), "unmatched": N_("unmatched"),
                "from mapping file": N_("from mapping file")}  # fmt: skip
TIME_UNIT_WORDS = {"months": N_("months"), "weeks": N_("weeks"), "days": N_("days")}
IGNORE_WORD = N_("(ignore this column)")
# Fields without a lab label (core.model.schema.LABELS) as the pick list names them.
FIELD_WORDS = {
    "patient_id": N_("Patient ID"), "isn_class_detail": N_("Nephritis class (detail)"),
    "start_date": N_("Start of therapy (date)"), "ttr_months": N_("Time to event (months)"),
    "ttr_event": N_("Event at that time (1/0)"), "ttr_status": N_("Event status"),
    "eskd_month": N_("Month of ESKD"), "discontinued_month": N_("Month therapy stopped"),
    "month": N_("Visit month"), "visit_date": N_("Visit date"),
    "anti_dsdna_censored": N_("Anti-dsDNA titre censored (< or >)"),
    "anti_dsdna_pos": N_("Anti-dsDNA positive"), "response": N_("Response (recorded)"),
}  # fmt: skip


def status_word(status: object) -> object:
    """A row's status as the editor shows it."""
    return _(STATUS_WORDS[status]) if isinstance(status, str) and status in STATUS_WORDS else status


def field_word(field: object, lang: str | None = None) -> str:
    """A field in the editor's pick list: its label in ``lang`` (default: the session's), the
    field's own name beside it when the label differs (the name a mapping file uses)."""
    if field == IGNORE:
        return _(IGNORE_WORD, lang)
    label = _(FIELD_WORDS.get(str(field)) or label_of(str(field)), lang)
    return label if label.lower() == str(field).lower() else f"{label} · {field}"


def _blank(v: object) -> bool:
    return v is None or (isinstance(v, float) and v != v) or str(v).strip() == ""


def to_editor(table: pd.DataFrame) -> pd.DataFrame:
    """The core's mapping table as the editor shows it: a user-named measure moves from
    ``field`` to ``measure``."""
    df = table.copy()
    custom = df["field"].map(lambda f: not _blank(f) and f not in _KNOWN)
    df["measure"] = df["field"].where(custom, None)
    df["field"] = df["field"].where(~custom, None)
    return df.reindex(columns=EDITOR_COLUMNS).astype(object).where(lambda d: d.notna(), None)


def from_editor(edited: pd.DataFrame) -> pd.DataFrame:
    """The editor's table back in the core's form: a typed measure name wins over the pick."""
    df = edited.copy()
    typed = df["measure"].map(lambda m: not _blank(m))
    df["field"] = df["measure"].where(typed, df["field"])
    cols = ["column", "field", "time", "time_unit", "unit", "status", "sheet"]
    df = df.reindex(columns=cols)
    return df.astype(object).where(df.notna(), None)


def _config(show_sheet: bool) -> dict:
    lang = language()  # the format functions keep the language of this run
    return {
        "column": st.column_config.TextColumn(_("Column in the file"), disabled=True,
                                              width=WIDTHS["column"]),
        "field": st.column_config.SelectboxColumn(
            _("Field"), options=[*TARGET_FIELDS, IGNORE], width=WIDTHS["field"],
            format_func=lambda f: field_word(f, lang),
            help=_("A field the analyses know; leave empty and type a name under *New measure* "
                   "for any other lab.")),
        "measure": st.column_config.TextColumn(
            _("New measure"), width=WIDTHS["measure"],
            help=_("A lab the analyses do not know (cd4, hemoglobin): lower-case letters, "
                   "digits and _. It is analysed like the known labs.")),
        "unit": st.column_config.TextColumn(
            _("Unit"), width=WIDTHS["unit"],
            help=_("Unit the column arrives in (a new measure: any text, e.g. cells/µL).")),
        "time": st.column_config.NumberColumn(
            _("Time point"), min_value=-600, max_value=30000, width=WIDTHS["time"],
            help=_("The visit of a wide column (baseline = 0), in the time unit beside it.")),
        "time_unit": st.column_config.SelectboxColumn(
            _("Time unit"), options=list(TIME_UNITS), width=WIDTHS["time_unit"],
            format_func=lambda u: _(TIME_UNIT_WORDS[u], lang) if u in TIME_UNIT_WORDS else str(u),
            help=_("Unit of the time point; for a time column (month, ttr_months…) the unit of "
                   "its values.")),
        "status": st.column_config.TextColumn(_("Status"), disabled=True, width=WIDTHS["status"]),
        "sheet": st.column_config.TextColumn(_("Sheet"), disabled=True, width=WIDTHS["sheet"])
        if show_sheet else None,
    }  # fmt: skip


def edit(suggested: pd.DataFrame, sha: str) -> pd.DataFrame:
    """Draw the mapping editor for ``suggested`` (the core's table) and return the table as
    edited, in the core's form, statuses up to date."""
    ss = st.session_state
    token = hashlib.sha256(suggested.to_json().encode("utf-8")).hexdigest()[:16]
    slot = f"{Key.MAPPING_BASE}_{sha[:16]}"
    base = ss.get(slot)
    if base is None or base[0] != token:
        # Unrecognised columns first: they are the ones that need a decision.
        first = suggested.assign(_u=suggested["status"] != "unmatched")
        order = first.sort_values("_u", kind="stable").drop(columns="_u").reset_index(drop=True)
        base = (token, order, 0)
        ss[slot] = base
    _token, table, version = base
    show_sheet = "sheet" in table and table["sheet"].notna().any()
    shown = to_editor(table)
    shown["status"] = shown["status"].map(status_word)
    edited = st.data_editor(shown, column_config=_config(show_sheet), hide_index=True,
                            height=320, placeholder="", num_rows="fixed",
                            key=f"{Key.MAPPING_EDITOR}_{sha[:16]}_{version}")  # fmt: skip
    result = from_editor(edited)
    result["status"] = table["status"].to_numpy()  # the machine words (the column is read-only)
    fresh = restatus(result, table)
    same = fresh.drop(columns="status").equals(table.drop(columns="status")) and \
        fresh["status"].equals(table["status"])
    if not same:
        ss[slot] = (token, fresh, version + 1)  # draw again with the statuses brought up to date
        st.rerun()
    return fresh
