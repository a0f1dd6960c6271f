"""One look for every chart: Okabe–Ito group colours, response-state colours, a journal layout.

Colours are the Okabe–Ito palette (Okabe & Ito 2008), distinguishable with every common
colour-vision deficiency. A group keeps its colour in every chart: ``refractory`` and
``relapse`` are fixed, ``All`` is grey, other labels take the remaining colours in
alphabetical order. ``All`` is a mid grey and marks drawn on the background in black are
lightened on a dark screen (:func:`for_app`), so both read in the light and the dark theme
(exports stay black on white). Fonts list a Hangul-capable family so Korean labels export (Debian's
``fonts-nanum``); sizes are chosen so a 1000-px-wide export printed across a double column
(≈ 7 in) gives ≈ 8 pt tick labels and a 600-px export across one column (85 mm) ≈ 6.5 pt.
"""

from __future__ import annotations

from collections.abc import Iterable

import plotly.graph_objects as go

from core.model.i18n import N_
from core.model.i18n import gettext as _
from core.model.results import AnalysisRun
from core.model.vocabulary import group_order

OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
# Mid grey: about 4:1 contrast on white and on Streamlit's dark background (#0E1117) alike;
# the former #4D4D4D all but vanished in the dark theme.
ALL_COLOR = "#7F7F7F"
# Black marks drawn over coloured bars (the ORR whisker) keep this ink on a dark screen too;
# plain black marks on the background are lightened there (DARK_INKS, for_app).
ON_BAR_INK = "#111111"
DARK_INKS = frozenset({"black", "#000000", "#222222", "#333333", "#444444"})
DARK_SCREEN_INK = "#D0D0D0"
FIXED_GROUP_COLORS: dict[str, str] = {
    "refractory": OKABE_ITO["vermillion"],
    "relapse": OKABE_ITO["blue"],
    "All": ALL_COLOR,
}
# Colours left for other group labels, in order of preference (yellow last: weak on white).
_SPARE_COLORS: tuple[str, ...] = (
    OKABE_ITO["bluish_green"],
    OKABE_ITO["reddish_purple"],
    OKABE_ITO["orange"],
    OKABE_ITO["sky_blue"],
    OKABE_ITO["black"],
    OKABE_ITO["yellow"],
)

RESPONSE_COLORS: dict[str, str] = {
    "CR": OKABE_ITO["bluish_green"],
    "PR": OKABE_ITO["sky_blue"],
    "NR": "#A6A6A6",
    "not evaluable": "#E3E3E3",
}
RESPONSE_ORDER: tuple[str, ...] = ("CR", "PR", "NR", "not evaluable")

FONT_FAMILY = "Arial, 'Liberation Sans', 'NanumGothic', 'Noto Sans CJK KR', sans-serif"
FONT_SIZE = 16  # layout px; base for tick labels and legends
TITLE_SIZE = 19
NOTE_SIZE = 14  # annotations (p values, n at risk)
TEXT_COLOR = "#222222"
AXIS_COLOR = "#444444"
DEFAULT_WIDTH = 1000  # export width in layout px (double column); scale 3 → 3000 px
COLUMN_WIDTH = 600  # export width for a single 85-mm column


def group_colors(groups: Iterable[str]) -> dict[str, str]:
    """Colour of each group label, stable across charts, keyed in the order given (the
    run's display order, so legends and panels can follow it).

    ``refractory`` vermillion, ``relapse`` blue, ``All`` dark grey; any other label takes
    the spare Okabe–Ito colours in alphabetical order, then vermillion and blue when no
    group holds them: eight distinct colours for up to eight groups (cycling past that).
    Pass the cohort's full group list so a chart showing a subset keeps the same colours.
    """
    labels = list(dict.fromkeys(str(g) for g in groups))
    spare = [*_SPARE_COLORS] + [
        c for label, c in FIXED_GROUP_COLORS.items() if label != "All" and label not in labels
    ]
    others = sorted(set(labels) - FIXED_GROUP_COLORS.keys())
    assigned = {label: spare[i % len(spare)] for i, label in enumerate(others)}
    return {label: FIXED_GROUP_COLORS.get(label) or assigned[label] for label in labels}


