"""The journal tables of the validation cohort as a reader sees them, in English and Korean.

Table 1, the response table (Table 2) and the paired-change table (Table 3) of
``tests/reference/cohort_long.csv`` (default settings) are rendered through the one formatting
module (:mod:`core.report.export.display`, via the journal-table builders that the Word
document, the HTML report and the screen share) and compared cell by cell with the stored
strings in ``tests/reference/formatted/<table>_<lang>.csv`` (header row first; read back as
text, nothing parsed). The stored files were written by this module and read by eye:

    PYTHONPATH=. python tests/test_formatted_reference.py --write

Any change in rounding, dashes, p-value style, not-reached marks, labels or translation shows
here as a failing cell.
"""

from __future__ import annotations

import csv
import io
import sys
from functools import cache
from pathlib import Path

import pytest

from core.model import i18n

ROOT = Path(__file__).resolve().parent.parent
COHORT = ROOT / "tests" / "reference" / "cohort_long.csv"
STORED = ROOT / "tests" / "reference" / "formatted"
TABLES = ("table1", "response", "paired_changes")


@cache
def _run():
    from core.analyses.run import run_analyses
    from core.ingest.load import load_cohort

    return run_analyses(load_cohort(COHORT.read_bytes(), COHORT.name))


def rendered(table: str, lang: str) -> list[list[str]]:
    """Header and rows of one journal table in ``lang`` (footnotes are prose: not stored)."""
    from core.report.export.docx_content import baseline_content, labs_content, response_content

    build = {"table1": baseline_content, "response": response_content,
             "paired_changes": labs_content}[table]  # fmt: skip
    run = _run()
    with i18n.use(lang):
        body = build(run.results, run.settings, run.filters)
    assert body is not None
    return [list(body.header), *[list(map(str, r)) for r in body.rows]]


def _path(table: str, lang: str) -> Path:
    return STORED / f"{table}_{lang}.csv"


def _as_csv(rows: list[list[str]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def _stored(table: str, lang: str) -> list[list[str]]:
    with _path(table, lang).open(encoding="utf-8", newline="") as fh:
        return [list(r) for r in csv.reader(fh)]


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
@pytest.mark.parametrize("table", TABLES)
def test_journal_table_matches_the_stored_strings(table: str, lang: str) -> None:
    got, want = rendered(table, lang), _stored(table, lang)
    assert len(got) == len(want), f"{table} {lang}: {len(got)} rows, stored {len(want)}"
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        assert g == w, f"{table} {lang} row {i}:\n  got    {g}\n  stored {w}"


def test_the_stored_strings_follow_the_journal_style() -> None:
    """What the stored files must show, so they cannot drift into another style unnoticed."""
    response_en, response_ko = _stored("response", "en"), _stored("response", "ko")
    assert response_en[3][:2] == ["CR, n (%; 95% CI)", "7 (15.2%; 6.3–28.9)"]
    assert response_ko[3][:2] == ["완전관해, n (%; 95% 신뢰구간)", "7 (15.2%; 6.3–28.9)"]
    assert response_en[5][-1] == response_ko[5][-1] == "< 0.001"  # ORR at 6 months
    cells = [c for t in TABLES for lang in i18n.LANGUAGES for r in _stored(t, lang) for c in r]
    assert not [c for c in cells if c in ("1.000", "NA", "nan", "None")]
    paired = _stored("paired_changes", "en")
    assert paired[0][4] == "Baseline, median (IQR)"
    # UPCR to 2 decimals, eGFR whole numbers, en dash between bounds, "to" with a negative one
    assert paired[1][4] == "2.42 (1.38–3.25)" and "to" in paired[1][7]
    table1_ko = _stored("table1", "ko")
    assert table1_ko[0][0] == "특성" and ["  여성", "  남성"] == [
        r[0] for r in table1_ko if r[0].strip() in ("여성", "남성")
    ]


if __name__ == "__main__":  # write the stored strings (then read them by eye)
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: PYTHONPATH=. python tests/test_formatted_reference.py --write")
    STORED.mkdir(parents=True, exist_ok=True)
    for name in TABLES:
        for language in i18n.LANGUAGES:
            _path(name, language).write_text(_as_csv(rendered(name, language)), encoding="utf-8")
            print("wrote", _path(name, language).relative_to(ROOT))
