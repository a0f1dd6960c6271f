"""Data page: the order of the groups (display order; the first is the reference group),
saved in the mapping's ``values.group`` order (data-contract §3) and applied by reloading."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from core.model.i18n import gettext as _
from core.model.schema import Cohort
from ui import session
from ui.state import Key, Source, get_source


def picked_order(groups: list[str], picked: list[str]) -> list[str]:
    """The groups picked, in the order picked, then the others in their current order."""
    first = [g for g in picked if g in groups]
    return first + [g for g in groups if g not in first]


def carried(mapping: dict | None, active: Source | None) -> dict | None:
    """``mapping`` with the group order set on the loaded cohort (``active``, the same
    file), so the mapping step does not reload the file in its old order; a mapping whose
    group recodes differ (a new mapping file) is left as it is."""
    from core.ingest.mapping import with_group_order

    recode = ((active.mapping or {}).get("values") or {}).get("group") if active else None
    own = ((mapping or {}).get("values") or {}).get("group") or {}
    identity = {k: v for k, v in (recode or {}).items() if k != v}
    if not recode or {k: v for k, v in own.items() if k != v} != identity:
        return mapping
    return with_group_order(mapping, list(dict.fromkeys(str(v) for v in recode.values())))


def editor(cohort: Cohort) -> None:
    """The groups picked in order; "Apply order" reloads the file with the order in its mapping
    (the mapping download then carries it)."""
    from core.ingest.mapping import with_group_order

    source = get_source()
    groups = cohort.groups
    if source is None or len(groups) < 2:
        return
    with st.expander(_("Group order"), expanded=False):
        st.caption(
            _(
                "The order of the groups in every table, chart and file. The first group is "
                "the reference for hazard ratios and differences unless another is picked in "
                "the sidebar. The order is saved in the mapping file."
            )
        )
        picked = st.multiselect(
            _("Groups in display order"),
            groups,
            default=groups,
            key=f"{Key.GROUP_ORDER_PICK}_{source.sha256[:16]}",
            help=_("Clear and pick the groups in the order wanted; groups left out follow."),
        )
        order = picked_order(groups, picked)
        st.caption(_("Order: {groups}").format(groups=" → ".join(order)))
        if st.button(
            _("Apply order"),
            key=Key.GROUP_ORDER_APPLY,
            disabled=order == groups,
            icon=":material/swap_vert:",
        ):
            mapping = with_group_order(source.mapping, order)
            if session.activate(replace(source, mapping=mapping)) is not None:
                st.rerun()
