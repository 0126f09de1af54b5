"""How report tables look: Dutch number format for the notebooks (one place for both reports)."""

from __future__ import annotations

import pandas as pd

YEAR_COLUMNS = ("jaar", "year")


def dutch(df: pd.DataFrame, precision: int = 1):
    """A pandas Styler in Dutch format: thousands '.', decimal ',', missing as '–'.

    Years are shown without a separator and whole-number columns without decimals.
    """
    styler = df.style.format(precision=precision, thousands=".", decimal=",", na_rep="–")
    whole = [c for c in df.select_dtypes("number").columns
             if c not in YEAR_COLUMNS and df[c].dropna().mod(1).eq(0).all()]
    if whole:
        styler = styler.format(precision=0, thousands=".", decimal=",", na_rep="–", subset=whole)
    years = [c for c in df.columns if c in YEAR_COLUMNS]
    if years:
        styler = styler.format("{}", subset=years)
    return styler.hide(axis="index")