def color_of(group: str, colors: dict[str, str] | None) -> str:
    """The group's colour from ``colors``, else from the fixed table, else black."""
    if colors and group in colors:
        return colors[group]
    return FIXED_GROUP_COLORS.get(group, OKABE_ITO["black"])


def rgba(hex_color: str, alpha: float) -> str:
    """'#RRGGBB' → 'rgba(r,g,b,alpha)' for translucent bands and links."""
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def month_label(month: float, names: dict[float, str] | None = None) -> str:
    """'Baseline' for month 0, else 'Month 6' (no trailing .0); a landmark the user gave in
    weeks or days as given (``names``, ``Settings.landmark_names``): 'Week 20'."""
    m = float(month)
    if m == 0:
        return _("Baseline")
    if names and m in names:
        return names[m][:1].upper() + names[m][1:]
    return _("Month {month}").format(month=f"{m:g}")


# Response states and visit marks as a legend names them (translated where drawn).
STATE_WORDS = {
    "CR": N_("CR"), "PR": N_("PR"), "NR": N_("NR"),
    "not evaluable": N_("not evaluable"), "not recorded": N_("not recorded"), "visit": N_("visit"),
}  # fmt: skip


def event_text(event: str, event_name: str | None = None) -> str:
    """The time-to-event event as a chart names it: the user's ``event_name`` as typed, else
    the response event's long name in the current language."""
    from core.model.vocabulary import event_words

    return event_name or _(event_words(event))


def label_of(name: str, units: dict[str, str] | None = None) -> str:
    """:func:`core.model.schema.label_of` in the current language (a canonical field's label
    translated; a measure the user named as typed)."""
    from core.model.schema import LABELS
    from core.model.schema import label_of as english

    text = english(name, units)
    return _(text) if name in LABELS else text


def label_with_unit(name: str, units: dict[str, str] | None = None) -> str:
    """:func:`core.model.schema.label_with_unit` in the current language."""
    from core.model.schema import unit_of

    label, unit = label_of(name, units), unit_of(name, units)
    return f"{label} ({unit})" if unit and unit != label else label


# The mixed model's names (core.analyses.lab_mixed.RANDOM_SLOPE / RANDOM_INTERCEPT).
MODEL_WORDS = {
    "random intercept and slope": N_("random intercept and slope"),
    "random intercept": N_("random intercept"),
}


def group_name(group: object) -> str:


    """A group as a chart names it: the whole cohort (``All``) in the current language, a
    user's group as the file spells it."""
    return _("All") if group == "All" else str(group)



AXIS_DEFAULTS: dict = dict(
    showline=True,
    linecolor=AXIS_COLOR,
    linewidth=1.2,
    ticks="outside",
    tickcolor=AXIS_COLOR,
    showgrid=False,
    zeroline=False,
    mirror=False,
    automargin=True,
)


def _journal_template() -> go.layout.Template:
    """Fonts, white backgrounds and clean axes in one small template. Axis defaults live
    in the template so they reach every subplot axis without one update call per axis;
    it is kept minimal (no per-trace-type defaults, unlike plotly's simple_white) because
    plotly copies the template into every figure (~40 ms for simple_white)."""
    axis = {
        **AXIS_DEFAULTS,
        "title_font": dict(size=FONT_SIZE + 1),
        "tickfont": dict(size=FONT_SIZE - 1),
    }
    return go.layout.Template(
        layout=dict(
            font=dict(family=FONT_FAMILY, size=FONT_SIZE, color=TEXT_COLOR),
            paper_bgcolor="white",
            plot_bgcolor="white",
            hoverlabel=dict(font_family=FONT_FAMILY),
            colorway=[
                OKABE_ITO[k]
                for k in (
                    "blue",
                    "vermillion",
                    "bluish_green",
                    "reddish_purple",
                    "orange",
                    "sky_blue",
                    "black",
                    "yellow",
                )
            ],
            xaxis=axis,
            yaxis=axis,
            hovermode="closest",
        )
    )


JOURNAL_TEMPLATE = _journal_template()


