"""``python -m core report COHORT_FILE --out DIR``: every contract table (data-contract §7).

Exit code 0 on success; 2 with one line naming the problem on bad input (unreadable file,
validation errors without ``--drop-invalid``, unknown class, group or criteria).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from core.analyses.run import run_analyses
from core.cli.validate import mapping_json
from core.ingest.io import Limits
from core.ingest.isn import normalise_class
from core.model import i18n
from core.model.i18n import gettext as _
from core.model.results import AnalysisRun
from core.model.schema import ISN_CLASSES, Cohort
from core.model.settings import (
    CI_METHODS,
    CRITERIA,
    EVENTS,
    FLARE_CONFIRMATIONS,
    MISSING_STRATEGIES,
    ZPH_TRANSFORMS,
    Filters,
    Settings,
    event_name_option,
    landmark_settings,
    options_settings,
)


class BadInput(Exception):
    """A problem with what the user gave us: one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse would print usage and exit itself
        raise BadInput(message)


def _parser() -> _Parser:
    p = _Parser(prog="python -m core report", description=__doc__.splitlines()[0])
    p.add_argument("cohort_file")
    p.add_argument("--mapping", help="mapping JSON (data-contract §3)")
    p.add_argument("--criteria", choices=CRITERIA)
    p.add_argument("--landmarks", nargs="+", default=["6", "12"],
                   help="landmarks in months (6), weeks (20w) or days (180d)")
    p.add_argument("--window", type=float, default=1.0)
    p.add_argument("--missing", choices=MISSING_STRATEGIES, default="complete-case")
    p.add_argument("--event", choices=EVENTS, default="cr-or-pr")
    p.add_argument("--ci", choices=CI_METHODS, default="clopper-pearson")
    p.add_argument("--event-name", metavar="TEXT",
                   help="what the file's own time-to-event event is (e.g. death); "
                   "default: the mapping's options.event_name, else response")
    p.add_argument("--reference")
    p.add_argument("--class", dest="classes", nargs="+", default=[])
    p.add_argument("--group", dest="groups", nargs="+", default=[])
    p.add_argument("--drop-invalid", action="store_true", default=None,
                   help="set every invalid value to missing (also the mapping's "
                        "options.drop_invalid)")
    p.add_argument("--dsdna-cutoff", type=float, metavar="TITRE",
                   help="derive anti-dsDNA positivity where missing: positive at or above this "
                        "titre (default: the mapping's options.anti_dsdna_cutoff, else none)")
    p.add_argument("--dsdna-cutoff-unit", metavar="UNIT",
                   help="unit of --dsdna-cutoff, IU/mL or U/mL (default: the titres' unit)")
    p.add_argument("--max-rows", type=int, help="refuse files with more visit rows than this")
    p.add_argument("--max-mb", type=float, help="refuse files larger than this many MB")
    p.add_argument("--flare-confirmation", choices=FLARE_CONFIRMATIONS, default="none",
                   help="renal flares: confirmed at the next visit, or not (default)")
    p.add_argument("--flare-fold", type=float, default=2.0,
                   help="custom flare: UPCR at least this times its post-response nadir")
    p.add_argument("--flare-floor", type=float, default=1.0,
                   help="custom flare: and at least this UPCR, g/g")
    p.add_argument("--flare-creatinine-rise", type=float,
                   help="custom flare: or creatinine this %% above its post-response nadir")
    p.add_argument("--confirm-weeks", type=float, default=4.0,
                   help="confirmed response: least gap to the confirming visit (weeks)")
    p.add_argument("--audit-every-visit", action="store_true",
                   help="response audit: every visit, not only the landmark visits")
    p.add_argument("--suppress", type=int, metavar="N",
                   help="small-cell suppression: blank counts 1 to N-1 and the cells they could "
                        "be recovered from (docs/small-cell-suppression.md); off by default")
    p.add_argument("--rmst-tau", type=float, metavar="MONTHS",
                   help="restricted mean time to response up to this month "
                        "(default: the largest time every group reaches)")
    p.add_argument("--milestones", nargs="+", type=float, metavar="MONTH",
                   help="months of the cumulative-incidence milestones (default: the landmarks)")
    p.add_argument("--zph-transform", choices=ZPH_TRANSFORMS, default="km",
                   help="time scale of the proportional-hazards test (R cox.zph transform)")
    p.add_argument("--mixed-measures", nargs="+", metavar="LAB", default=["egfr"],
                   help="labs modelled over all visits by the mixed model (default egfr)")
    p.add_argument("--decline-at-last-visit", choices=("counts", "ignored"), default="counts",
                   help="kidney outcomes: an unconfirmed decline at the last visit")
    p.add_argument("--max-read-seconds", type=float,
                   help="CPU seconds reading the file may take before it is refused (default 5)")
    p.add_argument("--tables-only", action="store_true", help="write the CSV tables only")
    p.add_argument("--zip", action="store_true", help="also pack DIR as report.zip")
    p.add_argument("--lang", choices=i18n.LANGUAGES, default=i18n.DEFAULT,
                   help="language of the report's translated text and messages (ko, en)")
    p.add_argument("--labels", choices=("machine", "clinical"), default="machine",
                   help="CSV headers and values: machine names for scripts (default) or "
                   "clinical headers, values as words and <table>_diagnostics.csv")
    p.add_argument("--out", required=True)
    return p


