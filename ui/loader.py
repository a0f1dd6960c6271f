"""The Data page's steps: choose a file, map its columns, load, and show what was found.

Nothing is analysed until the mapping is confirmed, unless every column was recognised
(by the synonyms or a mapping file). Options that change the loaded cohort (set invalid
values to missing, units) reload the same bytes from memory, cached.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st

from core.model.i18n import N_, language
from core.model.i18n import gettext as _
from core.model.schema import Cohort, label_of, measure_units, unit_of
from core.model.settings import remember_choices
from ui import cache, group_order, privacy, session
from ui.mapping_table import FIELD_WORDS
from ui.state import Key, Source, clear_cohort, get_settings, get_source, make_source
from ui.widgets import guarded

FILE_TYPES = ["csv", "tsv", "txt", "xlsx", "xlsm", "xls", "parquet"]
KEEP = N_("(as detected)")  # the units' "no choice" option (a value; shown through _())
FORM_LABELS = {"long": N_("long (one row per visit)"), "wide": N_("wide (one row per patient)"),
               "workbook": N_("workbook (patients + visits sheets)"),
               "demo": N_("demo (long)")}  # fmt: skip
# The validation report's columns and severities as the screen shows them (the report keeps
# the machine words).
REPORT_HEADERS = {"severity": N_("Severity"), "sheet": N_("Sheet"), "row": N_("Row"),
                  "column": N_("Column"), "value": N_("Value"), "message": N_("Problem")}  # fmt: skip
SEVERITY_WORDS = {"error": N_("Error"), "warning": N_("Warning"), "info": N_("Note")}
# The canonical tables' columns in the preview: the fields' labels (core.model.schema.LABELS,
# translated), these, and the mapping table's names of the other fields.
PREVIEW_HEADERS = {**FIELD_WORDS, "patient_id": N_("Patient"), "group": N_("Group"),
                   "sex": N_("Sex"), "age": N_("Age (years)"),
                   "isn_class": N_("Nephritis class"), "month": N_("Month")}  # fmt: skip


def choose_file() -> None:
    """Uploaders for the cohort and an optional mapping file; demo and remove buttons."""
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    with left:
        st.file_uploader(_("Cohort file"), type=FILE_TYPES, key=Key.COHORT_FILE,
                         help=_("CSV, TSV, Excel or Parquet; long, wide or a patients + visits "
                                "workbook. The file stays in memory and is never saved."))  # fmt: skip
        st.file_uploader(
            _("Mapping file (optional)"),
            type=["json"],
            key=Key.MAPPING_FILE,
            help=_("A mapping saved from this page earlier (columns, units, recodes)."),
        )
    with right:
        if st.button(
            _("Use demo cohort"), key=Key.USE_DEMO, icon=":material/science:", width="stretch"
        ):
            if session.load_demo():
                st.rerun()
        if get_source() is not None and st.button(_("Remove data"), icon=":material/delete:",
                                                  width="stretch"):  # fmt: skip
            clear_cohort()
            st.rerun()
    if err := st.session_state.get(Key.LOAD_ERROR):
        st.error(err)


def uploaded_mapping() -> tuple[dict | None, bool]:
    """The uploaded mapping file parsed: (mapping or None, ok). A bad file is one sentence."""
    from core.ingest.mapping import parse_mapping_json

    up = st.session_state.get(Key.MAPPING_FILE)
    if up is None:
        return None, True
    mapping, error = parse_mapping_json(up.getvalue())
    if error:
        st.error(f"{up.name}: {error}")
        return None, False
    return mapping, True


def mapping_step() -> bool:
    """For a newly uploaded file: show how it was read and the column mapping; load it when
    every column is recognised, else when the user confirms. True while the uploaded file
    waits (is not the loaded cohort)."""
    up = st.session_state.get(Key.COHORT_FILE)
    if up is None:
        return False
    file_mapping, ok = uploaded_mapping()
    if not ok:
        return True
    data = up.getvalue()
    source = make_source(data, up.name)
    raw = cache.read_raw(source.sha256, up.name, data)
    if not raw.ok:
        st.error(" ".join(i.message for i in raw.issues if i.severity == "error"))
        return True
    _read_summary(raw)
    suggested = _suggested(source, data, file_mapping)
    st.subheader(_("Column mapping"), divider="gray")
    st.caption(
        _(
            "Which field, unit and time point each column holds. Pick a known field, or type "
            "the name of a new measure (cd4, hemoglobin) with its unit; a wide column's time "
            "point may be in months, weeks or days. Leave both empty to keep a column as it is "
            "(it passes through for filters and the baseline table)."
        )
    )
    edited = _editor(suggested, source.sha256)
    changed = not _same_rows(edited, suggested)
    mapping = _mapping(edited, file_mapping, changed)
    if mapping is not None:
        _mapping_download(mapping, up.name)
    active = get_source()
    same_file = active is not None and active.sha256 == source.sha256 and active.name == up.name
    if same_file:  # the group order set on the Data page stays (ui/group_order.py)
        mapping = group_order.carried(mapping, active)
    remembered = bool(((mapping or {}).get("options") or {}).get("drop_invalid", False))
    candidate = replace(
        source, mapping=mapping,
        drop_invalid=active.drop_invalid if same_file else remembered,
        unit_overrides=active.unit_overrides if same_file else (),
        drop_columns=active.drop_columns if same_file else (),
        pseudonymise=active.pseudonymise if same_file else False,
    )  # fmt: skip
    if active is not None and active.key == candidate.key:
        st.success(_("{name} is loaded with this mapping.").format(name=up.name), icon=":material/check_circle:")
        return False
    if st.session_state.get(Key.HANDLED) == candidate.key:
        # Loaded before, then replaced (demo, remove): load again only when asked.
        if st.button(_("Load {name} again").format(name=up.name), key="reload_upload", icon=":material/upload:"):
            _activate(candidate)
        return True
    unmatched = int((edited["status"] == "unmatched").sum()) if "status" in edited else 0
    problems = edited[~edited["status"].isin(["matched", "unmatched", "from mapping file"])]
    for rec in problems.to_dict("records"):
        st.warning(_("Column '{column}': {problem}").format(column=rec["column"],
                                                             problem=rec["status"]))  # fmt: skip
    if not changed and unmatched == 0:
        _activate(candidate)
    if unmatched:
        st.warning(
            (_("1 column is not recognised.") if unmatched == 1 else
             _("{n} columns are not recognised.").format(n=unmatched)) + " " +
            _("Choose a field for each, or leave it empty to keep it as it is, then confirm.")
        )  # fmt: skip
    if st.button(_("Confirm mapping"), key=Key.CONFIRM, type="primary", icon=":material/check:"):
        _activate(candidate)
    return True


def _read_summary(raw) -> None:
    sheets = raw.sheets
    rows = sum(len(s.frame) for s in sheets)
    cols = sum(len(s.frame.columns) for s in sheets)
    how = raw.kind.upper() or _("file")
    if raw.encoding:
        how += f", {raw.encoding}"
    if raw.delimiter:
        how += ", " + _("delimiter {sep}").format(
            sep=_("tab") if raw.delimiter == "\t" else f"'{raw.delimiter}'")
    names = ", ".join(f"'{s.name}'" for s in sheets if s.name)
    text = _("Read as {how}: {rows} rows, {cols} columns").format(
        how=how, rows=f"{rows:,}", cols=f"{cols:,}")
    if raw.is_workbook:
        text += " " + _("(sheets {names})").format(names=names)
    st.caption(text + ".")  # fmt: skip
    for issue in raw.issues:
        st.warning(issue.message)


def _suggested(source: Source, data: bytes, file_mapping: dict | None) -> pd.DataFrame:
    if file_mapping is None:
        return cache.suggested_mapping(source.sha256, source.name, data)
    from core.ingest.mapping import suggest_mapping

    return suggest_mapping(cache.read_raw(source.sha256, source.name, data), file_mapping)


def _editor(suggested: pd.DataFrame, sha: str) -> pd.DataFrame:
    from ui import mapping_table

    return mapping_table.edit(suggested, sha)


def _same_rows(edited: pd.DataFrame, suggested: pd.DataFrame) -> bool:
    """True when the user changed nothing in the mapping table (row order aside)."""
    key = ["sheet", "column"] if "sheet" in suggested else ["column"]
    a = edited.drop(columns="status").sort_values(key).reset_index(drop=True).astype(object)
    b = suggested.drop(columns="status").sort_values(key).reset_index(drop=True).astype(object)
    return a.where(a.notna(), None).equals(b.where(b.notna(), None))


def _mapping(edited: pd.DataFrame, file_mapping: dict | None, changed: bool) -> dict | None:
    """The mapping to load with: the file's (or none) unless the table was edited."""
    if not changed:
        return file_mapping
    from core.ingest.mapping import mapping_from_table

    return mapping_from_table(edited, (file_mapping or {}).get("values"),
                              (file_mapping or {}).get("options"))


