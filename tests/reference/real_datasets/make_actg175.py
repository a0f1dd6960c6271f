"""Write actg175_wide.csv: ACTG 175 as a trial site would export it (one row per patient).

Source: the ACTG 175 trial data (Hammer et al., N Engl J Med 1996;335:1081-90) as shipped
in R package speff2trial (data set ``ACTG175``, GPL-2) and copied verbatim into the Python
package lifelines (``lifelines/datasets/ACTG175.csv``, MIT). This script reads lifelines'
copy and only reshapes it; no value is invented or perturbed.

Reshaping (the README says the same):
- kept with their original headers: pidnum, arms (treatment arm code 0-3), age, wtkg,
  karnof, cd40, cd420, cd496, cd80, cd820, days, cens;
- 0/1 codes written as the text a hospital system exports: gender (female/male),
  race (white/non-white), hemo, homo, drugs, symptom (no/yes), str2 (naive/experienced);
- a free-text column `notes` built from offtrt, preanti (e.g. "off treatment before week
  96; 895 days of prior antiretroviral therapy"), empty when neither applies;
- dropped: the row index, treat (= arms != 0), r (= cd496 missing), zprior (always 1),
  oprior, z30, strat (antiretroviral history strata, summarised by str2), offtrt and
  preanti (in notes).

Usage: python make_actg175.py   (writes actg175_wide.csv beside this file)
"""

from __future__ import annotations

from pathlib import Path

import lifelines
import pandas as pd

SRC = Path(lifelines.__file__).parent / "datasets" / "ACTG175.csv"
OUT = Path(__file__).parent / "actg175_wide.csv"


def build() -> pd.DataFrame:
    """The exported table, from lifelines' copy of ACTG175."""
    d = pd.read_csv(SRC, index_col=0)
    assert len(d) == 2139 and d["pidnum"].is_unique
    yes_no = {0: "no", 1: "yes"}
    notes = []
    for off, pre in zip(d["offtrt"], d["preanti"], strict=True):
        parts = []
        if off == 1:
            parts.append("off treatment before week 96")
        if pre > 0:
            parts.append(f"{int(pre)} days of prior antiretroviral therapy")
        notes.append("; ".join(parts))
    out = pd.DataFrame(
        {
            "pidnum": d["pidnum"],
            "arms": d["arms"],
            "age": d["age"],
            "wtkg": d["wtkg"],
            "gender": d["gender"].map({0: "female", 1: "male"}),
            "race": d["race"].map({0: "white", 1: "non-white"}),
            "hemo": d["hemo"].map(yes_no),
            "homo": d["homo"].map(yes_no),
            "drugs": d["drugs"].map(yes_no),
            "karnof": d["karnof"],
            "symptom": d["symptom"].map(yes_no),
            "str2": d["str2"].map({0: "naive", 1: "experienced"}),
            "cd40": d["cd40"],
            "cd80": d["cd80"],
            "cd420": d["cd420"],
            "cd820": d["cd820"],
            "cd496": d["cd496"].astype("Int64"),
            "days": d["days"],
            "cens": d["cens"],
            "notes": notes,
        }
    )
    assert out.drop(columns=["cd496", "notes"]).notna().all().all()
    return out


def main() -> None:
    build().to_csv(OUT, index=False, lineterminator="\n")


if __name__ == "__main__":
    main()
