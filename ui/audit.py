"""Response audit on screen: pick a patient, see every call of every rule set.

``show_response_audit(results_table)`` takes the ``response_audit`` table (or its
:class:`Result`) of ``core.analyses.response_audit`` and draws a patient picker, one line
per rule set and landmark (visit used, response, why), and per rule set the conditions
with their input values. The pure helpers :func:`call_summary` and :func:`condition_view`
shape the table; this module only lays it out (the page that calls it is the lead's).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.analyses.response_audit import INPUT_COLUMNS
from core.model.i18n import N_
from core.model.i18n import gettext as _
from core.model.results import Result
from core.report.export.wording import criteria_name

# English msgids (N_): translated when shown.
STATE_MARKS = {"true": N_("✓ met"), "false": N_("✗ not met"), "missing": N_("? missing"),
               "not assessed": N_("– not assessed")}
INPUT_LABELS = {
    "upcr_0": N_("P0 (UPCR, baseline)"), "upcr_t": N_("Pt (UPCR)"),
    "egfr_0": N_("G0 (eGFR, baseline)"), "egfr_t": N_("Gt (eGFR)"),
    "prior_egfr": N_("pre-flare eGFR"), "egfr_ref": N_("Gref (reference eGFR)"),
    "creatinine_0": N_("C0 (creatinine, baseline)"), "creatinine_t": N_("Ct (creatinine)"),
    "albumin_t": N_("albumin"), "steroid_mg_t": N_("prednisolone mg/day"),
    "urine_rbc_t": N_("urine RBC"), "treatment_failure_t": N_("treatment failure so far"),
}


def _landmark(x: float) -> str:
    return _("visit") if pd.isna(x) else _("month {month}").format(month=f"{x:g}")


def call_summary(rows: pd.DataFrame) -> pd.DataFrame:
    """One line per rule set × landmark of one patient's audit rows: rule set, landmark,
    visit month used, baseline month, response ('not evaluable' when None), why, and the
    conditions not met or missing."""
    out = []
    keys = ["criteria", "landmark", "visit_month"]
    for (crit, mark, visit), g in rows.groupby(keys, sort=False, dropna=False):
        first = g.iloc[0]
        off = g[g["state"].isin(["false", "missing"])]
        out.append({
            _("rule set"): criteria_name(str(crit)),
            _("landmark"): _landmark(mark),
            _("visit used (month)"): visit,
            _("baseline (month)"): first["baseline_month"],
            _("response"): first["response"] if pd.notna(first["response"]) else _("not evaluable"),
            _("why not evaluable"): first["reason"] or "",
            _("conditions not met or missing"): "; ".join(
                f"{p} {r} ({s})" if p else f"{r} ({s})"
                for p, r, s in zip(off["part"], off["rule"], off["state"], strict=True)
            ),
            _("on a boundary"): bool(first["on_boundary"]),
        })
    return pd.DataFrame(out)


def condition_view(rows: pd.DataFrame, criteria: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """For one rule set: (conditions × landmarks with their state, input values × landmarks)."""
    r = rows[rows["criteria"] == criteria].copy()
    r["landmark"] = [_landmark(m) for m in r["landmark"]]
    r["condition"] = [f"{p}: {t}" if p else t for p, t in zip(r["part"], r["rule"], strict=True)]
    if "visit_month" in r and r["landmark"].eq(_("visit")).any():
        r["landmark"] = [_landmark(m) for m in r["visit_month"]]
    states = r.pivot_table(index="condition", columns="landmark", values="state",
                           aggfunc="first", sort=False).replace({k: _(v) for k, v in STATE_MARKS.items()})
    first = r.drop_duplicates("landmark").set_index("landmark")
    used = [c for c in INPUT_COLUMNS if c in first and first[c].notna().any()]
    inputs = first[used].T.rename(index={k: _(v) for k, v in INPUT_LABELS.items()})
    return states, inputs


def show_response_audit(results_table: pd.DataFrame | Result, *, key: str = "audit") -> None:
    """Patient picker and the calls of every rule set for that patient (patient-level)."""
    table = results_table.table if isinstance(results_table, Result) else results_table
    if table is None or table.empty:
        st.info(_("Response audit: nothing to show for this selection."))
        return
    patients = list(dict.fromkeys(table["patient_id"].astype(str)))
    pid = st.selectbox(_("Patient"), patients, key=f"{key}_patient")
    rows = table[table["patient_id"].astype(str) == pid]
    criteria = list(dict.fromkeys(rows["criteria"]))
    chosen = st.multiselect(_("Rule sets"), criteria, default=criteria,
                            format_func=criteria_name, key=f"{key}_criteria")
    rows = rows[rows["criteria"].isin(chosen)]
    if rows.empty:
        st.info(_("Pick at least one rule set."))
        return
    st.dataframe(call_summary(rows), hide_index=True, placeholder="")
    for crit in chosen:
        with st.expander(_("{rule_set}: conditions and values").format(rule_set=criteria_name(crit))):
            states, inputs = condition_view(rows, crit)
            st.dataframe(states, placeholder="")
            if not inputs.empty:
                st.dataframe(inputs, placeholder="")
    st.caption(":material/badge: " + _("Patient-level: these calls identify the patient. A value "
                                       "exactly on a ≤/≥ threshold meets it; not evaluable is "
                                       "not a non-response."))  # fmt: skip