def _mapping_download(mapping: dict, name: str, key: str = "dl_mapping") -> None:
    from core.ingest.mapping import mapping_to_json

    stem = name.rsplit(".", 1)[0]
    st.download_button(_("Mapping (JSON)"), mapping_to_json(mapping).encode("utf-8"),
                       file_name=f"{stem}.mapping.json", mime="application/json",
                       on_click="ignore", icon=":material/download:", key=key)  # fmt: skip


def _activate(source: Source) -> None:
    if not source.demo:
        st.session_state[Key.HANDLED] = source.key
    with st.spinner(_("Loading and checking the file…")):
        cohort = session.activate(source)
    if cohort is not None:
        st.rerun()


# --- the loaded cohort -----------------------------------------------------------------


def loaded(cohort: Cohort, waiting: bool = False) -> None:
    """What the loaded cohort holds: summary, validation report, fixes, preview. ``waiting``:
    an uploaded file is not loaded yet (this is still the previous cohort)."""
    source = get_source()
    name = source.name if source else cohort.source.name
    st.subheader(_("Loaded cohort: {name}").format(name=name), divider="gray")
    if waiting:
        st.caption(_("This is the cohort analysed until the uploaded file above is loaded."))
    form_key = "demo" if source and source.demo else cohort.source.form
    form = _(FORM_LABELS[form_key]) if form_key in FORM_LABELS else (cohort.source.form or "")
    groups = ", ".join(f"{g} {n}" for g, n in _counts(cohort.patients, "group"))
    classes = ", ".join(f"{c} {n}" for c, n in _counts(cohort.patients, "isn_class"))
    c1, c2, c3 = st.columns(3)
    c1.metric(_("Patients"), f"{len(cohort.patients):,}")
    c2.metric(_("Visits"), f"{len(cohort.visits):,}")
    c3.metric(_("Errors / warnings"),
              f"{len(cohort.report.errors)} / {len(cohort.report.warnings)}")  # fmt: skip
    parts = (source.name if source else "",
             form and _("form: {form}").format(form=form),
             groups and _("groups: {groups}").format(groups=groups),
             classes and _("classes: {classes}").format(classes=classes))  # fmt: skip
    st.caption(" · ".join(x for x in parts if x))
    privacy.identifiers(source)
    _derived(cohort)
    _report(cohort, source)
    _units(cohort, source)
    _preview(cohort)


