"""The global sidebar: dataset badge, filters, analysis settings, and the shareable URL.

Class, group, sex, age range and the settings live in the URL through Streamlit's
``bind="query-params"`` (the widget key is the parameter name: ``?class=IV&class=IV%2BV``),
so a shared link restores the view once the same file is loaded, and page switches keep it.
Values left at their default stay out of the URL.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.model.filters import filter_columns
from core.model.i18n import N_, language
from core.model.i18n import gettext as _
from core.model.schema import (
    ISN_CLASSES,
    VISIT_LABS,
    Cohort,
    label_of,
    measure_units,
)
from core.model.settings import (
    CI_METHODS,
    CRITERIA,
    EVENT_NAME_MAX,
    EVENTS,
    FLARE_CONFIRMATIONS,
    MISSING_STRATEGIES,
    ZPH_TRANSFORMS,
    CustomCriteria,
    event_name_option,
    parse_landmark,
)
from core.model.vocabulary import EVENT_SHORT, default_reference
from core.report.export.headers import VALUE_WORDS
from ui import session
from ui.state import Key, age_bounds, get_cohort, get_source

# Option labels are English msgids (N_), translated where shown (:func:`_words`); the criteria
# and event names are the tables' own vocabulary (core.report.export.headers.VALUE_WORDS,
# core.model.vocabulary.EVENT_SHORT), so the sidebar and the tables say the same words.
CRITERIA_LABELS = VALUE_WORDS["criteria"]
MISSING_LABELS = {
    "complete-case": N_("Complete case (evaluable only)"),
    "non-responder": N_("Missing counts as non-responder"),
    "locf": N_("Last response carried forward"),
}
EVENT_LABELS = EVENT_SHORT  # one vocabulary: the widgets name events as the tables do
CI_LABELS = {"clopper-pearson": N_("Clopper-Pearson (exact)"), "wilson": N_("Wilson score")}
LANDMARK_CHOICES = (3, 6, 9, 12, 18, 24, 36, 48, 60)
FLARE_LABELS = {"none": N_("Not confirmed (first visit over the threshold)"),
                "next-visit": N_("Confirmed at the next visit")}  # fmt: skip
ZPH_LABELS = {
    "km": N_("1 − Kaplan–Meier (R default)"),
    "identity": N_("Time (months)"),
    "log": N_("Log of time"),
    "rank": N_("Rank of time"),
}
# The widgets bound to the URL whose shown labels are translated: Streamlit writes a bound
# selectbox's *label* into the URL, so a language switch writes them again in the new language
# (ui.language), and a link always carries labels of the language it also names.
RELABEL_ON_SWITCH = (Key.CRITERIA, Key.MISSING, Key.EVENT, Key.CI, Key.SEXES, Key.ZPH_TRANSFORM,
                     Key.FLARE_CONFIRMATION, Key.MIXED_MEASURES)  # fmt: skip
KIDNEY_LABELS = {"egfr": N_("eGFR"), "creatinine": N_("Creatinine")}
SEX_WORDS = {"F": N_("Female"), "M": N_("Male")}


def _words(labels: dict[str, str]):
    """A widget's ``format_func``: a value's label in ``labels`` (the value itself when it has
    none) in the language of this run, bound now: Streamlit may call it later, outside the
    run (AppTest does), where the session's language is not set."""
    lang = language()
    return lambda value: _(labels[value], lang) if value in labels else str(value)

BIND = "query-params"  # widget keys double as URL parameter names (ui.state.Key)


def _keep_landmarks() -> None:
    """Keep the landmarks typed that can be read (months, 20w, 180d), as text."""
    ss = st.session_state
    if Key.LANDMARKS not in ss:
        return
    keep = []
    for t in ss[Key.LANDMARKS] or []:
        try:
            months, _name = parse_landmark(t)
        except ValueError:
            continue
        if months > 0:
            keep.append(f"{t:g}" if isinstance(t, int | float) else str(t).strip())
    if keep != ss[Key.LANDMARKS]:
        ss[Key.LANDMARKS] = keep


