"""Extend the validation cohort with the BLISS-LN inputs, deterministically (no randomness).

Reads ``../cohort_long.csv`` and writes ``cohort_long_bliss.csv``: the same rows and
columns plus ``prior_egfr`` (patient-level, repeated on every row; empty for every third
patient, so the month-0 eGFR is the reference) and ``treatment_failure`` (visit-level
TRUE/FALSE; empty for every fourth patient). Boundary cases built in on purpose:

- ``prior_egfr`` chosen so that the 12-month landmark eGFR (below 60, so the relative
  condition decides) is exactly 20 % below it (PT052, UPCR 0.13: Gt = 0.8 · prior on
  paper, meets ``Gt ≥ 0.8·Gref``, PR), 20.1 % below it (PT076, UPCR 0.67: fails, NR),
  exactly 10 % below it (PT009, UPCR 0.42: meets ``Gt ≥ 0.9·Gref``, CR) and 10.1 % below
  it (PT040, UPCR 0.25, Gt 76: no CR, PR).
- treatment failure flagged at one visit for patients 5, 16, 27, … (every 11th from 5): it
  holds from that visit on.

Run: ``python make_extended.py`` (from this folder); the CSV is rewritten byte for byte.
"""

from __future__ import annotations

import csv
from pathlib import Path

HERE = Path(__file__).parent
SOURCE = HERE.parent / "cohort_long.csv"
TARGET = HERE / "cohort_long_bliss.csv"
EDGE_PATIENTS = {"PT052": 0.8, "PT076": 0.799, "PT009": 0.9, "PT040": 0.899}  # Gt = ratio · prior_egfr at 12 months


def _num(pid: str) -> int:
    return int(pid[2:])


def _landmark_egfr(rows: list[dict], mark: float) -> float | None:
    """eGFR at the visit nearest ``mark`` within ± 1 month, the earlier on a tie."""
    near = [r for r in rows if abs(float(r["month"]) - mark) <= 1]
    near.sort(key=lambda r: (abs(float(r["month"]) - mark), float(r["month"])))
    return float(near[0]["egfr"]) if near and near[0]["egfr"] else None


def extend(rows: list[dict]) -> list[dict]:
    by_patient: dict[str, list[dict]] = {}
    for r in rows:
        by_patient.setdefault(r["patient_id"], []).append(r)
    prior: dict[str, str] = {}
    for pid, pr in by_patient.items():
        n = _num(pid)
        g0 = _landmark_egfr(pr, 0.0)
        if pid in EDGE_PATIENTS:
            gt = _landmark_egfr(pr, 12.0)
            prior[pid] = repr(gt / EDGE_PATIENTS[pid])
        elif n % 3 == 0 or g0 is None:
            prior[pid] = ""
        else:
            prior[pid] = f"{g0 * (1 + ((n * 7) % 21 - 10) / 100):.1f}"
    out = []
    for pid, pr in by_patient.items():
        n = _num(pid)
        months = [float(r["month"]) for r in pr if float(r["month"]) > 0]
        fail_at = None
        if n % 11 == 5 and months:
            fail_at = months[min(len(months) - 1, 1 + n % 3)]
        for r in pr:
            r = dict(r)
            r["prior_egfr"] = prior[pid]
            if n % 4 == 0:
                r["treatment_failure"] = ""
            else:
                r["treatment_failure"] = "TRUE" if float(r["month"]) == fail_at else "FALSE"
            out.append(r)
    return out


def main() -> Path:
    with SOURCE.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        fields = list(reader.fieldnames or []) + ["prior_egfr", "treatment_failure"]
        rows = list(reader)
    with TARGET.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(extend(rows))
    return TARGET


if __name__ == "__main__":
    print(main())