def _derived(cohort: Cohort) -> None:
    """What the loader computed rather than read, said once after loading: eGFR from
    creatinine (CKD-EPI 2021), and the censored anti-dsDNA titres."""
    from core.model.dsdna import censored_counts

    d = cohort.derived
    if d.egfr_visits:
        st.info(_("eGFR computed from creatinine, age and sex (CKD-EPI 2021, without race) at "
                  "{visits} visit(s) of {patients} patient(s) where the file gives none; the "
                  "methods text says so.").format(visits=f"{d.egfr_visits:,}",
                                                  patients=f"{d.egfr_patients:,}"),
                icon=":material/calculate:")  # fmt: skip
    below, above = censored_counts(cohort.visits)
    if below or above:
        st.info(_("{n} anti-dsDNA titre(s) are censored ({below} like <10, {above} like "
                  ">300): they are analysed at the limit value; the notes and the methods text "
                  "say so.").format(n=f"{below + above:,}", below=f"{below:,}",
                                    above=f"{above:,}"), icon=":material/info:")  # fmt: skip


def _counts(frame: pd.DataFrame, col: str) -> list[tuple[str, int]]:
    if col not in frame:
        return []
    return [(str(k), int(v)) for k, v in frame[col].value_counts().sort_index().items()]


def _report(cohort: Cohort, source: Source | None) -> None:
    report = cohort.report
    st.markdown("**{}**".format(_("Validation report")))
    if not report.issues:
        st.success(_("No problems found."), icon=":material/check_circle:")
    else:
        if report.errors:
            st.error(_("{n} error(s) block the analysis until the file is fixed or the invalid "
                       "values are set to missing.").format(n=len(report.errors)))  # fmt: skip
        frame = report.to_frame()
        cols = ["severity", "row", "column", "value", "message"]
        if frame["sheet"].notna().any():
            cols.insert(1, "sheet")
        shown = frame[cols].assign(severity=frame["severity"].map(
            lambda s: _(SEVERITY_WORDS[s]) if s in SEVERITY_WORDS else s))
        st.dataframe(
            shown, hide_index=True, height=min(400, 38 + 35 * len(frame)), placeholder="",
            column_config={c: _(REPORT_HEADERS[c]) for c in cols},
        )
    if report.n_dropped:
        st.info(_("{n} invalid value(s) were set to missing.").format(n=report.n_dropped))
    if source is None:
        return
    if (st.session_state.get(Key.DROP_INVALID_FOR) != (source.sha256, source.name)
            or Key.DROP_INVALID not in st.session_state):
        # another file, or back on this page: the box shows how the file was loaded (a
        # mapping may have ticked it)
        st.session_state[Key.DROP_INVALID_FOR] = (source.sha256, source.name)
        st.session_state[Key.DROP_INVALID] = source.drop_invalid
    want = st.checkbox(
        _("Set every invalid value to missing"),
        key=Key.DROP_INVALID,
        disabled=not (report.errors or source.drop_invalid),
    )
    if want != source.drop_invalid:
        _activate(replace(source, drop_invalid=want))


