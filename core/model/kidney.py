"""Kidney-function equations used by the loader (missing eGFR) and the response rules."""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike


def ckd_epi_2021(creatinine_mg_dl: ArrayLike, age: ArrayLike, sex: ArrayLike) -> np.ndarray:
    """eGFR by the CKD-EPI 2021 creatinine equation without race (Inker, NEJM 2021).

    ``142 · min(Scr/κ,1)^α · max(Scr/κ,1)^-1.200 · 0.9938^age · 1.012 [female]`` with
    κ 0.7/0.9 and α -0.241/-0.302 (F/M); mL/min/1.73 m², never rounded. NaN where an
    input is missing or sex is not 'F'/'M'. Valid for adults only: the caller flags age < 18.
    """
    scr = np.asarray(creatinine_mg_dl, dtype=float)
    years = np.asarray(age, dtype=float)
    raw = np.asarray(sex, dtype=object)
    codes, uniques = pd.factorize(raw.ravel(), use_na_sentinel=True)  # few distinct texts
    labels = np.array([str(u).strip().upper() for u in uniques] + [""], dtype=object)
    sx = labels[codes].reshape(raw.shape)
    female = sx == "F"
    male = sx == "M"
    kappa = np.where(female, 0.7, 0.9)
    alpha = np.where(female, -0.241, -0.302)
    r = scr / kappa
    egfr = 142.0 * np.minimum(r, 1.0) ** alpha * np.maximum(r, 1.0) ** -1.200 * 0.9938**years
    egfr = np.where(female, egfr * 1.012, egfr)
    ok = (female | male) & np.isfinite(scr) & np.isfinite(years)
    return np.where(ok, egfr, np.nan)
