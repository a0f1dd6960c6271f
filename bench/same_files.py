#!/usr/bin/env python3
"""Are two report folders the same, apart from what differs on every run?

    python bench/same_files.py BEFORE_DIR AFTER_DIR

Compares every file byte for byte after blanking what changes from one run to the next
even with the same code: plotly.js's random element ids in SVG and HTML (``defs-85f0f4``,
``trace1f3817``, div UUIDs, colour-bar and pattern ids), and creation times (provenance,
report.html, the Word and Excel files' metadata, compared part by part). CSV and PNG files
have none of these, so for them this is ``cmp``. Exit code 1 when any file differs or is
missing on one side.
"""

from __future__ import annotations

import io
import re
import sys
import zipfile
from pathlib import Path

_RANDOM = [
    re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
    re.compile(rb'(defs-|clip|topdefs-|legend|plotly-graph-div|id=")[0-9a-f]{6}'),
    re.compile(rb"(trace|cb)[0-9a-f]{6}"),
    re.compile(rb"#uid#-[0-9a-z]+"),
    re.compile(rb"Generated 20[-0-9: ]+UTC"),
    re.compile(rb"20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d(Z|\.\d+)?"),
    re.compile(rb"[0-9a-f]{6}(x\d*y\d*plot|x\d*y\d*|legend|xaxis|yaxis)"),
]


def normalised(data: bytes) -> bytes:
    """``data`` with run-to-run random ids and timestamps blanked."""
    for uid in set(re.findall(rb"defs-([0-9a-f]{6})", data)):  # an SVG's own id
        data = data.replace(uid, b"#uid#")
    for pattern in _RANDOM:
        data = pattern.sub(b"#", data)
    return data


def _content(path: Path) -> bytes | dict[str, bytes]:
    data = path.read_bytes()
    if path.suffix in (".docx", ".xlsx", ".zip"):
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return {n: normalised(zf.read(n)) for n in sorted(zf.namelist())}
    return normalised(data)


def main(argv: list[str] | None = None) -> int:
    a, b = map(Path, (argv if argv is not None else sys.argv[1:]))
    names = sorted({p.name for p in a.iterdir()} | {p.name for p in b.iterdir()})
    bad = 0
    for name in names:
        pa, pb = a / name, b / name
        if not (pa.is_file() and pb.is_file()):
            print(f"only in one folder: {name}")
            bad += 1
        elif _content(pa) != _content(pb):
            print(f"differs: {name}")
            bad += 1
    print(f"{len(names)} files, {bad} differ (random plotly ids and timestamps ignored)")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
