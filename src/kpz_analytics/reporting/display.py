"""How report tables look: the number format of the report's language (one place for every report)."""

from __future__ import annotations

import math
import numbers

import pandas as pd

#: Columns of years (shown without a thousands separator), by their Dutch and English labels.
YEAR_COLUMNS = ("jaar", "year", "van", "naar", "from", "to")


def _number(x: float, decimals: int, language: str) -> str:
    text = f"{x:,.{decimals}f}"
    if language == "nl":
        text = text.replace(",", "#").replace(".", ",").replace("#", ".")
    return text


def cell_text(x, decimals: int, language: str = "nl") -> str:
    """One table cell as text: numbers in the report's format, markers ("<10", "•") as they are."""
    if x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x)):
        return "–"
    if isinstance(x, bool):
        return {"nl": {True: "ja", False: "nee"}, "en": {True: "yes", False: "no"}}[language][x]
    if isinstance(x, numbers.Number):
        return _number(float(x), decimals, language)
    return str(x)


def dutch(df: pd.DataFrame, precision: int = 1, language: str = "nl"):
    """A pandas Styler in the report's number format: Dutch thousands '.', decimal ',', missing as '–'.

    Years are shown without a separator; columns whose numbers are all whole are shown without
    decimals; text in a numeric column (a suppression marker such as "<10" or "•") is shown
    as it is. ``language="en"`` gives English number format.
    """
    formats = {}
    for col in df.columns:
        values = df[col]
        if col in YEAR_COLUMNS:
            formats[col] = lambda x: "–" if pd.isna(x) else (str(int(x)) if isinstance(x, numbers.Number) else str(x))
            continue
        nums = [v for v in values if isinstance(v, numbers.Number) and not isinstance(v, bool)
                and not (isinstance(v, float) and math.isnan(v))]
        whole = bool(nums) and all(float(v).is_integer() for v in nums)
        decimals = 0 if whole else precision
        formats[col] = lambda x, d=decimals: cell_text(x, d, language)
    return df.style.format(formats, escape="html").hide(axis="index")
