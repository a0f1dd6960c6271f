"""``reproduce.py`` and per-table code snippets: the analysis as a short runnable script.

The script uses the app's own ``core`` (``core.ingest.load.load_path`` and
``core.analyses.run.run_analyses``, which applies the filters itself: filtering first would hide
the exclusions from the ``flow`` table) with the settings and filters written out as Python
literals, so running it next to the data file gives the same tables.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from core.model.settings import CustomCriteria, Filters, Settings

MAPPING_FILE = "mapping.json"


def _non_default_repr(obj: object) -> str:
    """``Settings(criteria='kdigo2024', landmarks=(6.0, 12.0))``: only fields that differ from
    the defaults, as a valid Python expression."""
    cls = type(obj)
    default = cls()
    args = []
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if value != getattr(default, f.name):
            text = _non_default_repr(value) if isinstance(value, CustomCriteria) else repr(value)
            args.append(f"{f.name}={text}")
    return f"{cls.__name__}({', '.join(args)})"


def _setup_lines(
    source_name: str,
    mapping: Mapping | None,
    settings: Settings,
    filters: Filters,
    drop_invalid: bool,
) -> list[str]:
    mapping_expr = f"str(HERE / {MAPPING_FILE!r})" if mapping else "None"
    return [
        "from pathlib import Path",
        "",
        "from core.analyses.run import run_analyses",
        "from core.ingest.load import load_path",
        "from core.model.settings import CustomCriteria, Filters, Settings  # noqa: F401",
        "",
        "HERE = Path(__file__).resolve().parent" if mapping else "",
        f"settings = {_non_default_repr(settings)}",
        f"filters = {_non_default_repr(filters)}",
        f"cohort = load_path(DATA, mapping_path={mapping_expr}, drop_invalid={drop_invalid!r})",
        "run = run_analyses(cohort, settings, filters)",
        "results = run.results",
    ]


def reproduce_script(
    source_name: str,
    mapping: Mapping | None,
    settings: Settings,
    filters: Filters,
    drop_invalid: bool = False,
) -> str:
    """A runnable script: ``python reproduce.py [DATA_FILE] [OUT_DIR]`` from the app folder
    (the one holding ``core/``, or with it on ``PYTHONPATH``).

    It loads the data file (default: ``source_name`` in the current folder) with
    ``mapping.json`` beside the script when a mapping was used, applies the filters, runs the
    analyses, prints the response table and, given OUT_DIR, writes every table as CSV.
    """
    setup = _setup_lines(source_name, mapping, settings, filters, drop_invalid)
    head = [
        '"""Reproduce the tables of this report from the data file.',
        "",
        "Run from the folder that holds the app's `core` package:",
        f"    python reproduce.py [DATA_FILE (default {source_name})] [OUT_DIR]",
        '"""',
        "import sys",
        "from pathlib import Path",
        "",
        "sys.path.insert(0, str(Path.cwd()))  # the app folder (holding core/) is the current one",
        "",
        *setup[2:5],
        "",
        f"DATA = sys.argv[1] if len(sys.argv) > 1 else {source_name!r}",
    ]
    body = [line for line in setup[6:] if line]
    tail = [
        "",
        'rates = results.get("response_rates")',
        "if rates is None:",
        '    print("No response table for this cohort and these settings.")',
        "else:",
        "    print(rates.table.to_string(index=False))",
        "if len(sys.argv) > 2:",
        "    out = Path(sys.argv[2])",
        "    out.mkdir(parents=True, exist_ok=True)",
        "    for name, result in results.items():",
        '        result.table.to_csv(out / f"{name}.csv", index=False)',
        "",
    ]
    return "\n".join(head + body + tail)


def table_snippet(
    name: str,
    source_name: str,
    mapping: Mapping | None,
    settings: Settings,
    filters: Filters,
    drop_invalid: bool = False,
) -> str:
    """The code that makes one table, for a "show the code" expander."""
    setup = _setup_lines(source_name, mapping, settings, filters, drop_invalid)
    lines = [*setup[:5], "", f"DATA = {source_name!r}"]
    if mapping:
        lines.append(f"HERE = Path('.')  # the folder with {MAPPING_FILE}")
    lines += [line for line in setup[7:] if line]
    lines += [f"table = results[{name!r}].table", "print(table)", ""]
    return "\n".join(lines)