def _keep_valid(key: str, options: list, multi: bool = False) -> None:
    """Drop a remembered value that the (new) cohort does not offer, before drawing."""
    ss = st.session_state
    if key not in ss:
        return
    if multi:
        valid = [v for v in (ss[key] or []) if v in options]
        if valid != ss[key]:
            ss[key] = valid
    elif ss[key] not in options:
        del ss[key]


def render() -> None:
    """Draw the sidebar for the loaded cohort (or a hint when none is loaded)."""
    cohort = get_cohort()
    with st.sidebar:
        if cohort is None:
            st.caption(_("No cohort loaded. Start on the Data page."))
            return
        session.seed_options(cohort)
        _badge(cohort)
        _filters(cohort)
        _settings(cohort)
        _privacy()


def _badge(cohort: Cohort) -> None:
    source = get_source()
    name = (source.name if source else cohort.source.name) or _("cohort")
    demo = " :blue-badge[{}]".format(_("Demo")) if source is not None and source.demo else ""
    n_errors = len(cohort.report.errors)
    status = " :red-badge[{}]".format(_("{n} errors").format(n=n_errors)) if n_errors else ""
    counts = _("{patients} patients · {visits} visits").format(
        patients=f"{len(cohort.patients):,}", visits=f"{len(cohort.visits):,}")
    st.markdown(f"**{name}**{demo}{status}  \n{counts}")  # fmt: skip


def _present(series: pd.Series, order: tuple[str, ...] = ()) -> list[str]:
    values = series.dropna().astype(str).unique().tolist()
    ordered = [v for v in order if v in values]
    return ordered + sorted(v for v in values if v not in ordered)


def _multi(label: str, options: list, key: str, placeholder: str, bind: bool = True,
           words: dict[str, str] | None = None) -> None:
    _keep_valid(key, options, multi=True)
    fmt = _words(words) if words else str
    st.multiselect(label, options, key=key, placeholder=placeholder, format_func=fmt,
                   bind=BIND if bind else None)  # fmt: skip


def _filters(cohort: Cohort) -> None:
    p = cohort.patients
    st.subheader(_("Filters"), divider="gray")
    if "isn_class" in p and p["isn_class"].notna().any():
        _multi(_("Nephritis class"), _present(p["isn_class"], ISN_CLASSES), Key.CLASSES,
               _("All classes"))  # fmt: skip
    if "group" in p and p["group"].notna().any():
        _multi(_("Group"), _present(p["group"]), Key.GROUPS, _("All groups"))
    if "sex" in p and p["sex"].notna().any():
        _multi(_("Sex"), _present(p["sex"], ("F", "M")), Key.SEXES, _("Both"), words=SEX_WORDS)
    if "age" in p and p["age"].notna().any():
        lo, hi = age_bounds(cohort)
        if hi > lo:
            _fit_age(lo, hi)
            st.slider(
                _("Age (years)"), lo, hi, (lo, hi), step=1.0, format="%d", key=Key.AGE, bind=BIND
            )
    for col in filter_columns(p):
        _multi(col, _present(p[col]), Key.EXTRA_PREFIX + col, _("All"), bind=False)


def _fit_age(lo: float, hi: float) -> None:
    """Keep the age range sensible when another cohort is loaded: a range that spanned the
    old cohort's ages spans the new one's; a narrower range is kept, clipped to the new ages."""
    ss = st.session_state
    value, was = ss.get(Key.AGE), ss.get(Key.AGE_BOUNDS)
    ss[Key.AGE_BOUNDS] = (lo, hi)
    if value is None:
        return
    a, b = float(value[0]), float(value[1])
    if was is not None and tuple(was) != (lo, hi) and (a, b) == tuple(was):
        a, b = lo, hi
    a, b = min(max(a, lo), hi), min(max(b, lo), hi)
    if (a, b) != (float(value[0]), float(value[1])):
        ss[Key.AGE] = (a, min(max(a, b), hi))


