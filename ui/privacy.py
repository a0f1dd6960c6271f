"""The Data page's privacy block: direct identifiers found, drop them, study codes for IDs.

What was found is named by column and kind, never by value (``core.ingest.identifiers``). Dropping
the columns and replacing the IDs are choices of the active :class:`~ui.state.Source`, so
every page, cache and download afterwards works on the cleaned cohort; the study-code key
stays in this session's memory and leaves it only as a download marked patient-level.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st

from core.model.i18n import gettext as _
from ui import session
from ui.state import Key, Source, get_findings, get_study_key

STUDY_KEY_FILE = "patient-level_study-code-key.csv"


def identifiers(source: Source | None) -> None:
    """Warn about direct identifiers in the loaded file; offer to drop them (one click) and
    to replace patient IDs by study codes; offer the study-code key as a download."""
    if source is None:
        return
    findings = get_findings()
    open_ = [
        f
        for f in findings
        if f.column not in source.drop_columns
        and not (f.column == "patient_id" and source.pseudonymise)
    ]
    st.markdown("**" + _("Patient identifiers") + "**")
    if not open_ and not source.cleaned:
        st.caption(
            _(
                "No direct identifier found (names, resident registration numbers, phone "
                "numbers, e-mail, full birth dates, record numbers as IDs)."
            )
        )
    if open_:
        lines = "\n".join(f"- {line}" for line in describe(open_))
        st.warning(
            _("This file carries direct identifiers. The analysis does not need them.")
            + "\n\n"
            + lines,
            icon=":material/badge:",
        )
    droppable = list(dict.fromkeys(f.column for f in open_ if f.column != "patient_id"))
    if droppable and st.button(
        _("Drop identifier columns"),
        key=Key.DROP_IDENTIFIERS,
        icon=":material/delete_sweep:",
        help=_(
            "Remove {columns} from the cohort for this session: every page and download then "
            "goes without them."
        ).format(columns=", ".join(f"'{c}'" for c in droppable)),
    ):
        dropped = tuple(dict.fromkeys([*source.drop_columns, *droppable]))
        _apply(replace(source, drop_columns=dropped))
    if source.drop_columns:
        names = ", ".join(f"'{c}'" for c in source.drop_columns)
        st.success(
            _("Dropped for this session: {names}.").format(names=names),
            icon=":material/check_circle:",
        )
    _pseudonymise(source, any(f.column == "patient_id" for f in open_))


def describe(findings: list) -> list[str]:
    """One sentence per column naming every kind found in it, never a value."""
    from core.ingest.identifiers import KINDS

    by_column: dict[str, list] = {}
    for f in findings:
        by_column.setdefault(f.column, []).append(f)
    lines = []
    for column, found in by_column.items():
        kinds = _(" and ").join(_(KINDS.get(f.kind, f.kind)) for f in found)
        n = max(f.example_count for f in found)
        if column == "patient_id":
            line = _("The patient IDs look like {kinds} ({n} values).")
        else:
            line = _("Column '{column}' holds {kinds} ({n} values).")
        lines.append(line.format(column=column, kinds=kinds, n=n))
    return lines


def _pseudonymise(source: Source, ids_flagged: bool) -> None:
    want = st.checkbox(
        _("Replace patient IDs by study codes"),
        value=source.pseudonymise,
        key=Key.PSEUDONYMISE,
        help=_(
            "Patients become S001, S002, … on every page and in every download. The key "
            "linking codes to IDs stays in this session's memory; download it below if needed."
        ),
    )
    if ids_flagged and not want:
        st.caption(_("The patient IDs themselves look like identifiers: replace them by codes."))
    if want != source.pseudonymise:
        _apply(replace(source, pseudonymise=want))
    key = get_study_key()
    if source.pseudonymise and key:
        from core.report.export import table_to_csv_bytes

        frame = pd.DataFrame({"study_code": list(key), "patient_id": list(key.values())})
        st.download_button(
            _("Study-code key — patient-level (CSV)"),
            data=lambda: table_to_csv_bytes(frame),
            file_name=STUDY_KEY_FILE,
            mime="text/csv",
            on_click="ignore",
            icon=":material/key:",
            key="dl_study_key",
        )
        st.caption(
            _(
                "Patient-level: the key links each study code to the patient's ID. Keep it "
                "with the patient records; it is never part of the report."
            )
        )


def _apply(source: Source) -> None:
    with st.spinner(_("Applying…")):
        cohort = session.activate(source)
    if cohort is not None:
        st.rerun()