def _load(args: argparse.Namespace) -> Cohort:
    path = Path(args.cohort_file)
    if not path.is_file():
        raise BadInput(f"cannot read {path}: no such file")
    if args.mapping and not Path(args.mapping).is_file():
        raise BadInput(f"cannot read mapping {args.mapping}: no such file")
    from core.ingest.load import load_path

    kw = {}
    sizes = {}
    if args.max_rows is not None:
        sizes["max_rows"] = args.max_rows
    if args.max_mb is not None:
        sizes["max_file_bytes"] = int(args.max_mb * 1e6)
        # a larger file than the default is allowed as many cells as its bytes could hold
        sizes["max_cells"] = max(Limits().max_cells, int(args.max_mb * 1e6 / 2))
    if args.max_read_seconds is not None:
        sizes["max_read_cpu_seconds"] = args.max_read_seconds
    if sizes:  # refused while reading, not after
        kw["limits"] = Limits(**sizes)
    cohort = load_path(path, args.mapping, drop_invalid=args.drop_invalid, **kw)
    errors = cohort.report.errors
    if errors:
        first = errors[0]
        where = ", ".join(
            f"{k} {v}"
            for k, v in (("sheet", first.sheet), ("row", first.row), ("column", first.column))
            if v is not None
        )
        readable = not cohort.patients.empty  # else the file itself was refused
        dropped = args.drop_invalid or ((cohort.mapping or {}).get("options") or {}).get(
            "drop_invalid")
        hint = "" if dropped or not readable else "; fix the file or use --drop-invalid"
        raise BadInput(
            f"{path.name}: {len(errors)} error(s), first: "
            f"{first.message.rstrip('.')}{' (' + where + ')' if where else ''}{hint}"
        )
    if cohort.patients.empty:
        raise BadInput(f"{path.name}: no patients found")
    if args.max_rows is not None and len(cohort.visits) > args.max_rows:
        raise BadInput(
            f"{path.name} has {len(cohort.visits)} visit rows, more than --max-rows {args.max_rows}"
        )
    return cohort


def _classes(given: list[str]) -> tuple[str, ...]:
    out = []
    for text in given:
        name = text if text in ISN_CLASSES else (normalise_class(text)[0] or text)
        if name not in ISN_CLASSES:
            raise BadInput(f"unknown class {text!r}: use {', '.join(ISN_CLASSES)}")
        out.append(name)
    return tuple(dict.fromkeys(out))