def _select(label: str, options: list, key: str, default, labels: dict | None = None, **kw):
    _keep_valid(key, options)
    index = options.index(default) if default in options else 0
    fmt = _words(labels) if labels else str
    return st.selectbox(label, options, index=index, key=key, format_func=fmt, bind=BIND, **kw)


def _settings(cohort: Cohort) -> None:
    st.subheader(_("Analysis settings"), divider="gray")
    criteria = [c for c in CRITERIA if c != "recorded" or cohort.has_recorded_response]
    default = "recorded" if cohort.has_recorded_response else "kdigo2024"
    if _select(_("Response criteria"), criteria, Key.CRITERIA, default, CRITERIA_LABELS) == "custom":
        _custom_criteria()
    _keep_landmarks()
    st.multiselect(_("Landmark months"), [str(m) for m in LANDMARK_CHOICES], ["6", "12"],
                   key=Key.LANDMARKS, bind=BIND, accept_new_options=True,
                   placeholder=_("Choose or type a month"),
                   help=_("Months after the start of therapy at which response is assessed; "
                          "type weeks or days as 20w or 180d (converted exactly: weeks × 12 / 52, "
                          "days / 30.4375)."))  # fmt: skip
    chosen = st.session_state.get(Key.LANDMARKS)
    if not chosen:
        st.caption(_("No landmark chosen: months 6 and 12 are used."))
    elif any(not str(t).strip().replace(".", "", 1).isdigit() for t in chosen):
        st.caption(_("Landmarks: {list}").format(list=", ".join(
            _("{name} = month {month}").format(name=name, month=f"{m:.4g}") for m, name in
            (parse_landmark(t) for t in sorted(chosen, key=lambda t: parse_landmark(t)[0])))))
    windows = [x / 2 for x in range(7)]
    st.select_slider(_("Landmark window (± months)"), windows, 1.0, key=Key.WINDOW, bind=BIND)
    _select(
        _("Missing landmark"), list(MISSING_STRATEGIES), Key.MISSING, "complete-case", MISSING_LABELS
    )
    st.radio(_("Time-to-response event"), EVENTS, key=Key.EVENT,
             format_func=_words(EVENT_LABELS),
             horizontal=True, bind=BIND)  # fmt: skip
    _select(_("Interval for a proportion"), list(CI_METHODS), Key.CI, "clopper-pearson", CI_LABELS)
    groups = cohort.groups
    if len(groups) >= 2:
        ref = default_reference(groups, cohort.group_levels)
        # a reference left at the previous default follows a new group order
        last = st.session_state.get(Key.REFERENCE_DEFAULT)
        if last not in (None, ref) and st.session_state.get(Key.REFERENCE) == last:
            st.session_state[Key.REFERENCE] = ref
        st.session_state[Key.REFERENCE_DEFAULT] = ref
        _select(_("Reference group"), groups, Key.REFERENCE, ref,
                help=_("The comparator for differences in rates and hazard ratios."))  # fmt: skip
    st.checkbox(_("Exclude patients already in CR at baseline"), key=Key.EXCLUDE_BASELINE_CR)
    if st.toggle(_("Small-cell suppression (for sharing)"), key=Key.SUPPRESS, bind=BIND,
                 help=_("Blank counts below the threshold in every table, chart and file, with "
                        "the cells they could be recovered from; patient-level tables and "
                        "curves are not released.")):  # fmt: skip
        st.number_input(_("Suppress counts below"), 2, 20, 5, 1, key=Key.SUPPRESS_AT, bind=BIND)
    _more_settings(cohort)
    _dsdna_settings(cohort)
    _long_term_settings()