def _units(cohort: Cohort, source: Source | None) -> None:
    from core.ingest.units import display_unit, known_units

    fields = [f for f in ("upcr", "proteinuria_24h", "creatinine", "albumin", "c3", "c4",
                          "steroid_mg") if f in cohort.visits and len(known_units(f)) > 1]  # fmt: skip
    if source is None or not fields:
        return
    current = dict(source.unit_overrides)
    with st.expander(_("Units"), expanded=bool(current)):
        st.caption(_("When a unit is stated nowhere (header, mapping file), choose the one the "
                     "column arrives in; it is converted once to the canonical unit."))  # fmt: skip
        chosen = {}
        lang = language()  # the format function keeps the language of this run
        cols = st.columns(min(4, len(fields)))
        for i, f in enumerate(fields):
            options = [KEEP, *known_units(f)]
            value = current.get(f, KEEP)
            pick = cols[i % len(cols)].selectbox(
                _(label_of(f)),
                options,
                index=options.index(value) if value in options else 0,
                format_func=lambda u: _(KEEP, lang) if u == KEEP else display_unit(u),
                key=f"unit__{f}",
            )
            if pick != KEEP:
                chosen[f] = pick
    overrides = tuple(sorted(chosen.items()))
    if overrides != source.unit_overrides:
        _activate(replace(source, unit_overrides=overrides))


def _headers(frame: pd.DataFrame, units: dict[str, str]) -> dict[str, str]:
    """The canonical table's clinical headers in the session's language ("UPCR (g/g)",
    "Nephritis class"), as the column labels shown (the table keeps the canonical names); a
    column passed through from the file keeps its own name."""
    out = {}
    for col in frame.columns:
        if col in PREVIEW_HEADERS:
            out[col] = _(PREVIEW_HEADERS[col])
            continue
        label = label_of(col, units)
        if label != col:
            unit = unit_of(col, units)
            out[col] = f"{_(label)} ({unit})" if unit else _(label)
    return out


def _preview(cohort: Cohort) -> None:
    with guarded("show the preview"):
        units = measure_units(cohort)
        st.markdown(_("**Canonical patients** (first 200)"))
        st.dataframe(cohort.patients.head(200), hide_index=True, height=250, placeholder="",
                     column_config=_headers(cohort.patients, units))  # fmt: skip
        st.markdown(_("**Canonical visits** (first 200)"))
        st.dataframe(cohort.visits.head(200), hide_index=True, height=250, placeholder="",
                     column_config=_headers(cohort.visits, units))  # fmt: skip
        mapping = remember_choices(cohort.mapping, get_settings())
        if mapping:
            _mapping_download(mapping, cohort.source.name or "cohort", "dl_loaded_mapping")