def _settings_filters(args: argparse.Namespace, cohort: Cohort) -> tuple[Settings, Filters]:
    groups = cohort.groups
    for g in [*args.groups, *([args.reference] if args.reference else [])]:
        if g not in groups:
            raise BadInput(f"unknown group {g!r}: the file has {', '.join(groups) or 'none'}")
    remembered = options_settings((cohort.mapping or {}).get("options"))
    if args.dsdna_cutoff is not None:
        remembered["dsdna_cutoff"] = args.dsdna_cutoff
    if args.dsdna_cutoff_unit is not None or "dsdna_cutoff_unit" not in remembered:
        unit = args.dsdna_cutoff_unit or ((cohort.mapping or {}).get("units") or {}).get(
            "anti_dsdna") or "IU/mL"
        from core.ingest.units import display_unit, normalise_unit

        known = normalise_unit(unit, "anti_dsdna")
        if known is None:
            raise BadInput(f"unknown anti-dsDNA unit {unit!r} for --dsdna-cutoff-unit: use IU/mL "
                           "or U/mL")
        remembered["dsdna_cutoff_unit"] = display_unit(known)
    try:
        marks = landmark_settings(args.landmarks)
    except ValueError as exc:
        raise BadInput(str(exc)) from exc
    if any(m <= 0 for m in marks["landmarks"]):
        raise BadInput("landmarks must be months after baseline (greater than 0)")
    try:
        settings = Settings(
            **remembered,
            criteria=args.criteria,
            **marks,
            window=args.window,
            missing=args.missing,
            event=args.event,
            ci=args.ci,
            reference=args.reference,
            flare_confirmation=args.flare_confirmation,
            flare_fold=args.flare_fold,
            flare_floor_upcr=args.flare_floor,
            flare_creatinine_rise_pct=args.flare_creatinine_rise,
            decline_at_last_visit=args.decline_at_last_visit == "counts",
            suppression_threshold=args.suppress,
            confirm_weeks=args.confirm_weeks,
            audit_every_visit=args.audit_every_visit,
            rmst_tau=args.rmst_tau,
            milestone_months=tuple(args.milestones) if args.milestones else None,
            zph_transform=args.zph_transform,
            mixed_measures=tuple(args.mixed_measures),
            event_name=args.event_name or event_name_option(mapping_json(args.mapping)),
        )
    except ValueError as exc:
        raise BadInput(str(exc)) from exc
    # eGFR is always offered (filled from creatinine); a file without either gets a note.
    unknown = [m for m in settings.mixed_measures if m != "egfr" and m not in cohort.visits]
    if unknown:
        raise BadInput(
            f"unknown lab {unknown[0]!r} for --mixed-measures: not a visit column of the file"
        )
    return settings, Filters(classes=_classes(args.classes), groups=tuple(args.groups))


def _write(run: AnalysisRun, out: Path, *, tables_only: bool, make_zip: bool,
           labels: str = "machine") -> str:
    """Write the tables (``--tables-only``) or the whole report through ``core.report.export``,
    so both modes share the formula-safe CSV writer; notes go to ``notes.txt``."""
    from core.report.export import write_report

    figures = {}
    if not tables_only:
        from core.report.export import imaging
        from core.report.figures import build_figures
        from core.report.fonts import korean_font_warning

        figures = build_figures(run)
        warning = imaging.images_available() and korean_font_warning(
            run.cohort.groups, i18n.language()
        )
        if warning:
            print(_("warning: {message}").format(message=warning), file=sys.stderr)
    written = write_report(
        out,
        run,
        figures,
        tables_only=tables_only,
        make_zip=make_zip,
        include_patient_level=True,  # the contract: every table as <name>.csv in DIR
    )
    if labels == "clinical":  # the human form of each table's CSV, diagnostics beside it
        from core.report.export.clinical import clinical_csvs

        for name, result in run.results.items():
            if (out / f"{name}.csv").exists() and result.table is not None:
                for file, data in clinical_csvs(name, result.table).items():
                    (out / file).write_bytes(data)
    lines = [f"[{name}] {note}" for name, r in run.results.items() for note in r.notes]
    lines += [f"[report] {note}" for note in written.notes]
    (out / "notes.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    what = _("tables") if tables_only else _("full report")
    return what + (", report.zip" if make_zip else "")


def main(argv: list[str] | None = None) -> int:
    """Run the report command; returns the exit code (0 ok, 2 bad input)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = _parser().parse_args(argv)
        cohort = _load(args)
        settings, filters = _settings_filters(args, cohort)
    except BadInput as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    if not args.tables_only:  # the image browser starts (~2 s) while the analyses run
        from core.report.images import warm_up

        warm_up()
    with i18n.use(args.lang):
        run = run_analyses(cohort, settings, filters)
        out = Path(args.out)
        what = _write(run, out, tables_only=args.tables_only, make_zip=args.zip,
                      labels=args.labels)
        print(_("{summary}: {what} written to {out}").format(summary=run.summary, what=what,
                                                              out=out))  # fmt: skip
    return 0