def mixed_choices(cohort: Cohort) -> list[str]:
    """Labs the mixed model can take: the visit labs with a value (eGFR also from creatinine)."""
    v = cohort.visits
    have = [m for m in VISIT_LABS if m in v and v[m].notna().any()]
    if "egfr" not in have and "creatinine" in have:
        have.insert(have.index("creatinine") + 1, "egfr")
    return have + [m for m in measure_units(cohort) if m in v and v[m].notna().any()]


def _more_settings(cohort: Cohort) -> None:
    """Time-to-response and lab-trajectory settings (Time to response and Labs pages). Drawn
    in the sidebar so they keep their value, and their URL parameter, on every page."""
    with st.expander(_(MORE_SETTINGS)):
        src = get_source()
        if Key.EVENT_NAME not in st.session_state and Key.EVENT_NAME not in st.query_params:
            # the mapping file's options.event_name, until the user types another
            st.session_state[Key.EVENT_NAME] = event_name_option(src.mapping if src else None) or ""
        st.text_input(
            _("Event of the file's own times"), key=Key.EVENT_NAME, bind=BIND,
            max_chars=EVENT_NAME_MAX, placeholder=_("response"),
            help=_("What the file's time-to-event columns (ttr_months, ttr_event) record, e.g. "
                   "death or renal flare: titles, axis labels and the methods text name it. "
                   "Empty: response."),
        )  # fmt: skip
        st.number_input(
            _("Restricted mean up to τ (months)"), min_value=0.5, max_value=600.0, value=None,
            step=1.0, key=Key.RMST_TAU, bind=BIND,
            placeholder=_("largest time all groups reach"),
            help=_("Horizon of the restricted mean time without response; empty: the largest "
                   "time every group reaches."),
        )  # fmt: skip
        _keep_valid(Key.MILESTONES, list(LANDMARK_CHOICES), multi=True)
        st.multiselect(_("Milestone months"), list(LANDMARK_CHOICES), key=Key.MILESTONES,
                       placeholder=_("The landmark months"), bind=BIND,
                       help=_("Months at which the cumulative incidence of response is tabled."))  # fmt: skip
        _select(_("Proportional-hazards time scale"), list(ZPH_TRANSFORMS), Key.ZPH_TRANSFORM,
                "km", ZPH_LABELS, help=_("The transform g(t) of R cox.zph."))  # fmt: skip
        choices = mixed_choices(cohort)
        if choices:
            _keep_valid(Key.MIXED_MEASURES, choices, multi=True)
            st.multiselect(_("Labs modelled over all visits (mixed model)"), choices,
                           ["egfr"] if "egfr" in choices else choices[:1], key=Key.MIXED_MEASURES,
                           format_func=_words({m: label_of(m, measure_units(cohort))
                                               for m in choices}),
                           bind=BIND)  # fmt: skip
            if not st.session_state.get(Key.MIXED_MEASURES):
                st.caption(_("No lab chosen: eGFR is modelled."))


def _dsdna_settings(cohort: Cohort) -> None:
    """Anti-dsDNA positivity from the titre where the file gives none (clinical-rules §4)."""
    v = cohort.visits
    if "anti_dsdna" not in v or v["anti_dsdna"].isna().all():
        return
    with st.expander(_("Anti-dsDNA positivity"), expanded=bool(st.session_state.get(Key.DSDNA_CUTOFF))):
        st.number_input(
            _("Positive at or above (titre)"), min_value=0.001, max_value=100000.0, value=None,
            step=1.0, key=Key.DSDNA_CUTOFF, bind=BIND, placeholder=_("not derived"),
            help=_("Derives positivity from the titre where the file gives none; a recorded "
                   "positivity is never overridden. Empty: positivity as recorded only."),
        )  # fmt: skip
        units = ["IU/mL", "U/mL"]
        given = ((cohort.mapping or {}).get("units") or {}).get("anti_dsdna")
        _select(_("Unit of the cutoff"), units, Key.DSDNA_CUTOFF_UNIT,
                given if given in units else "IU/mL")  # fmt: skip