def journal_layout(
    fig: go.Figure,
    *,
    title: str | None = None,
    height: int | None = None,
    legend_title: str | None = None,
) -> go.Figure:
    """Apply the journal look in place and return ``fig``.

    White paper and plot, axis lines without gridline clutter, outside ticks, a
    horizontal legend above the plot, the shared font stack.
    """
    fig.update_layout(
        template=JOURNAL_TEMPLATE,
        margin=dict(l=70, r=30, t=90 if title else 50, b=60),
        legend=dict(
            orientation="h",
            yanchor="bottom",
            y=1.02,
            xanchor="left",
            x=0,
            title_text=legend_title or "",
            font=dict(size=FONT_SIZE - 1),
            bgcolor="rgba(0,0,0,0)",
        ),
    )
    if title:
        fig.update_layout(
            title=dict(
                text=title,
                x=0.01,
                xanchor="left",
                xref="container",
                y=0.985,
                yanchor="top",
                yref="container",
                font=dict(size=TITLE_SIZE),
            )
        )
    if height:
        fig.update_layout(height=height)
    return fig


def for_app(fig: go.Figure, *, dark: bool = False) -> go.Figure:
    """A copy for the Streamlit page: transparent background, text legible in the theme.

    Exports keep the white journal layout; only the on-screen copy changes. On a dark
    screen, marks in a near-black ink (``DARK_INKS``: forest-plot squares, error bars,
    marker outlines) are drawn in a light grey instead. The template's
    axis and font defaults are written onto the copy explicitly, so they survive
    ``st.plotly_chart(theme="streamlit")``, which swaps the template for its own.
    """
    out = go.Figure(fig)
    text = "#E6E6E6" if dark else TEXT_COLOR
    line = "#BBBBBB" if dark else AXIS_COLOR
    out.update_layout(
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        font=dict(family=FONT_FAMILY, size=out.layout.font.size or FONT_SIZE, color=text),
        title_font_color=text,
        legend_font_color=text,
    )
    defaults = {**AXIS_DEFAULTS, "linecolor": line, "tickcolor": line}

    def restyle(axis: go.layout.XAxis | go.layout.YAxis) -> None:
        unset = {k: v for k, v in defaults.items() if axis[k] is None}
        axis.update(unset, tickfont_color=text, title_font_color=text)

    out.for_each_xaxis(restyle)
    out.for_each_yaxis(restyle)
    if dark:
        out.for_each_trace(_lighten_inks)
    return out


_INK_PATHS = (
    ("marker", "color"),
    ("marker", "line", "color"),
    ("line", "color"),
    ("error_x", "color"),
    ("error_y", "color"),
)


def _lighten_inks(trace) -> None:
    """Near-black colours of one trace (single colours only) to ``DARK_SCREEN_INK``."""
    for path in _INK_PATHS:
        try:
            parent = trace
            for part in path[:-1]:
                parent = parent[part]
            value = parent[path[-1]]
        except (KeyError, ValueError, TypeError):
            continue
        if isinstance(value, str) and value.strip().lower() in DARK_INKS:
            parent[path[-1]] = DARK_SCREEN_INK


def empty_figure(message: str) -> go.Figure:
    """A blank chart carrying one sentence (nothing to draw for this selection)."""
    fig = go.Figure()
    fig.add_annotation(
        text=message,
        x=0.5,
        y=0.5,
        xref="paper",
        yref="paper",
        showarrow=False,
        font=dict(size=FONT_SIZE),
    )
    journal_layout(fig, height=300)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def run_colors(run: AnalysisRun) -> dict[str, str]:
    """Group colours for every chart of a run: the analysed groups and any group a result
    table names, plus ``All``; the same group keeps its colour in every chart."""
    groups = group_order(run.filtered.groups, sort=True, order=run.settings.group_order)
    for name in ("response_rates", "ttr_curve"):
        if (t := run.table(name)) is not None and "group" in t:
            groups += [str(g) for g in t["group"].unique()]
    return group_colors([*groups, "All"])


def interval_whiskers(est: float, lo: float, hi: float, color: str) -> dict:
    """``error_x`` of one dot-and-whisker estimate: its 95% CI from ``lo`` to ``hi``."""
    return dict(type="data", symmetric=False, array=[hi - est], arrayminus=[est - lo],
                color=color, thickness=1.6, width=5)  # fmt: skip
