"""Load the versioned reference data and code lists that ship with the package.

It sits at the top of the package, beside ``config``, because every stage reads this data:
the generator writes its codes, the warehouse loads it into ``ref_*`` tables, the cohorts use
the code lists and the analyses the standard population. It reads files only; it imports
nothing of the package but ``config`` and ``errors``.

Reference data (``reference/*.csv``) says what codes mean: zorgactiviteiten, iWmo/iJw product
categories, Wlz zorgprofielen, AGB specialisms, regions. Code lists (``codelists/*.csv``)
define cases. Each directory has an ``index.csv`` with version and source of every file.
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from .config import CODELIST_DIR, REFERENCE_DIR
from .errors import KpzError, ParameterError


def _read(directory, name: str) -> pd.DataFrame:
    path = directory / f"{name}.csv"
    if not path.exists():
        known = sorted(p.stem for p in directory.glob("*.csv") if p.stem != "index")
        raise KpzError(f"no reference file {path.name} in {directory} (known: {', '.join(known)})")
    # Everything as text: codes such as '0316' or '01' must keep their leading zeros.
    return pd.read_csv(path, dtype=str, keep_default_na=False)


@lru_cache(maxsize=None)
def _cached(directory_name: str, name: str) -> pd.DataFrame:
    directory = REFERENCE_DIR if directory_name == "reference" else CODELIST_DIR
    return _read(directory, name)


def load_reference(name: str) -> pd.DataFrame:
    """Reference table ``reference/<name>.csv`` as text columns (a copy, safe to modify)."""
    return _cached("reference", name).copy()


def load_codelist(name: str) -> pd.DataFrame:
    """Code list ``codelists/<name>.csv`` (e.g. ``llc_fraser_v1``) as text columns."""
    return _cached("codelists", name).copy()


def index(kind: str = "reference") -> pd.DataFrame:
    """The version/source index of ``reference`` or ``codelists``."""
    return _cached(kind, "index").copy()


def standard_population(name: str = "esp2013") -> pd.DataFrame:
    """The named standard population ``reference/standard_population_<name>.csv``.

    Columns ``age_group, age_from, age_to, weight`` (weight as float) and ``standard`` (the
    name), ready for :func:`kpz_analytics.methods.rates.direct_standardise`.
    """
    try:
        table = load_reference(f"standard_population_{name}")
    except KpzError:
        raise ParameterError(
            f"unknown standard population {name!r} (no reference/standard_population_{name}.csv)"
        ) from None
    table["weight"] = table["weight"].astype(float)
    table["standard"] = name
    return table
