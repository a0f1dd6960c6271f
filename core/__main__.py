"""Command line: ``python -m core validate FILE`` and ``python -m core report FILE --out DIR``.

Both are callable in-process as ``main(argv)`` (returns the exit code).
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        print("\nCommands: validate, report (use COMMAND --help)")
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if command == "validate":
        from core.cli.validate import main as run
    elif command == "report":
        from core.cli.report import main as run
    else:
        print(f"Unknown command {command!r}: use 'validate' or 'report'.", file=sys.stderr)
        return 2
    return run(rest)


if __name__ == "__main__":
    sys.exit(main())
