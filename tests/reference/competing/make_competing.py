"""Adds competing events to the validation cohort, deterministically (no random numbers).

Reads ../cohort_long.csv and writes cohort_competing.csv: the same visits plus three
patient columns repeated on every row (months since start of therapy, empty = none):

- ``discontinued_month``: patients PT002, PT011, PT020, … (number ≡ 2 mod 9) stop
  treatment at the month of their second visit after month 0 (their first when they
  have one): some before their first response (a competing event), some at the visit
  of their first response (a tie: the response counts), some after it (no effect);
- ``death_month``: patients number ≡ 5 mod 13 die one month after their first visit
  after month 0; their later visits are removed (without a response at that visit the
  death is a competing event one month after the last assessment);
- ``eskd_month``: patients number ≡ 8 mod 17 reach ESKD at their last visit;
- PT090 discontinues at month 15, after its last visit and after its response at
  month 9 (no effect).

Usage: python make_competing.py  (from this folder; needs pandas).
"""

from pathlib import Path

import pandas as pd

here = Path(__file__).resolve().parent
# every cell as text, so the visit columns are written back exactly as read
d = pd.read_csv(here.parent / "cohort_long.csv", dtype=str, keep_default_na=False)
month = d["month"].astype(float)
after0 = month[month > 0].groupby(d["patient_id"])
first = after0.min()
second = after0.apply(lambda m: sorted(m)[1] if len(m) > 1 else sorted(m)[0])
last = after0.max()

ids = pd.Series(d["patient_id"].unique())
n = ids.str[2:].astype(int)
disc = ids[n % 9 == 2].map(second)
death = ids[n % 13 == 5].map(first) + 1
eskd = ids[n % 17 == 8].map(last)
disc = pd.concat([disc, pd.Series([15.0], index=[ids[ids == "PT090"].index[0]])])


def column(values: pd.Series) -> pd.Series:
    by_id = dict(zip(ids[values.index], values, strict=True))
    return d["patient_id"].map(by_id)


died = column(death)
d["death_month"] = died.map("{:g}".format).where(died.notna(), "")
d["eskd_month"] = column(eskd).map("{:g}".format).where(column(eskd).notna(), "")
gone = column(disc)
d["discontinued_month"] = gone.map("{:g}".format).where(gone.notna(), "")
d = d[~(month > died)]
d.to_csv(here / "cohort_competing.csv", index=False, lineterminator="\n")
