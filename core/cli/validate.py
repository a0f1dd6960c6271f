"""``python -m core validate COHORT_FILE [--mapping MAP.json] [--json]`` (data-contract §7).

Loads, maps and validates; prints the shape, patients, visits, groups, classes and every
error and warning (or one JSON object with ``--json``). A file without errors is also
analysed under the default settings, and every note that leaves patients out of an analysis
is printed as a warning. Exit code 0 without errors, 2 with
errors or when the file cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from core.analyses.run import run_analyses
from core.ingest.load import load_path
from core.model.schema import Cohort, Issue
from core.model.settings import Settings, event_name_option
from core.model.vocabulary import is_left_out_note


def left_out_notes(cohort: Cohort, settings: Settings | None = None) -> list[str]:
    """The notes of a run under the default settings (or ``settings``) that leave patients
    out of an analysis, each once, in registry order: validate prints them as warnings."""
    if cohort.patients.empty or cohort.report.errors:
        return []
    run = run_analyses(cohort, settings or Settings())
    notes = (n for r in run.results.values() for n in r.notes if is_left_out_note(n))
    return list(dict.fromkeys(notes))


def summary(cohort: Cohort, left_out: list[str] | None = None) -> dict:
    """The contract §7 JSON object for a loaded cohort; ``left_out`` notes (patients left out
    of an analysis) follow the file's warnings as warnings without row or column."""
    p = cohort.patients

    def counts(col: str) -> dict[str, int]:
        if col not in p:
            return {}
        vc = p[col].dropna().astype(str).value_counts()
        return {str(k): int(v) for k, v in sorted(vc.items(), key=lambda kv: (-kv[1], kv[0]))}

    def issue(i: Issue) -> dict:
        return {"row": i.row, "column": i.column, "value": i.value, "message": i.message,
                "sheet": i.sheet}

    return {
        "patients": int(len(p)),
        "visits": int(len(cohort.visits)),
        "groups": counts("group"),
        "classes": counts("isn_class"),
        "errors": [issue(i) for i in cohort.report.errors],
        "warnings": [issue(i) for i in cohort.report.warnings]
        + [{"row": None, "column": None, "value": None, "message": n, "sheet": None}
           for n in left_out or []],
    }  # fmt: skip


def _line(i: dict) -> str:
    where = []
    if i.get("sheet"):
        where.append(f"sheet {i['sheet']}")
    if i.get("row") is not None:
        where.append(f"row {i['row']}")
    if i.get("column"):
        where.append(f"column '{i['column']}'")
    prefix = ", ".join(where)
    return f"  {prefix}: {i['message']}" if prefix else f"  {i['message']}"


def mapping_json(path: str | None) -> dict | None:
    """The mapping file as JSON (for its ``options``), None without one or when it cannot be
    read as such (loading the mapping reports that)."""
    if not path:
        return None
    try:
        obj = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    return obj if isinstance(obj, dict) else None


def main(argv: list[str] | None = None) -> int:
    """Run the command; returns the exit code (0 no errors, 2 errors or unreadable)."""
    parser = argparse.ArgumentParser(prog="python -m core validate", description=__doc__)
    parser.add_argument("cohort_file")
    parser.add_argument("--mapping", default=None, help="mapping JSON (data-contract §3)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return 0 if exc.code == 0 else 2
    path = Path(args.cohort_file)
    if not path.is_file():
        print(f"Cannot read {path}: no such file.", file=sys.stderr)
        return 2
    if args.mapping is not None and not Path(args.mapping).is_file():
        print(f"Cannot read the mapping file {args.mapping}: no such file.", file=sys.stderr)
        return 2
    try:
        cohort = load_path(path, args.mapping)
    except OSError as exc:
        print(f"Cannot read {path}: {exc.strerror or exc}.", file=sys.stderr)
        return 2
    event_name = event_name_option(mapping_json(args.mapping))
    out = summary(cohort, left_out_notes(cohort, Settings(event_name=event_name)))
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        form = cohort.source.form or "unreadable"
        print(f"{path.name}: {form} form, {out['patients']} patients, {out['visits']} visits "
              f"({len(cohort.visits.columns)} visit columns, "
              f"{len(cohort.patients.columns)} patient columns)")
        print("groups: " + (", ".join(f"{k} {v}" for k, v in out["groups"].items()) or "none"))
        print("classes: " + (", ".join(f"{k} {v}" for k, v in out["classes"].items()) or "none"))
        print(f"{len(out['errors'])} error(s)")
        for i in out["errors"]:
            print(_line(i))
        print(f"{len(out['warnings'])} warning(s)")
        for i in out["warnings"]:
            print(_line(i))
    return 2 if out["errors"] else 0
