"""Need for palliative care: flagged counts corrected for misclassification.

The need definitions (``codelists/palliative_need_v2.csv`` and, from 2023,
``codelists/palliative_need_plus_activity_v1.csv``) flag children whose claims show an
unstable, deteriorating or dying phase. A flag is not the truth: some flagged children are
stable (PPV < 1) and some children in need are never flagged — because no claim shows it, or
because no source sees the child at all (sensitivity < 1, relative to *all* children in need).
The reported number is therefore the flagged count corrected with the definition's accuracy,

    T̂ = F · PPV / Se,

with an interval that propagates the uncertainty of PPV and Se and of the count itself
(``methods.misclassification``). The accuracy parameters are versioned data with their
provenance (``codelists/need_accuracy_*.csv``): counts from a validation sample (chart review
of flagged children for PPV; a register of children known to be in need — e.g. a Kinder
Comfort Team's patient list linked to the claims — for sensitivity) or, for synthetic extracts
only, from replications with planted truth (``python -m kpz_analytics.validation
--calibrate``). They apply to one definition, counting basis, age range and lookback, and to
the number of lookback years the extract provides for the year (``years_available``: the
first years of an extract see less history).

Columns of an accuracy file: ``definition, parameter`` (``ppv`` or ``sensitivity``), ``basis,
age_min, age_max, lookback, years_available, need_sources`` (the definition's LLC sources used,
``+``-joined), ``year_from, year_to`` (empty = any), ``numerator, denominator, applies_to``
(``any``, or ``synthetic``: only for extracts whose id starts with ``synthetic-``), ``source``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..cohorts import cases as C
from ..errors import KpzError, ParameterError
from ..methods.misclassification import Proportion, correct_counts
from ..refdata import load_codelist

#: Default accuracy parameters: calibrated on synthetic extracts (valid for synthetic data only).
DEFAULT_ACCURACY = "need_accuracy_synthetic_v1"
ACCURACY_COLUMNS = ["definition", "parameter", "basis", "age_min", "age_max", "lookback",
                    "years_available", "need_sources", "year_from", "year_to", "numerator",
                    "denominator", "applies_to", "source"]
PARAMETERS = ("ppv", "sensitivity")


def load_accuracy(path_or_name: str | Path | None = None) -> pd.DataFrame:
    """Accuracy parameters: a code-list name (default :data:`DEFAULT_ACCURACY`) or a CSV path.

    Checked: every column of :data:`ACCURACY_COLUMNS`, ``parameter`` in ppv/sensitivity,
    0 <= numerator <= denominator, denominator > 0. Errors name the file, row and column.
    """
    name = path_or_name or DEFAULT_ACCURACY
    path = Path(str(name))
    if path.suffix == ".csv" or path.exists():
        if not path.is_file():
            raise ParameterError(f"need accuracy file {path} does not exist")
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        where = str(path)
    else:
        try:
            df = load_codelist(str(name))
        except KpzError:
            raise ParameterError(f"unknown need accuracy parameters {name!r}: no codelists/{name}.csv") from None
        where = f"codelists/{name}.csv"
    missing = [c for c in ACCURACY_COLUMNS if c not in df.columns]
    if missing:
        raise KpzError(f"{where}: missing column(s) {', '.join(missing)}")
    for i, row in enumerate(df.itertuples(index=False), start=1):
        if row.parameter not in PARAMETERS:
            raise KpzError(f"{where} row {i} column parameter: {row.parameter!r} is not ppv or sensitivity")
        try:
            num, den = float(row.numerator), float(row.denominator)
        except ValueError:
            raise KpzError(f"{where} row {i} column numerator/denominator: not a number") from None
        if not (den > 0 and 0 <= num <= den):
            raise KpzError(f"{where} row {i} column numerator: need 0 <= numerator <= denominator > 0")
        if row.applies_to not in ("any", "synthetic"):
            raise KpzError(f"{where} row {i} column applies_to: {row.applies_to!r} is not any or synthetic")
    df = df.copy()
    for c in ("age_min", "age_max", "lookback", "years_available"):
        df[c] = df[c].astype(int)
    df["numerator"] = df["numerator"].astype(float)
    df["denominator"] = df["denominator"].astype(float)
    df.attrs["where"] = where
    return df


def need_sources(params: C.CaseParams, definition: str) -> str:
    """The LLC sources a need definition uses in this run (``+``-joined, in SOURCES order)."""
    own = C.definition_sources(C.load_definition(definition)) or params.sources
    return "+".join(s for s in C.SOURCES if s in own and s in params.sources)


@dataclass
class Lookup:
    """Accuracy rows for one (definition, year), or why there are none."""

    ppv: Proportion | None
    sensitivity: Proportion | None
    note: str
    source: str = ""


def lookup(accuracy: pd.DataFrame, *, definition: str, params: C.CaseParams, jaar: int,
           first_period_year: int, extract_id: str) -> Lookup:
    """The PPV and sensitivity rows that apply to ``definition`` in ``jaar`` under ``params``."""
    years_available = int(min(params.lookback, jaar - first_period_year))
    srcs = need_sources(params, definition)
    a = accuracy
    sel = a[(a["definition"] == definition) & (a["basis"] == params.basis)
            & (a["age_min"] == params.age_min) & (a["age_max"] == params.age_max)
            & (a["lookback"] == params.lookback) & (a["years_available"] == years_available)
            & (a["need_sources"] == srcs)]
    sel = sel[(sel["year_from"].map(lambda v: v == "" or int(v) <= jaar))
              & (sel["year_to"].map(lambda v: v == "" or int(v) >= jaar))]
    where = accuracy.attrs.get("where", "accuracy file")
    if sel.empty:
        return Lookup(None, None, f"no accuracy parameters in {where} for {definition}, basis "
                                  f"{params.basis}, ages {params.age_min}-{params.age_max}, lookback "
                                  f"{params.lookback} ({years_available} years available), sources {srcs}, year {jaar}")
    if (sel["applies_to"] == "synthetic").any() and not str(extract_id).startswith("synthetic-"):
        return Lookup(None, None, f"the accuracy parameters in {where} were calibrated on synthetic "
                                  f"extracts and do not apply to {extract_id}: supply parameters from a "
                                  f"validation sample (--need-accuracy FILE)")
    out = {}
    for par in PARAMETERS:
        rows = sel[sel["parameter"] == par]
        if len(rows) != 1:
            return Lookup(None, None, f"{where}: {len(rows)} {par} rows for {definition} in {jaar} (need 1)")
        r = rows.iloc[0]
        out[par] = Proportion(float(r["numerator"]), float(r["denominator"]))
        source = str(r["source"])
    return Lookup(out["ppv"], out["sensitivity"], "", source)


def corrected_need(flagged: pd.DataFrame, accuracy: pd.DataFrame, params: C.CaseParams, *,
                   first_period_year: int, extract_id: str, population: pd.DataFrame | None = None,
                   alpha: float = 0.05) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Corrected need counts per definition and year, and year-to-year changes.

    Parameters
    ----------
    flagged : DataFrame ``definition, jaar, flagged`` (raw counts of flagged children).
    accuracy : :func:`load_accuracy` table.
    params, first_period_year, extract_id : select the accuracy rows (:func:`lookup`).
    population : DataFrame ``jaar, population`` (the denominator of the basis) for rates.
    alpha : the intervals have level 1 − alpha.

    Returns
    -------
    (corrected, change) : ``corrected`` one row per definition × year with ``flagged, ppv,
    sensitivity, n_estimated, ci_low, ci_high`` (NaN where no accuracy parameters apply,
    ``status`` says why), rates per 10,000 when ``population`` is given, and the accuracy
    ``source``; ``change`` one row per definition × pair of consecutive corrected years with
    the change and its interval (same Monte Carlo draws, so shared accuracy parameters do not
    widen it).
    """
    rows, changes = [], []
    for definition, g in flagged.groupby("definition", sort=False):
        g = g.sort_values("jaar").reset_index(drop=True)
        looks = [lookup(accuracy, definition=definition, params=params, jaar=int(j),
                        first_period_year=first_period_year, extract_id=extract_id) for j in g["jaar"]]
        ok = [i for i, lk in enumerate(looks) if lk.ppv is not None]
        res = None
        if ok:
            res = correct_counts(g.loc[ok, "flagged"].to_numpy(), [looks[i].ppv for i in ok],
                                 [looks[i].sensitivity for i in ok], alpha=alpha)
        pos = {i: k for k, i in enumerate(ok)}
        for i, r in g.iterrows():
            base = dict(definition=definition, jaar=int(r["jaar"]), flagged=int(r["flagged"]))
            if i in pos:
                t = res.table.iloc[pos[i]]
                rows.append(dict(base, ppv=t["ppv"], sensitivity=t["sensitivity"],
                                 n_estimated=t["estimate"], ci_low=t["ci_low"], ci_high=t["ci_high"],
                                 status="corrected for misclassification", accuracy_source=looks[i].source))
            else:
                rows.append(dict(base, ppv=np.nan, sensitivity=np.nan, n_estimated=np.nan,
                                 ci_low=np.nan, ci_high=np.nan, status=looks[i].note, accuracy_source=""))
        for a, b in zip(ok, ok[1:]):
            if int(g.loc[b, "jaar"]) != int(g.loc[a, "jaar"]) + 1:
                continue
            est, lo, hi = res.difference(pos[a], pos[b])
            changes.append(dict(definition=definition, jaar_from=int(g.loc[a, "jaar"]),
                                jaar_to=int(g.loc[b, "jaar"]), change=est, ci_low=lo, ci_high=hi))
    corrected = pd.DataFrame(rows)
    if population is not None and not corrected.empty:
        corrected = corrected.merge(population[["jaar", "population"]], on="jaar", how="left")
        for col, src in (("rate_per_10000", "n_estimated"), ("rate_ci_low", "ci_low"),
                         ("rate_ci_high", "ci_high")):
            corrected[col] = corrected[src] / corrected["population"] * 10_000
    cols = ["definition", "jaar", "jaar_from", "jaar_to", "change", "ci_low", "ci_high"]
    change = pd.DataFrame(changes, columns=[c for c in cols if c != "jaar"])
    return corrected, change