def _long_term_settings() -> None:
    """Rules of the response and long-term outcomes (Response and Long-term pages), drawn in
    the sidebar so they keep their value, and their URL parameter, on every page."""
    with st.expander(_("Response durability and long-term outcomes")):
        st.number_input(_("Confirmed response: next visit at least (weeks) later"), 0.0, 52.0,
                        4.0, 1.0, key=Key.CONFIRM_WEEKS, bind=BIND)  # fmt: skip
        st.checkbox(_("Response audit: every visit, not only the landmarks"),
                    key=Key.AUDIT_EVERY_VISIT, bind=BIND)  # fmt: skip
        _select(_("Renal flare confirmation"), list(FLARE_CONFIRMATIONS), Key.FLARE_CONFIRMATION,
                "none", FLARE_LABELS)  # fmt: skip
        st.number_input(_("Custom flare: UPCR at least × post-response nadir"), 1.1, 20.0, 2.0,
                        0.5, key=Key.FLARE_FOLD, bind=BIND)  # fmt: skip
        st.number_input(_("Custom flare: and UPCR at least (g/g)"), 0.0, 10.0, 1.0, 0.1,
                        key=Key.FLARE_FLOOR, bind=BIND)  # fmt: skip
        st.number_input(_("Custom flare: or creatinine rise at least (%; 0 = not used)"), 0.0,
                        500.0, 0.0, 5.0, key=Key.FLARE_CREATININE, bind=BIND)  # fmt: skip
        st.checkbox(_("Kidney outcomes: ignore an unconfirmed decline at the last visit"),
                    key=Key.DECLINE_AT_LAST, bind=BIND)  # fmt: skip


def _privacy() -> None:
    # Drawn on every page (a widget drawn on one page only would forget its value).
    st.toggle(_("Show patient IDs in charts"), key=Key.SHOW_IDS,
              help=_("Name the patient on hover in per-patient charts (before/after lines, "
                     "follow-up per patient), on screen only: chart downloads and the report "
                     "never name patients."))  # fmt: skip
    st.checkbox(_(DOWNLOAD_CONTEXT_LABEL), key=Key.DOWNLOAD_CONTEXT, help=_(DOWNLOAD_CONTEXT_HELP))


MORE_SETTINGS = N_("Time to response and lab trajectories")  # quoted by captions on the pages
DOWNLOAD_CONTEXT_LABEL = N_("Downloads say where they came from")
DOWNLOAD_CONTEXT_HELP = N_(
    "Adds the file name, filters, settings and n as a caption line under PNG/SVG figures and "
    "as a first line starting with # in CSV files (read with comment=\"#\"). Off: the CSV is "
    "the plain table, for scripts. Excel files always carry this header block."
)


def _custom_criteria() -> None:
    d = CustomCriteria()
    k = Key.CUSTOM_PREFIX
    with st.expander(_("Custom thresholds"), expanded=True):
        st.number_input(
            _("CR: UPCR below (g/g)"), 0.0, 10.0, d.cr_upcr_max, 0.1, key=k + "cr_upcr_max"
        )
        st.number_input(
            _("PR: UPCR at most × baseline"), 0.0, 1.0, d.pr_ratio, 0.05, key=k + "pr_ratio"
        )
        st.number_input(
            _("PR: UPCR below (g/g)"), 0.0, 20.0, d.pr_upcr_max, 0.5, key=k + "pr_upcr_max"
        )
        kidney = st.radio(
            _("Kidney function"),
            ["egfr", "creatinine"],
            key=k + "kidney",
            horizontal=True,
            format_func=_words(KIDNEY_LABELS),
        )
        if kidney == "egfr":
            st.number_input(
                _("eGFR at least × baseline"), 0.0, 2.0, d.egfr_ratio, 0.05, key=k + "egfr_ratio"
            )
        else:
            st.number_input(_("Creatinine at most × baseline"), 0.5, 3.0, d.creatinine_ratio, 0.05,
                            key=k + "creatinine_ratio")  # fmt: skip
