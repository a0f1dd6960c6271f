"""Words and orders shared by every layer, each defined once: the total row's label, how
groups are ordered and which is the reference, what an event is called, and how each test
is described in the methods text (with the R call it agrees with)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from core.model.i18n import N_
from core.model.i18n import gettext as _

ALL = "All"  # the row or column over every group
DEFAULT_REFERENCE = "refractory"  # the seed study's comparison: relapse vs refractory


def default_reference(groups: Iterable[str], order: Sequence[str] = ()) -> str | None:
    """The reference group when the user names none: the first label of ``order`` (the
    mapping's order of ``values.group``) that is among ``groups``; without an order,
    ``refractory`` if present, else the first group in the order given."""
    groups = [str(g) for g in groups]
    for label in order:
        if str(label) in groups:
            return str(label)
    if DEFAULT_REFERENCE in groups:
        return DEFAULT_REFERENCE
    return groups[0] if groups else None


def group_order(
    groups: Iterable[object],
    reference: str | None = None,
    *,
    sort: bool = False,
    order: Sequence[str] = (),
) -> list[str]:
    """Distinct groups as text, ``All`` last, missing values dropped: in the display
    ``order`` (the mapping's order of ``values.group``; groups it does not name follow,
    alphabetically) when one is given, else in order of first appearance (or sorted with
    ``sort``); the ``reference`` first when present."""
    values = groups if isinstance(groups, (pd.Series, pd.Index, np.ndarray)) else list(groups)
    distinct = pd.unique(np.asarray(values, dtype=object).ravel())
    seen = list(dict.fromkeys(str(g) for g in distinct if not pd.isna(g)))
    body = [g for g in seen if g != ALL]
    if order:
        rank = {str(label): i for i, label in enumerate(dict.fromkeys(map(str, order)))}
        body.sort(key=lambda g: (rank.get(g, len(rank)), g))
    elif sort:
        body.sort()
    if reference in body:
        body.remove(reference)
        body.insert(0, reference)
    return body + ([ALL] if ALL in seen else [])


def groups_with_reference(
    groups: Iterable[object], reference: str | None, order: Sequence[str] = ()
) -> tuple[list[str], str | None]:
    """Groups present in display order (``order``, else sorted) with the reference first:
    ``reference`` when present, else :func:`default_reference`; returns (groups, reference)."""
    labels = group_order(groups, sort=True, order=order)
    ref = reference if reference in labels else default_reference(labels, order)
    return group_order(labels, ref, order=order), ref


# Time-to-event events: (short, long) names.
EVENT_SHORT: dict[str, str] = {"cr-or-pr": N_("CR or PR"), "cr": N_("CR")}
EVENT_LONG: dict[str, str] = {"cr-or-pr": N_("response (CR or PR)"), "cr": N_("complete response")}


def event_words(event: str, event_name: str | None = None) -> str:
    """What the time-to-event event is called in titles, labels and the methods text: the
    user's ``event_name`` ("death") when set, else the response event's long name."""
    return event_name or EVENT_LONG.get(event, event)


def event_title(text: str, event_name: str | None) -> str:
    """A title or label with "time to response" naming the user's event instead."""
    if not event_name:
        return text
    return text.replace("Time to response", f"Time to {event_name}").replace(
        "time to response", f"time to {event_name}"
    )


# Notes that remove patients from an analysis: the IDs are listed up to this many patients.
IDS_SHOWN = 20


def left_out_note(ids: Iterable[object], reason: str, what: str = "") -> str:
    """"n patients left out[ of what]: reason (IDs: …)." — the one wording of a note that
    removes patients; the IDs (sorted) only when there are at most ``IDS_SHOWN``."""
    ids = sorted(dict.fromkeys(str(i) for i in ids))
    n = len(ids)
    if what:
        text = (_("{n} patient left out of {what}: {reason}") if n == 1
                else _("{n} patients left out of {what}: {reason}"))  # fmt: skip
    else:
        text = _("{n} patient left out: {reason}") if n == 1 else _("{n} patients left out: {reason}")
    text = text.format(n=n, what=what, reason=reason)
    if 0 < n <= IDS_SHOWN:
        text += _(" (IDs: {ids})").format(ids=", ".join(ids))
    return text + "."


def is_left_out_note(note: str) -> bool:
    """Whether ``note`` removes patients from an analysis (worded by :func:`left_out_note`)."""
    return _LEFT_OUT.search(note) is not None


def without_ids(note: str) -> str:
    """The note without its list of patient IDs (outputs that leave the hospital)."""
    return _IDS.sub("", note)

CI_TEXT: dict[str, str] = {
    "clopper-pearson": N_("Clopper–Pearson exact intervals (R binom.test)"),
    "wilson": N_("Wilson score intervals without continuity correction (R prop.test(correct = FALSE))"),
}

TEST_TEXT: dict[str, str] = {
    "fisher_exact": N_("Fisher's exact test (R fisher.test; exact for 2×2 tables at any size and, "
    "for more groups, by full enumeration up to 1,000 patients)"),
    "chi_square": N_("Pearson's chi-square test without continuity correction "
    "(R chisq.test(correct = FALSE))"),
    "newcombe": N_("Newcombe's hybrid score interval (method 10) from the two Wilson intervals "
    "(R prop.test(x, n, correct = FALSE)$conf.int)"),
    "wilcoxon_signed_rank": N_("Wilcoxon signed-rank test (R wilcox.test(paired = TRUE, "
    "digits.rank = 7): differences rounded to 7 significant digits, zeros dropped, exact only "
    "with fewer than 50 non-zero differences, no ties and no zero dropped, otherwise the normal "
    "approximation with continuity and tie correction)"),
    "paired_t": N_("paired t-test with the 95% CI of the mean change (R t.test(paired = TRUE))"),
    "friedman": N_("Friedman test on complete cases (R friedman.test) with pairwise Wilcoxon "
    "signed-rank tests and Holm adjustment (R pairwise.wilcox.test(paired = TRUE, "
    'p.adjust.method = "holm", digits.rank = 7))'),
    "wilcoxon_rank_sum": N_("Wilcoxon rank-sum (Mann–Whitney) test (R wilcox.test(a, b, "
    "digits.rank = 7), same rounding and exactness rules)"),
    "kruskal_wallis": N_("Kruskal–Wallis test (R kruskal.test)"),
    "welch": N_("Welch's t-test / one-way ANOVA without equal variances "
    "(R oneway.test(var.equal = FALSE))"),
    "mcnemar": N_("McNemar's test with continuity correction when there are 25 or more discordant "
    "pairs (R mcnemar.test(correct = TRUE)), otherwise the exact binomial test on the "
    "discordant pairs (R binom.test(b, b + c))"),
    "kaplan_meier": N_("Kaplan–Meier estimator, cumulative incidence = 1 − S with log-log "
    'confidence intervals; median and its CI as R survfit(conf.type = "log-log") '
    "(summary(fit)$table, midpoint rule included)"),
    "log-rank": N_("log-rank test (R survdiff)"),
    "cox": N_('Cox proportional-hazards model, Efron ties, Wald p (R coxph(ties = "efron"))'),
}

# The missing-landmark rules (Settings.missing) in a sentence.
MISSING_WORDS: dict[str, str] = {
    "complete-case": N_("complete-case"), "non-responder": N_("non-responder imputation"),
    "locf": N_("last observation carried forward"),
}  # fmt: skip


def test_text(key: str) -> str:

    """:data:`TEST_TEXT` of ``key`` in the current language."""
    return _(TEST_TEXT[key])


TEST_SHORT: dict[str, str] = {

    "fisher_exact": N_("Fisher's exact test"),
    "chi_square": N_("chi-square test"),
    "wilcoxon_rank_sum": N_("Wilcoxon rank-sum test"),
    "kruskal_wallis": N_("Kruskal–Wallis test"),
    "welch_t": N_("Welch's t-test"),
    "welch_anova": N_("Welch's one-way ANOVA"),
    "mcnemar": N_("McNemar's test"),
    "exact binomial": N_("exact binomial test"),
    "log-rank": N_("log-rank test"),
}


# The English and the Korean wording of :func:`left_out_note` (the catalogue's msgstr).
_IDS = re.compile(r" \(IDs?: .*\)(?=\.$)")
_LEFT_OUT = re.compile(r"\b\d+ patients? left out\b|\d+명 제외")
