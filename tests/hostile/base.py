"""The small well-formed cohort every hostile case starts from, and its known numbers.

Six patients (3 refractory, 3 relapse), visits at months 0, 6 and 12, recorded responses.
Patient 1's ID and one lab value are privacy sentinels: they must never reach a log.
"""

from __future__ import annotations

import datetime as dt

SENTINEL_ID = "SENTINEL-PT-7731"
SENTINEL_VALUE = "987.654321"  # a pass-through lab (LDH) of the sentinel patient at month 0

IDS = (SENTINEL_ID, "PT02", "PT03", "PT04", "PT05", "PT06")
GROUPS = ("refractory", "refractory", "refractory", "relapse", "relapse", "relapse")
CLASSES = ("IV", "IV+V", "III", "V", "IV", "III+V")
SEXES = ("F", "F", "M", "F", "F", "M")
AGES = (34, 41, 29, 52, 23, 38)
MONTHS = (0, 6, 12)
UPCR = ((3.2, 0.3, 0.2), (2.5, 1.1, 0.4), (4.1, 3.9, 1.2), (1.8, 0.2, 0.1), (2.9, 2.7, 2.8),
        (5.0, 2.0, 4.5))
CREATININE = ((0.8, 0.75, 0.8), (0.9, 0.85, 0.9), (1.3, 1.4, 1.2), (0.7, 0.7, 0.65),
              (1.1, 1.2, 1.15), (1.0, 0.95, 1.05))
ALBUMIN = ((2.8, 3.3, 3.6), (3.1, 3.6, 3.9), (2.5, 3.0, 3.3), (3.4, 3.9, 4.2), (3.0, 3.5, 3.8),
           (2.2, 2.7, 3.0))
DSDNA = ((120, 72, 48), (45, 27, 18), (200, 120, 80), (80, 48, 32), (150, 90, 60), (60, 36, 24))
C3 = ((55, 65, 75), (70, 80, 90), (48, 58, 68), (90, 100, 110), (62, 72, 82), (75, 85, 95))
C4 = ((8, 11, 13), (12, 15, 17), (7, 10, 12), (20, 23, 25), (10, 13, 15), (15, 18, 20))
RESPONSE = (("NR", "CR", "CR"), ("NR", "PR", "CR"), ("NR", "NR", "PR"), ("NR", "CR", "CR"),
            ("NR", "NR", "NR"), ("NR", "PR", "NR"))
LDH = ((987.654321, 230.0, 220.0), (250.0, 240.0, 235.0), (260.0, 255.0, 245.0),
       (210.0, 205.0, 200.0), (270.0, 265.0, 250.0), (280.0, 275.0, 262.0))
START = tuple(dt.date(2023, 1, 10) + dt.timedelta(days=17 * i) for i in range(6))
VISIT_DAYS = (0, 182, 365)  # visit dates for the date cases: month = days / 30.4375

LONG_HEADER = ("patient_id", "group", "isn_class", "sex", "age", "month", "upcr", "creatinine",
               "albumin", "anti_dsdna", "c3", "c4", "response", "ldh")
PATIENT_COLS = ("patient_id", "group", "isn_class", "sex", "age")
WIDE_FIELDS = ("upcr", "creatinine", "albumin", "anti_dsdna", "c3", "c4", "response")

# Known numbers (counted by hand from the tables above)
N_PATIENTS, N_VISITS = 6, 18
GROUP_COUNTS = {"refractory": 3, "relapse": 3}
# (month, group, n_evaluable, cr_n, orr_n) under the default settings (recorded criteria)
RATES = ((6.0, "All", 6, 2, 4), (6.0, "refractory", 3, 1, 2), (6.0, "relapse", 3, 1, 2),
         (12.0, "All", 6, 3, 4), (12.0, "refractory", 3, 2, 3), (12.0, "relapse", 3, 1, 1))


def long_rows() -> list[dict]:
    """One dict per visit, canonical long columns, in file order."""
    rows = []
    for p in range(len(IDS)):
        for m, month in enumerate(MONTHS):
            rows.append({
                "patient_id": IDS[p], "group": GROUPS[p], "isn_class": CLASSES[p],
                "sex": SEXES[p], "age": AGES[p], "month": month, "upcr": UPCR[p][m],
                "creatinine": CREATININE[p][m], "albumin": ALBUMIN[p][m],
                "anti_dsdna": DSDNA[p][m], "c3": C3[p][m], "c4": C4[p][m],
                "response": RESPONSE[p][m], "ldh": LDH[p][m],
            })
    return rows


def wide_rows() -> tuple[list[str], list[list]]:
    """Header and rows of the wide form (``<field>_m<month>``), without the LDH column."""
    header = list(PATIENT_COLS) + [f"{f}_m{m}" for f in WIDE_FIELDS for m in MONTHS]
    rows = []
    for p in range(len(IDS)):
        lab = {"upcr": UPCR, "creatinine": CREATININE, "albumin": ALBUMIN, "anti_dsdna": DSDNA,
               "c3": C3, "c4": C4, "response": RESPONSE}
        row = [IDS[p], GROUPS[p], CLASSES[p], SEXES[p], AGES[p]]
        row += [lab[f][p][m] for f in WIDE_FIELDS for m in range(len(MONTHS))]
        rows.append(row)
    return header, rows


def table(rows: list[dict], columns: tuple[str, ...] | list[str] = LONG_HEADER) -> tuple[list[str], list[list]]:
    return list(columns), [[r.get(c) for c in columns] for r in rows]


def visit_date(p: int, m: int) -> dt.date:
    return START[p] + dt.timedelta(days=VISIT_DAYS[m])


def date_month(m: int) -> float:
    """The month the contract derives from a visit date: days / 30.4375, never rounded."""
    return VISIT_DAYS[m] / 30.4375
