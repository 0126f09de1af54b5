"""Statistical disclosure control for every table that leaves the research environment.

One function, :func:`protect`, takes *all* tables of one publication (a report, an export)
at once, because tables published together protect or betray each other: ``jaar × geslacht``
and ``jaar × leeftijd`` both sum to the year total, so a cell hidden in one can be recomputed
through the other. It returns the tables with suppressed values replaced by missing values and
a ``<column>_status`` column per protected column, plus a tidy audit log; and it refuses to
return anything that fails :func:`attack`.

What is protected, and how
--------------------------
1. **Primary suppression** (the rules, definitions and defaults of ACRO 1.0.2, the SACRO
   output checker, ``acro/sdcchecks.py`` and ``acro/default.yaml``):

   - *threshold*: a person count ``1 <= n < threshold`` (default 10, CBS remote-access
     practice and ACRO ``safe_threshold``) is suppressed, status ``primary``. A true zero is
     shown (status ``zero``) unless ``show_zeros=False`` (ACRO's default
     ``zeros_are_disclosive: True``), in which case zeros are ``primary`` too.
   - *magnitude cells* (e.g. a cost sum over persons) follow the threshold through their
     number of contributors, and the two dominance rules when the caller supplies the
     largest contributions: the **(n, k) rule** (ACRO ``NKCheck``: the ``n`` largest
     contributions make up at least ``k`` of the total, ``top_n / total >= k``; defaults
     ``n = 2``, ``k = 0.90``) and the **p-ratio rule** (ACRO ``PPercentCheck``:
     ``(total - largest - second) / largest < p``; default ``p = 0.10``; a cell whose largest
     contribution is 0 is safe). Status ``dominance``. Negative contributions are refused
     (ACRO: "dominance not defined when negative values are present").
2. **Derived values** (rates, shares, means, interval bounds) take the status ``derived``
   and are hidden whenever any count or magnitude they are computed from is suppressed: a
   rate next to its published denominator *is* the count.
3. **Complementary (secondary) suppression**: further cells (status ``secondary``) are
   hidden until :func:`attack` passes on the whole publication, so that no suppressed cell
   can be recomputed or narrowed down from row, column or grand totals, from other tables
   that publish the same totals (linked tables), from hierarchies (provinces inside NIK
   regions), or from a published denominator. The search is the classic "hide the smallest
   other cell in the same row and column" heuristic, made to look across tables and checked
   by the attack: first every cell that follows from a chain of sums gets a partner in the
   sum that exposes it; then each cell the attack still narrows too far gets one more
   complement among the cells that share a sum with it (or with its group of hidden cells);
   repeat. Complements are never zero or small cells. Among candidates it prefers detail
   cells over totals (readers use totals most), then cells that close more exposed sums than
   they open, then cells published in fewer tables, then the smallest value.
4. **The attack** (:func:`attack`): for every suppressed cell, the minimum and maximum the
   cell can take given *everything* in the publication, found with the HiGHS linear
   programming solver (:mod:`kpz_analytics.methods.attack`). The attacker knows every
   shown value; every sum relation (totals, sub-totals, the same total published by two
   tables, also when it is not published itself); that counts are whole and non-negative;
   that a count cannot exceed its published denominator, nor a category of an overlapping
   classification its total; and **what the markers say**, because the status column is
   published: a ``primary`` count lies in ``[1, threshold - 1]`` (``[0, threshold - 1]``
   when zeros are suppressed too), a ``secondary`` count is at least ``threshold``, and
   when zeros are shown every suppressed count is at least 1.

Protection requirement (the "protection interval")
--------------------------------------------------
- A suppressed **count** is protected when its feasible interval is at least ``min_width``
  persons wide (default ``ceil(threshold / 2)``, 5 at threshold 10; never more than the
  marker allows, ``threshold - 1 - floor``): whatever an attacker combines, a count under 10
  stays somewhere in a range of at least six whole values, e.g. 1-6 or 4-9, never "one or
  two". sdcTable's ``attack()`` only asks that the interval is not a single point; this
  rule asks more, and unlike a rule on the upper bound alone it can be met by tables that
  are entirely small (everything suppressed still passes when the markers leave the
  required room).
- A suppressed **magnitude** cell with value ``x`` is protected when its interval reaches
  ``x + U`` above and ``max(0, x - U)`` below, with the upper protection level ``U`` of
  the rule that suppressed it (Hundepool et al. 2012, §4.2): p-ratio
  ``U = p * x1 - (x - x1 - x2)``; (n, k) rule ``U = top_n / k - x``; too few contributors
  ``U = p * x`` (the p-ratio rule for a cell of one contributor).
- Complementary cells need no protection of their own (a count complement holds at least
  ``threshold``; a magnitude complement is not sensitive).

Limits
------
- The attacker knows what is *declared*: tables published elsewhere or earlier, and
  relations not declared (a dimension wrongly declared non-additive, a subset relation left
  out), are not seen. Everything declared is checked against the true values, so a wrong
  declaration that contradicts the data is refused rather than trusted.
- Counts are whole numbers; the programmes are linear relaxations whose intervals are
  rounded inward to integers. An integer programme could narrow an interval a little more
  in rare cases (sdcTable and tau-ARGUS share this).
- The search adds complements greedily; it is not the minimum-loss pattern of an optimal
  (MILP) method such as tau-ARGUS "Optimal", but every result is audited.

Reading the result
------------------
``ProtectedSet.tables[name]`` is the input table with, after each protected column, a
``<column>_status`` column in ``shown, zero, primary, secondary, derived, dominance``; the
values of every status except ``shown`` and ``zero`` are missing (``<NA>``). A renderer
prints its marker (e.g. "<10" for ``primary``, "•" for the others) and a CSV keeps the
machine-readable reason. ``ProtectedSet.audit`` counts the cells per table, column and
status, with the share suppressed and the parameters. Neither contains a suppressed value.

The tables must be aggregates: person-level input is refused (:func:`check_aggregate`).
"""

from __future__ import annotations

import itertools
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import KpzError, ParameterError
from . import attack as lp

__all__ = [
    "DEFAULT_THRESHOLD",
    "DEFAULT_NK_N",
    "DEFAULT_NK_K",
    "DEFAULT_P_RATIO",
    "STATUSES",
    "Dim",
    "Magnitude",
    "TableSpec",
    "Rules",
    "ProtectedSet",
    "protect",
    "attack",
    "check_aggregate",
    "threshold_rule",
    "nk_rule",
    "p_ratio_rule",
]

#: ACRO 1.0.2 ``default.yaml`` ``safe_threshold``; CBS remote access: at least 10 units per cell.
DEFAULT_THRESHOLD = 10
#: ACRO 1.0.2 ``safe_nk_n`` and ``safe_nk_k``: the 2 largest contributions < 90% of the total.
DEFAULT_NK_N = 2
DEFAULT_NK_K = 0.90
#: ACRO 1.0.2 ``safe_pratio_p``: the rest of the cell is at least 10% of the largest contribution.
DEFAULT_P_RATIO = 0.10

#: Every value a ``<column>_status`` column can take.
STATUSES = ("shown", "zero", "primary", "secondary", "derived", "dominance")
SUPPRESSED = frozenset({"primary", "secondary", "derived", "dominance"})
#: ACRO 1.0.2 names of the checks behind each primary reason (``sdcchecks.SDCChecks``).
ACRO_CHECK = {"threshold": "MinimumThresholdCheck", "nk": "NKCheck", "p_ratio": "PPercentCheck",
              "zero": "PresenceOfZeroCheck"}


# --------------------------------------------------------------------------- declarations
@dataclass(frozen=True)
class Dim:
    """A dimension (classification) column of a table.

    Parameters
    ----------
    name : column in the table.
    additive : True (default) when every unit counted in the table falls in exactly one
        category, so the categories sum to the total. False for overlapping categories (a
        child in several diagnostic groups, or the nested measures ``llc`` /
        ``palliative_need``): no sum relation, only "a category never exceeds the total".
        Say False for ``jaar`` too when a table publishes a total over years that counts
        each person once.
    variable : the classification this column codes, when two tables code it under different
        column names or at different levels (``provincie_code`` and ``nik_region`` both
        ``"regio"``); default ``name``. Cells of different tables with the same variables
        and codes are the same cell.
    hierarchy : ``{parent code: [child codes]}`` for sub-totals inside this classification
        (``{"Noordoost": ["PV20", "PV21", "PV22"]}``); parents may be children of other
        parents. A parent cell, published here or in any table with the same ``variable``,
        equals the sum of its children.
    subset_of : ``{code: containing code}`` for nested categories of a non-additive
        dimension (``{"palliative_need": "llc"}``): the first never exceeds the second.
    covering : for a non-additive dimension, True when every unit is in at least one category
        (the categories sum to at least the total).
    """

    name: str
    additive: bool = True
    variable: str | None = None
    hierarchy: Mapping[str, Sequence[str]] | None = None
    subset_of: Mapping[str, str] | None = None
    covering: bool = False

    @property
    def var(self) -> str:
        return self.variable or self.name


@dataclass(frozen=True)
class Magnitude:
    """Where to find the contributor information of a magnitude column (e.g. a cost sum).

    Parameters
    ----------
    contributors : column with the number of persons contributing to the cell (threshold
        rule). It is published only if it is also listed in ``TableSpec.counts``.
    largest, second : columns with the largest and second-largest single contribution in
        the cell (dominance rules). Without them only the threshold rule applies.
    top_n : column with the sum of the ``nk_n`` largest contributions, needed when ``nk_n``
        is not 2 (for ``nk_n == 2`` it is ``largest + second``).
    """

    contributors: str
    largest: str | None = None
    second: str | None = None
    top_n: str | None = None


@dataclass
class TableSpec:
    """One table of a publication and what its columns mean.

    Parameters
    ----------
    name : the table's name in the publication (sheet, file).
    data : the aggregate table with true values, one row per combination of ``dims``.
    dims : dimension columns (a column name, or a :class:`Dim` for non-additive dimensions,
        hierarchies, shared classifications).
    counts : person counts to protect with the threshold rule.
    derived : ``{column: source column(s)}``: values computed from counts or magnitudes
        (rates, shares, means, interval bounds); hidden with their source.
    denominators : ``{count column: denominator column}``. A denominator that is itself in
        ``counts`` is protected too and bounds the numerator; any other (e.g. the insured
        population) is published as is and is an upper bound the attacker uses.
    magnitudes : ``{column: Magnitude(...)}``: magnitude cells (sums over persons) protected
        by threshold and dominance rules.
    quantities : ``{column: quantity name}`` for columns that count the same thing as a
        column of another name in another table; default the column name. Cells of different
        tables with the same quantity, variables and codes are the same cell; cells with the
        same name that count different things need different quantity names.
    total_code : the code that marks a margin (total) row in a dimension column, if the table
        has margin rows.
    passthrough : other numeric columns that are published unchanged and are *not* counts
        of persons (flags, years of lookback, model parameters). Any numeric column not
        declared somewhere is refused.
    """

    name: str
    data: pd.DataFrame
    dims: Sequence[str | Dim]
    counts: Sequence[str] = ()
    derived: Mapping[str, str | Sequence[str]] = field(default_factory=dict)
    denominators: Mapping[str, str] = field(default_factory=dict)
    magnitudes: Mapping[str, Magnitude] = field(default_factory=dict)
    quantities: Mapping[str, str] = field(default_factory=dict)
    total_code: str | None = "Totaal"
    passthrough: Sequence[str] = ()

    @property
    def dim_list(self) -> list[Dim]:
        return [d if isinstance(d, Dim) else Dim(str(d)) for d in self.dims]

    @property
    def protected_columns(self) -> list[str]:
        return [*self.counts, *self.magnitudes]

    def sources(self, column: str) -> list[str]:
        src = self.derived[column]
        return [src] if isinstance(src, str) else list(src)

    def quantity(self, column: str) -> str:
        return self.quantities.get(column, column)


@dataclass(frozen=True)
class Rules:
    """The parameters of a protection, stored with its result (see :func:`protect`)."""

    threshold: int = DEFAULT_THRESHOLD
    show_zeros: bool = True
    min_width: int | None = None
    nk_n: int = DEFAULT_NK_N
    nk_k: float = DEFAULT_NK_K
    p_ratio: float = DEFAULT_P_RATIO

    def __post_init__(self) -> None:
        if not isinstance(self.threshold, (int, np.integer)) or self.threshold < 2:
            raise ParameterError(f"threshold must be a whole number of at least 2, got {self.threshold!r}")
        if self.min_width is not None and self.min_width < 1:
            raise ParameterError(f"min_width must be at least 1, got {self.min_width!r}")
        if not (isinstance(self.nk_n, (int, np.integer)) and self.nk_n >= 1):
            raise ParameterError(f"nk_n must be a whole number of at least 1, got {self.nk_n!r}")
        if not 0 < self.nk_k <= 1:
            raise ParameterError(f"nk_k must be in (0, 1], got {self.nk_k!r}")
        if not 0 < self.p_ratio < 1:
            raise ParameterError(f"p_ratio must be in (0, 1), got {self.p_ratio!r}")
        if self.threshold - 1 - self.floor < 1:
            raise ParameterError(f"with threshold {self.threshold} and zeros shown the marker alone "
                                 "tells the value of a suppressed count; raise the threshold")

    @property
    def floor(self) -> int:
        """Smallest value a ``primary`` count can have, as the attacker knows it."""
        return 1 if self.show_zeros else 0

    @property
    def required_width(self) -> int:
        """Width (in persons) the feasible interval of a suppressed count must reach."""
        wanted = self.min_width if self.min_width is not None else math.ceil(self.threshold / 2)
        return max(1, min(wanted, self.threshold - 1 - self.floor))

    def as_columns(self) -> dict:
        return {"threshold": self.threshold, "show_zeros": self.show_zeros,
                "min_width": self.required_width, "nk_n": self.nk_n, "nk_k": self.nk_k,
                "p_ratio": self.p_ratio}


@dataclass(frozen=True)
class ProtectedSet:
    """A protected publication: what may be published, and what it was made from.

    Attributes
    ----------
    tables : ``{name: table}`` ready to publish: suppressed values missing, a
        ``<column>_status`` column after every protected and derived column.
    audit : the audit log (publishable): one row per table, column and status with
        ``n_cells``, ``n_cells_column``, ``share``, the rule (ACRO check name) and the
        parameters, plus a row per table with status ``suppressed`` (all reasons).
    rules : the parameters.
    specs : the declarations with the **true values**; needed by :func:`attack`, never to be
        published.
    """

    tables: dict[str, pd.DataFrame]
    audit: pd.DataFrame
    rules: Rules
    specs: tuple[TableSpec, ...] = field(repr=False)

    def cell_log(self) -> pd.DataFrame:
        """One row per suppressed cell: ``table``, ``cell``, ``column``, ``status``.

        Publishable (it holds no values); the exporter may write it next to the audit.
        """
        rows = []
        for spec in self.specs:
            t = self.tables[spec.name]
            dims = [d.name for d in spec.dim_list]
            for col in [*spec.protected_columns, *spec.derived]:
                st = t[f"{col}_status"]
                for r in np.flatnonzero(st.isin(SUPPRESSED).to_numpy()):
                    cell = ", ".join(f"{d}={t.at[r, d]}" for d in dims) or "(all)"
                    rows.append(dict(table=spec.name, cell=cell, column=col, status=st.iat[r]))
        return pd.DataFrame(rows, columns=["table", "cell", "column", "status"])

    @classmethod
    def from_status_columns(cls, specs: Sequence[TableSpec], **rules) -> ProtectedSet:
        """Build a publication from tables that already carry ``<column>_status`` columns.

        Use it to audit a suppression pattern made elsewhere (by hand, by another tool)
        with :func:`attack`. ``specs`` hold true values and, for every count, magnitude
        and derived column, a status column; ``rules`` are the :class:`Rules` fields.
        """
        rules_ = Rules(**rules)
        bare, statuses = [], []
        for spec in specs:
            cols = [*spec.protected_columns, *spec.derived]
            missing = [f"{c}_status" for c in cols if f"{c}_status" not in spec.data.columns]
            if missing:
                raise KpzError(f"table {spec.name}: no status column(s) {', '.join(missing)}")
            st = spec.data[[f"{c}_status" for c in cols]].astype(str)
            bad = sorted(set(st.to_numpy().ravel()) - set(STATUSES))
            if bad:
                raise KpzError(f"table {spec.name}: unknown status(es) {', '.join(bad)}")
            bare.append(_replace(spec, data=spec.data.drop(columns=st.columns)))
            statuses.append(st)
        tables = {}
        for spec, st in zip(bare, statuses):
            check_aggregate(spec)
            tables[spec.name] = _apply_marks(spec, {c: st[f"{c}_status"].to_numpy()
                                                    for c in [*spec.protected_columns, *spec.derived]})
        audit = _audit(bare, tables, rules_, passed=None)
        return cls(tables=tables, audit=audit, rules=rules_, specs=tuple(bare))


def _replace(spec: TableSpec, **changes) -> TableSpec:
    kw = {f: getattr(spec, f) for f in spec.__dataclass_fields__}
    kw.update(changes)
    return TableSpec(**kw)


# --------------------------------------------------------------------------- primary rules
def threshold_rule(counts, threshold: int = DEFAULT_THRESHOLD, show_zeros: bool = True) -> np.ndarray:
    """Cells a threshold rule suppresses: ``counts < threshold`` (ACRO ``MinimumThresholdCheck``).

    With ``show_zeros`` (the default here) a zero count is not suppressed; ACRO's default
    (``zeros_are_disclosive: True``) suppresses zeros as well, which is ``show_zeros=False``.
    """
    c = np.asarray(counts, dtype=float)
    mask = c < threshold
    return mask & (c > 0) if show_zeros else mask


def nk_rule(total, top_n_sum, k: float = DEFAULT_NK_K) -> np.ndarray:
    """Cells dominated under the (n, k) rule: ``top_n_sum / total >= k`` (ACRO ``NKCheck``).

    ``top_n_sum`` is the sum of the ``n`` largest contributions (ACRO ``safe_nk_n = 2``). A
    cell with total 0 is not dominated (ACRO: 0/0 is NaN, and NaN >= k is false).
    """
    t = np.asarray(total, dtype=float)
    top = np.asarray(top_n_sum, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(t > 0, top / np.where(t > 0, t, 1.0), np.nan)
    return np.nan_to_num(share, nan=-1.0) >= k


def p_ratio_rule(total, largest, second, p: float = DEFAULT_P_RATIO) -> np.ndarray:
    """Cells dominated under the p-ratio rule: ``(total - largest - second) / largest < p``.

    ACRO ``PPercentCheck``: the second-largest contributor, subtracting its own value, would
    know the largest contribution to within ``p``. A cell whose largest contribution is 0
    is safe (ACRO sets its ratio to 1).
    """
    t = np.asarray(total, dtype=float)
    x1 = np.asarray(largest, dtype=float)
    x2 = np.asarray(second, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(x1 > 0, (t - x1 - x2) / np.where(x1 > 0, x1, 1.0), 1.0)
    return ratio < p


# --------------------------------------------------------------------------- input checks
_PERSON_COLUMN = re.compile(
    r"^(?:.*[_\s])?(?:persoon|person|patient|patiënt|pati[eë]nt|client|cliënt|pseudo|verzekerde|"
    r"insured|individual)[_\s]?(?:id|nr|nummer|number|key|sleutel|pseudoniem)$"
    r"|^(?:bsn|burgerservicenummer|rinpersoons?|a_?nummer|pseudoniem|pseudonym|"
    r"geboortedatum|geboortedag|date_of_birth|birth_?date|dob|overlijdensdatum|"
    r"date_of_death|death_?date|postcode_?6|pc6)$",
    re.IGNORECASE,
)
_TOTAL_WORDS = {"totaal", "total", "all", "alle", "overall", "allen", "totaal (alle)"}
#: A table of at least this many cells, all equal to 1, is taken for one row per person.
ALL_ONES_ROWS = 10


def check_aggregate(spec: TableSpec) -> None:
    """Refuse anything that is not a declared aggregate table.

    Raises :class:`KpzError` when the table

    - has a column named like a person identifier or a personal date (``persoon_id``,
      ``rinpersoon``, ``bsn``, ``patient_id``, ``geboortedatum``, ...): only aggregates may
      leave the pipeline;
    - has more than one row per combination of its dimensions (not an aggregate);
    - has at least ``ALL_ONES_ROWS`` rows and every count is exactly 1 (one row per person
      under another name);
    - declares a column that is not there, a count that is not a non-negative whole number,
      a negative or missing magnitude, a derived column without its source, or a numeric
      column that is declared nowhere (it would be published unprotected);
    - has a margin row whose code looks like a total but is not ``total_code``.
    """
    df = spec.data
    what = f"table {spec.name!r}"
    if not isinstance(df, pd.DataFrame):
        raise KpzError(f"{what}: data must be a pandas DataFrame, got {type(df).__name__}")
    person = [c for c in df.columns if _PERSON_COLUMN.match(str(c).strip())]
    if person:
        raise KpzError(f"{what} has person-level column(s) {', '.join(map(str, person))}: only "
                       "aggregate tables may be published; count persons per stratum first")
    dims = spec.dim_list
    names = [d.name for d in dims]
    declared = [*names, *spec.counts, *spec.magnitudes, *spec.derived, *spec.denominators.values(),
                *spec.passthrough]
    for m in spec.magnitudes.values():
        declared += [c for c in (m.contributors, m.largest, m.second, m.top_n) if c]
    missing = [c for c in dict.fromkeys(declared) if c not in df.columns]
    if missing:
        raise KpzError(f"{what}: declared column(s) {', '.join(map(str, missing))} not in data "
                       f"(columns: {', '.join(map(str, df.columns))})")
    if len(set(names)) != len(names):
        raise KpzError(f"{what}: a dimension is listed twice")
    for col in spec.derived:
        for src in spec.sources(col):
            if src not in spec.protected_columns:
                raise KpzError(
                    f"{what}: derived column {col!r} comes from {src!r}, which is not a declared "
                    "count or magnitude of this table; a rate or share with its denominator "
                    "reveals its count, so the count must be in the table to be protected")
    if not spec.protected_columns:
        raise KpzError(f"{what}: no counts or magnitudes to protect")
    for col in spec.denominators:
        if col not in spec.counts:
            raise KpzError(f"{what}: denominator given for {col!r}, which is not a declared count")
    undeclared = [c for c in df.columns if c not in declared
                  and pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])]
    if undeclared:
        raise KpzError(f"{what}: numeric column(s) {', '.join(map(str, undeclared))} are not declared "
                       "as count, magnitude, derived, denominator or passthrough; they would be "
                       "published unprotected")
    if not names and len(df) != 1:
        raise KpzError(f"{what}: a table without dimensions has exactly one row")
    if names and df[names].isna().any().any():
        raise KpzError(f"{what}: missing value(s) in dimension column(s); give them a code")
    if names and df.duplicated(subset=names).any():
        raise KpzError(f"{what}: more than one row per combination of {', '.join(names)}: this "
                       "is not an aggregate table (person-level data is refused)")
    for col in spec.counts:
        v = pd.to_numeric(df[col], errors="coerce")
        if v.isna().any() or (v < 0).any() or (v != np.round(v)).any():
            raise KpzError(f"{what}: count column {col!r} must hold non-negative whole numbers")
    for col, m in spec.magnitudes.items():
        for c in [col, m.contributors, m.largest, m.second, m.top_n]:
            if c is None:
                continue
            v = pd.to_numeric(df[c], errors="coerce")
            if v.isna().any():
                raise KpzError(f"{what}: column {c!r} of magnitude {col!r} has missing values")
            if (v < 0).any():
                raise KpzError(f"{what}: column {c!r} of magnitude {col!r} has negative values; "
                               "dominance is not defined for negative contributions (ACRO)")
        if m.largest and m.second:
            tot, x1, x2 = (df[c].astype(float) for c in (col, m.largest, m.second))
            if ((x2 > x1 + 1e-9) | (x1 + x2 > tot * (1 + 1e-9) + 1e-9)).any():
                raise KpzError(f"{what}: magnitude {col!r} needs second <= largest and "
                               "largest + second <= total")
    leaf_rows = _leaf_mask(spec)
    if spec.counts and leaf_rows.sum() >= ALL_ONES_ROWS:
        ones = all((df.loc[leaf_rows, c] == 1).all() for c in spec.counts)
        if ones:
            raise KpzError(f"{what}: every count is 1 in {int(leaf_rows.sum())} rows; this looks "
                           "like one row per person, and person-level data is refused")
    total = None if spec.total_code is None else str(spec.total_code).strip().lower()
    for d in dims:
        codes = {str(c).strip().lower() for c in df[d.name].unique()}
        odd = sorted((codes & _TOTAL_WORDS) - {total})
        if odd:
            raise KpzError(f"{what}: dimension {d.name!r} has code {odd[0]!r}, which looks like a "
                           f"margin; declare it as total_code (now {spec.total_code!r})")


# --------------------------------------------------------------------------- the model
Key = tuple  # (quantity, ((variable, code), ...)) with the coordinates sorted


def _code(value) -> str:
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _parents_of(dim: Dim) -> dict[str, list[str]]:
    """Every hierarchy parent with all its leaf descendants."""
    if not dim.hierarchy:
        return {}
    if not dim.additive:
        raise ParameterError(f"dimension {dim.name!r}: a hierarchy needs an additive dimension")
    children = {str(p): [str(c) for c in cs] for p, cs in dim.hierarchy.items()}

    def leaves(p: str, seen: tuple = ()) -> list[str]:
        if p in seen:
            raise ParameterError(f"dimension {dim.name!r}: hierarchy has a cycle at {p!r}")
        out: list[str] = []
        for c in children[p]:
            out += leaves(c, (*seen, p)) if c in children else [c]
        return out

    return {p: leaves(p) for p in children}


def _row_codes(spec: TableSpec) -> list[list[str | None]]:
    """Per row, per dimension: the code, or None on a margin (total) row."""
    total = None if spec.total_code is None else _code(spec.total_code)
    cols = [spec.data[d.name].map(_code).to_numpy() for d in spec.dim_list]
    return [[None if c == total else c for c in row] for row in zip(*cols)] if cols else \
        [[] for _ in range(len(spec.data))]


def _leaf_mask(spec: TableSpec, codes: list[list[str | None]] | None = None) -> np.ndarray:
    parents = [set(_parents_of(d)) for d in spec.dim_list]
    codes = _row_codes(spec) if codes is None else codes
    return np.array([all(c is not None and c not in p for c, p in zip(row, parents))
                     for row in codes], dtype=bool)


@dataclass
class _Cell:
    """One published value: table, row position, column, and the key it shows."""

    table: str
    row: int
    column: str
    key: int
    label: str


class _Model:
    """All cells of a publication as numbered keys, their true values and relations."""

    def __init__(self, specs: Sequence[TableSpec], rules: Rules) -> None:
        self.rules = rules
        self.keys: list[Key] = []
        self.index: dict[Key, int] = {}
        self.truth: list[float | None] = []
        self.origin: list[str] = []
        self.kind: list[str] = []
        self.upper: list[float] = []
        self.cells: list[_Cell] = []
        #: ``{(table, column): key of each row}`` and ``{table: label of each row}``
        self.column_keys: dict[tuple[str, str], np.ndarray] = {}
        self.labels: dict[str, list[str]] = {}
        self.mag: dict[int, tuple[float, float | None, float | None, float | None]] = {}
        self.relations: dict[tuple, lp.Relation] = {}
        self.quantity_kind: dict[str, str] = {}
        names = [s.name for s in specs]
        if len(set(names)) != len(names):
            raise KpzError("two tables of the publication have the same name")
        self._pending: list[tuple] = []
        for spec in specs:
            self._add_table(spec)
        self._published_keys = {c.key for c in self.cells}
        for args in self._pending:
            self._lattice(*args)
        n = len(self.keys)
        self.system = lp.LinearSystem(n, list(self.relations.values()))
        all_keys = np.array([c.key for c in self.cells], dtype=int)
        self.published = np.zeros(n, dtype=bool)
        self.published[all_keys] = True
        self.appearances = np.bincount(all_keys, minlength=n)
        self.upper_arr = np.array(self.upper, dtype=float)
        self.value = np.array([np.nan if t is None else t for t in self.truth], dtype=float)
        self.integral = np.array([k == "count" for k in self.kind], dtype=bool)
        self._check_relations()

    # -- keys ---------------------------------------------------------------------------
    def key(self, quantity: str, coords: Iterable[tuple[str, str]], kind: str) -> int:
        return self._key(quantity, tuple(sorted(coords)), kind)

    def _key(self, quantity: str, coords: tuple, kind: str) -> int:
        """:meth:`key` for coordinates that are already a sorted tuple."""
        k = (quantity, coords)
        i = self.index.get(k)
        if i is None:
            i = self.index[k] = len(self.keys)
            self.keys.append(k)
            self.truth.append(None)
            self.origin.append("")
            self.kind.append(kind)
            self.upper.append(math.inf)
        return i

    def set_truth(self, i: int, value: float, origin: str) -> None:
        old = self.truth[i]
        if old is None:
            self.truth[i], self.origin[i] = float(value), origin
        elif not math.isclose(old, value, rel_tol=1e-9, abs_tol=1e-6):
            raise KpzError(
                f"{self.describe(i)} is {_fmt(old)} by {self.origin[i]} but {_fmt(value)} by "
                f"{origin}: the same cell cannot have two values. Either a dimension declared "
                "additive is not (declare Dim(..., additive=False)), categories are missing "
                "from a table, or two different things share a quantity name (set "
                "TableSpec.quantities)")

    def describe(self, i: int) -> str:
        q, coords = self.keys[i]
        where = ", ".join(f"{v}={c}" for v, c in coords) or "total"
        return f"{q} [{where}]"

    def relate(self, terms: dict[int, float], kind: str, origin: str, shadow: bool = False) -> None:
        items = tuple(sorted([(v, a) for v, a in terms.items() if a != 0]))
        if len(items) < 2:
            return
        sig = (kind, items)
        old = self.relations.get(sig)
        if old is None or (old.shadow and not shadow):
            self.relations[sig] = lp.Relation(items, kind, origin, shadow)

    def _le(self, i: int, j: int, origin: str) -> None:
        """``relate({i: 1.0, j: -1.0}, "le", origin)``, the most frequent relation."""
        if i == j:
            return
        items = ((i, 1.0), (j, -1.0)) if i < j else ((j, -1.0), (i, 1.0))
        sig = ("le", items)
        old = self.relations.get(sig)
        if old is None or old.shadow:
            self.relations[sig] = lp.Relation(items, "le", origin, False)

    # -- one table ----------------------------------------------------------------------
    def _add_table(self, spec: TableSpec) -> None:
        check_aggregate(spec)
        dims = spec.dim_list
        df = spec.data.reset_index(drop=True)
        codes = _row_codes(spec)
        parents = [_parents_of(d) for d in dims]
        leaf = _leaf_mask(spec, codes)
        # per row, once for all columns: its coordinates (sorted, as in a key) and its label
        coords = [tuple(sorted((d.var, c) for d, c in zip(dims, row) if c is not None))
                  for row in codes]
        labels = self.labels[spec.name] = _labels(dims, df)
        for col in spec.protected_columns:
            kind = "magnitude" if col in spec.magnitudes else "count"
            q = spec.quantity(col)
            if self.quantity_kind.setdefault(q, kind) != kind:
                raise KpzError(f"quantity {q!r} is a count in one table and a magnitude in another")
            values = df[col].astype(float).to_numpy()
            origin = f"table {spec.name!r}"
            row_keys = []
            if kind == "magnitude":
                m = spec.magnitudes[col]
                info_cols = [None if c is None else df[c].astype(float).tolist()
                             for c in (m.contributors, m.largest, m.second, m.top_n)]
            for r, xy in enumerate(coords):
                i = self._key(q, xy, kind)
                row_keys.append(i)
                self.set_truth(i, values[r], origin)
                self.cells.append(_Cell(spec.name, r, col, i, labels[r]))
                if kind == "magnitude":
                    info = tuple(None if c is None else c[r] for c in info_cols)
                    if self.mag.setdefault(i, info) != info:
                        raise KpzError(f"{self.describe(i)}: two tables give different "
                                       "contributor information for the same cell")
            self.column_keys[(spec.name, col)] = np.array(row_keys, dtype=int)
            self._pending.append((spec, col, q, kind, dims, codes, coords, parents, leaf,
                                  values))
            den = spec.denominators.get(col)
            if den is not None:
                if den in spec.counts:
                    den_values = df[den].astype(float).to_numpy()
                    origin = f"{spec.name}: {col} <= {den}"
                    qd = spec.quantity(den)
                    for r, xy in enumerate(coords):
                        j = self._key(qd, xy, "count")
                        self._le(row_keys[r], j, origin)
                        if values[r] > den_values[r] + 1e-9:
                            raise KpzError(f"table {spec.name!r} row {r}: {col} exceeds its "
                                           f"denominator {den}")
                else:
                    den_values = pd.to_numeric(df[den], errors="coerce").astype(float).to_numpy()
                    for r in range(len(coords)):
                        d_val = den_values[r]
                        if not np.isnan(d_val):
                            if values[r] > d_val + 1e-9:
                                raise KpzError(f"table {spec.name!r} row {r}: {col} exceeds its "
                                               f"denominator {den}")
                            i = row_keys[r]
                            self.upper[i] = min(self.upper[i], float(d_val))

    def _lattice(self, spec, col, q, kind, dims, codes, coords, parents, leaf, values) -> None:
        """Every margin of the table's detail cells, as sum relations and inequalities.

        Each margin (a combination of dimensions summed out or grouped by a hierarchy) is
        related to the next finer margin along one dimension, chosen so that the finer cells
        are published where possible: ``total = sum of the year totals`` rather than ``total
        = sum of all detail cells``. Together these relations span exactly the same sums,
        and they keep the attacker's programmes small.
        """
        leaf_rows = [r for r in range(len(codes)) if leaf[r]]
        choices = []
        for d, par in zip(dims, parents):
            ch: list[tuple] = [("id",)]
            ch += [("group", p, frozenset(ls)) for p, ls in par.items()]
            if d.additive:
                ch.append(("drop",))
            choices.append(ch)
        dim_vars = [d.var for d in dims]
        distinct_vars = len(set(dim_vars)) == len(dim_vars)
        projections: dict[tuple, list] = {}

        def project(combo) -> list:
            """Per row, the key coordinates of the margin ``combo`` it falls in (or None)."""
            out = projections.get(combo)
            if out is not None:
                return out
            out = [None] * len(codes)
            if all(ch[0] == "id" for ch in combo):  # a leaf row's own coordinates
                for r in leaf_rows:
                    out[r] = coords[r]
            else:
                for r in leaf_rows:
                    proj = []
                    for v, ch, c in zip(dim_vars, combo, codes[r]):
                        if ch[0] == "id":
                            proj.append((v, c))
                        elif ch[0] == "group":
                            if c not in ch[2]:
                                break
                            proj.append((v, ch[1]))
                    else:
                        out[r] = tuple(sorted(proj))
            projections[combo] = out
            return out

        for combo in itertools.product(*choices):
            groups: dict[tuple, list[int]] = defaultdict(list)
            projected = project(combo)
            for r in leaf_rows:
                proj = projected[r]
                if proj is not None:
                    groups[proj].append(r)
            identity = all(ch[0] == "id" for ch in combo)
            gkeys = {}
            if identity:
                for proj in groups:
                    gkeys[proj] = self.index[(q, proj)]
            else:
                # Relate to the next finer margin along every dimension; the attacker's
                # programme gets only the one whose finer cells are most often published
                # (the others are implied by it), the complement heuristic sees them all.
                splits = []
                for j, ch in enumerate(combo):
                    if ch[0] == "id":
                        continue
                    finer = (*combo[:j], ("id",), *combo[j + 1:])
                    fp = project(finer)
                    fk = {fp[r] for rows in groups.values() for r in rows}
                    score = sum(1 for k in fk if self.index.get((q, k)) in self._published_keys)
                    splits.append((-score / max(1, len(fk)), j, finer))
                splits.sort(key=lambda x: (x[0], x[1]))
                what = ", ".join(("sum over " + d.name) if ch[0] == "drop" else
                                 f"{d.name} {ch[1]}" for d, ch in zip(dims, combo) if ch[0] != "id")
                truth_origin = f"table {spec.name!r} ({what} of its detail cells)"
                origin = f"{spec.name}: {what}"
                for proj, rows in groups.items():
                    i = self._key(q, proj, kind)
                    gkeys[proj] = i
                    self.set_truth(i, float(values[rows].sum()), truth_origin)
                    for rank, (_, _, finer) in enumerate(splits):
                        fp = project(finer)
                        terms = {i: 1.0}
                        for fk in dict.fromkeys(fp[r] for r in rows):
                            f = self._key(q, fk, kind)
                            terms[f] = terms.get(f, 0.0) - 1.0
                        self.relate(terms, "eq", origin, shadow=rank > 0)
            # overlapping and nested categories: inequalities only
            present = sorted(v for v, ch in zip(dim_vars, combo) if ch[0] != "drop")
            for d, ch in zip(dims, combo):
                if d.additive or ch[0] != "id":
                    continue
                by_union: dict[tuple, list[int]] = defaultdict(list)
                origin = f"{spec.name}: {d.name} category <= total"
                at = present.index(d.var)  # where d sits in a key's sorted coordinates
                for proj, i in gkeys.items():
                    if distinct_vars:
                        rest, code = proj[:at] + proj[at + 1:], proj[at][1]
                    else:
                        rest = tuple(x for x in proj if x[0] != d.var)
                        code = dict(proj)[d.var]
                    u = self._key(q, rest, kind)
                    by_union[rest].append(i)
                    self._le(i, u, origin)
                    if d.subset_of and code in d.subset_of:
                        sup = tuple(sorted([*rest, (d.var, str(d.subset_of[code]))]))
                        j = self.key(q, sup, kind)
                        self._le(i, j, f"{spec.name}: {d.name} {code} within {d.subset_of[code]}")
                if d.covering:
                    for rest, members in by_union.items():
                        u = self.index[(q, rest)]
                        terms = {u: 1.0}
                        for i in members:
                            terms[i] = terms.get(i, 0.0) - 1.0
                        self.relate(terms, "le", f"{spec.name}: {d.name} categories cover the total")

    def _check_relations(self) -> None:
        """The true values must satisfy every relation (else the declarations are wrong)."""
        a = self.system.arrays()
        n_rel = len(self.system.relations)
        if not n_rel:
            return
        x = self.value[a.var]  # NaN: an unpublished margin, whose value is not known
        unknown = np.bincount(a.rel, weights=np.isnan(x), minlength=n_rel) > 0
        x = np.where(np.isnan(x), 0.0, x)
        s = np.bincount(a.rel, weights=a.coef * x, minlength=n_rel)
        scale = np.ones(n_rel)
        np.maximum.at(scale, a.rel, np.abs(x))
        bad = ~unknown & np.where(a.le, s > 1e-9 * scale, np.abs(s) > 1e-9 * scale)
        if bad.any():
            rel = self.system.relations[int(np.flatnonzero(bad)[0])]
            cells = "; ".join(f"{self.describe(v)} = {_fmt(self.truth[v])}"
                              for v, _ in rel.terms[:6])
            raise KpzError(f"the tables contradict a declared relation ({rel.origin}): {cells}. "
                           "Declare a dimension with overlapping or missing categories as "
                           "Dim(..., additive=False)")


def _labels(dims: Sequence[Dim], df: pd.DataFrame) -> list[str]:
    """Per row: ``dim=value, ...`` (``(all)`` for a table without dimensions)."""
    if not dims:
        return ["(all)"] * len(df)
    cols = [df[d.name].tolist() for d in dims]
    names = [d.name for d in dims]
    return [", ".join(f"{n}={v}" for n, v in zip(names, row)) for row in zip(*cols)]


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:.6g}"


# --------------------------------------------------------------------------- primary
def _primary(model: _Model, rules: Rules) -> tuple[list[str | None], dict[int, list[str]], dict[int, float]]:
    """Status and reasons per key, and the upper protection level of magnitude cells."""
    n = len(model.keys)
    status: list[str | None] = [None] * n
    reasons: dict[int, list[str]] = {}
    upl: dict[int, float] = {}
    published = np.flatnonzero(model.published)
    counts = published[model.integral[published]]
    small = threshold_rule(model.value[counts], rules.threshold)
    for i, is_small in zip(counts.tolist(), small.tolist()):
        x = model.value[i]
        if x == 0:
            status[i] = "zero" if rules.show_zeros else "primary"
            if not rules.show_zeros:
                reasons[i] = ["zero"]
        elif is_small:
            status[i], reasons[i] = "primary", ["threshold"]
        else:
            status[i] = "shown"
    mags = published[~model.integral[published]].tolist()
    tops: list[float] = []
    for i in mags:
        contributors, x1, x2, top_n = model.mag[i]
        top = math.nan
        if x1 is not None and not (contributors == 0 and model.value[i] == 0):
            top = top_n if top_n is not None else (x1 + (x2 or 0.0) if rules.nk_n == 2 else
                                                   (x1 if rules.nk_n == 1 else None))
            if top is None:
                raise KpzError(f"{model.describe(i)}: nk_n={rules.nk_n} needs Magnitude(top_n=...)")
        tops.append(top)
    info = [model.mag[i] for i in mags]
    x_all = model.value[mags] if mags else np.zeros(0)
    few = threshold_rule([c[0] for c in info], rules.threshold, show_zeros=False)
    nk = nk_rule(x_all, tops, rules.nk_k)
    pr = p_ratio_rule(x_all, [math.nan if c[1] is None else c[1] for c in info],
                      [math.nan if c[2] is None else c[2] for c in info], rules.p_ratio)
    for k, i in enumerate(mags):
        x = model.value[i]
        contributors, x1, x2, _ = info[k]
        rs, levels = [], []
        if contributors == 0 and x == 0:
            status[i] = "zero" if rules.show_zeros else "primary"
            if not rules.show_zeros:
                reasons[i], upl[i] = ["zero"], 0.0
            continue
        if few[k]:
            rs.append("threshold")
            levels.append(rules.p_ratio * x)
        dominated = []
        if x1 is not None:
            if nk[k]:
                dominated.append("nk")
                levels.append(tops[k] / rules.nk_k - x)
            if x2 is not None and pr[k]:
                dominated.append("p_ratio")
                levels.append(rules.p_ratio * x1 - (x - x1 - x2))
        if rs or dominated:
            status[i] = "primary" if rs else "dominance"
            reasons[i] = rs + dominated
            upl[i] = max(levels)
        else:
            status[i] = "shown"
    return status, reasons, upl


# --------------------------------------------------------------------------- attack core
def _bounds(model: _Model, status: Sequence[str | None], rules: Rules):
    n = len(model.keys)
    st = np.array(status, dtype=object)
    unknown = np.equal(st, None) | np.isin(st, list(SUPPRESSED))
    free = ~model.published
    lower = np.zeros(n)
    upper = model.upper_arr.copy()
    counts = unknown & model.published & model.integral
    primary = counts & (st == "primary")
    lower[primary] = rules.floor
    upper[primary] = np.minimum(upper[primary], rules.threshold - 1)
    lower[counts & (st == "secondary")] = rules.threshold
    return unknown, free, lower, upper


def _targets(model: _Model, status, upl) -> list[int]:
    return [i for i in np.flatnonzero(model.published)
            if status[i] in ("primary", "dominance") and (model.kind[i] == "count" or i in upl)]


def _judge(model: _Model, i: int, lo: float, hi: float, rules: Rules, upl) -> tuple[bool, float]:
    """Whether key ``i`` is protected by interval ``[lo, hi]``, and by how much it falls short."""
    x = model.value[i]
    if model.kind[i] == "count":
        short = rules.required_width - (hi - lo)
        return short <= lp.TOLERANCE, max(0.0, short)
    u = upl.get(i, 0.0)
    need_hi = x + u
    need_lo = max(0.0, x - u)
    tol = lp.TOLERANCE * max(1.0, abs(x))
    short = max(need_hi - hi, lo - need_lo, 0.0)
    ok = hi >= need_hi - tol and lo <= need_lo + tol and hi - lo > tol
    return ok, short if not ok else 0.0


def _run_attack(model: _Model, status, rules: Rules, upl, targets=None, cache=None,
                exact: bool = True):
    """Intervals and verdicts; ``exact=False`` stops solving a target once it passes."""
    unknown, free, lower, upper = _bounds(model, status, rules)
    targets = _targets(model, status, upl) if targets is None else targets

    def enough(i: int, lo: float, hi: float) -> bool:
        if model.integral[i]:
            lo, hi = math.ceil(lo - lp.TOLERANCE), math.floor(hi + lp.TOLERANCE)
        return _judge(model, i, lo, hi, rules, upl)[0]

    iv = lp.feasible_intervals(model.system, model.value, unknown, free, lower, upper, targets,
                               integral=model.integral, cache=cache,
                               enough=None if exact else enough)
    out = {}
    for t in targets:
        lo, hi = iv[t]
        x = model.value[t]
        slack = lp.TOLERANCE * max(1.0, abs(x))
        if not (lo - slack <= x <= hi + slack):
            raise KpzError(f"internal error: the feasible interval [{lo}, {hi}] of "
                           f"{model.describe(t)} does not contain its value")
        ok, short = _judge(model, t, lo, hi, rules, upl)
        out[t] = (lo, hi, ok, short)
    return out


# --------------------------------------------------------------------------- secondary
def _eligible(model: _Model, status, i: int, rules: Rules) -> bool:
    if not model.published[i] or status[i] != "shown":
        return False
    return model.value[i] >= rules.threshold if model.kind[i] == "count" else model.value[i] > 0


class _Suppressor:
    """Complementary suppression: add cells until the attack passes."""

    def __init__(self, model: _Model, status, rules: Rules, upl) -> None:
        self.m, self.status, self.rules, self.upl = model, list(status), rules, upl
        self.order: list[int] = []
        self.cache: dict = {}

    def choose(self, relation_ids: Iterable[int], need: float = 0.0) -> int | None:
        """The best eligible cell among those sharing one of ``relation_ids``.

        Ranked by: more detailed first (a total is hidden only when no detail cell can do
        the job: totals are what readers use most); then how many sums it closes (sums whose
        only hidden cell is a published one) minus how many it opens (sums without any
        hidden cell, where it would be alone); a value of at least ``need``; published in
        fewer tables; smaller value.
        """
        m = self.m
        cands = sorted({v for r in relation_ids for v in m.system.relations[r].variables()
                        if _eligible(m, self.status, v, self.rules)})
        if not cands:
            return None
        hidden = np.array([s in SUPPRESSED for s in self.status], dtype=bool)
        free = ~m.published

        def score(c: int):
            gain = loss = 0
            for r in m.system.relations_of(c):
                rel = m.system.relations[r]
                if rel.kind != "eq":
                    continue
                n_hidden = sum(1 for v, _ in rel.terms if hidden[v])
                n_free = sum(1 for v, _ in rel.terms if free[v])
                if n_hidden + n_free == 0:
                    loss += 1
                elif n_hidden == 1 and n_free == 0:
                    gain += 1
            too_small = 0 if m.value[c] >= need else 1
            return (-len(m.keys[c][1]), -(gain - loss), too_small, int(m.appearances[c]),
                    float(m.value[c]), c)

        return min(cands, key=score)

    def suppress(self, i: int) -> None:
        self.status[i] = "secondary"
        self.order.append(i)

    def close_differences(self) -> None:
        """Hide a complement wherever a suppressed cell follows from a chain of sums.

        Takes the cell found first (the root of the chain: its sum had it as the only hidden
        cell from the start) and recomputes after each complement.
        """
        m = self.m
        skip: set[int] = set()
        while True:
            unknown, free, _, upper = _bounds(m, self.status, self.rules)
            det = lp.determined_cells(m.system, unknown, free, upper)
            v = next((v for v in det if m.published[v] and v not in skip), None)
            if v is None:
                return
            c = self.choose([det[v]])
            if c is None:
                c = self.choose([r for r in m.system.relations_of(v)
                                 if m.system.relations[r].kind == "eq"])
            if c is None:
                c = self.choose_in_component(v)
            if c is None:
                if self.status[v] == "secondary":
                    skip.add(v)  # a recomputable complement is harmless in itself
                    continue
                raise KpzError(_unprotectable(m, v))
            self.suppress(c)

    def choose_in_component(self, t: int, need: float = 0.0) -> int | None:
        m = self.m
        unknown, free, _, upper = _bounds(m, self.status, self.rules)
        useful = lp.useful_relations(m.system, unknown, free, upper, shadows=True,
                                     above=False)
        comp, comp_rel = lp.components(m.system, unknown, useful)
        if t not in comp:
            return self.choose(m.system.relations_of(t), need)
        return self.choose(comp_rel.get(comp[t], []), need)

    def run(self) -> dict:
        m = self.m
        for _ in range(10 * len(m.keys) + 10):
            self.close_differences()
            result = _run_attack(m, self.status, self.rules, self.upl, cache=self.cache,
                                 exact=False)
            failing = [t for t, (_, _, ok, _) in result.items() if not ok]
            if not failing:
                return result
            # groups of hidden cells as the search has always seen them: also linked through
            # totals published nowhere (the attack itself drops those inequalities)
            unknown, free, _, upper = _bounds(m, self.status, self.rules)
            useful = lp.useful_relations(m.system, unknown, free, upper, above=False)
            comp, _ = lp.components(m.system, unknown, useful)
            worst: dict[int, int] = {}
            for t in failing:
                c = comp.get(t, -1 - t)
                if c not in worst or result[t][3] > result[worst[c]][3]:
                    worst[c] = t
            for t in worst.values():
                if self.status[t] not in ("primary", "dominance"):
                    continue
                need = result[t][3] + (self.upl.get(t, 0.0) if m.kind[t] == "magnitude" else 0.0)
                c = self.choose(m.system.relations_of(t), need)
                if c is None:
                    c = self.choose_in_component(t, need)
                if c is None:
                    raise KpzError(_unprotectable(m, t, result[t]))
                self.suppress(c)
        raise KpzError("complementary suppression did not converge")  # pragma: no cover


def _unprotectable(m: _Model, i: int, result=None) -> str:
    where = "; ".join(sorted({f"table {c.table!r} ({c.label})" for c in m.cells if c.key == i})[:3])
    iv = "" if result is None else f" (an attacker still narrows it to {_fmt(result[0])}-{_fmt(result[1])})"
    return (f"{m.describe(i)} in {where} cannot be protected{iv}: no cell that could hide it is "
            "left (every candidate is zero, small or already suppressed). Publish this table at "
            "a coarser level, drop a margin, or show fewer tables together; with show_zeros=True "
            "the attacker also knows every hidden cell is at least 1")


# --------------------------------------------------------------------------- marking & audit
def _apply_marks(spec: TableSpec, statuses: Mapping[str, np.ndarray]) -> pd.DataFrame:
    df = spec.data.reset_index(drop=True).copy()
    out_cols: list[str] = []
    for c in df.columns:
        out_cols.append(c)
        if c in statuses:
            st = np.asarray(statuses[c], dtype=object)
            hide = np.isin(st, list(SUPPRESSED))
            col = df[c]
            if c in spec.counts:
                col = col.astype("Int64")
            else:
                col = col.astype(float)
            df[c] = col.mask(hide)
            df[f"{c}_status"] = st.astype(str)
            out_cols.append(f"{c}_status")
    return df[out_cols]


def _audit(specs: Sequence[TableSpec], tables: Mapping[str, pd.DataFrame], rules: Rules,
           passed: bool | None, reasons_by_cell: Mapping[tuple[str, str], np.ndarray] | None = None
           ) -> pd.DataFrame:
    rows = []
    for spec in specs:
        t = tables[spec.name]
        n_all = n_sup = 0
        for col in [*spec.protected_columns, *spec.derived]:
            role = ("count" if col in spec.counts else "magnitude" if col in spec.magnitudes
                    else "derived")
            st = t[f"{col}_status"].to_numpy(dtype=object)
            rules_col = (reasons_by_cell or {}).get((spec.name, col))
            n = len(st)
            n_all += n
            n_sup += int(np.isin(st, list(SUPPRESSED)).sum())
            for status in STATUSES:
                mask = st == status
                k = int(mask.sum())
                if not k:
                    continue
                rule = ""
                if status in ("primary", "dominance", "zero") and rules_col is not None:
                    names = sorted({r for rs in rules_col[mask] for r in rs.split("; ") if r})
                    rule = "; ".join(names)
                elif status == "secondary":
                    rule = "complementary"
                elif status == "derived":
                    rule = "source suppressed"
                rows.append(dict(table=spec.name, column=col, role=role, status=status, rule=rule,
                                 n_cells=k, n_cells_column=n, share=k / n))
        rows.append(dict(table=spec.name, column="(all)", role="all", status="suppressed",
                         rule="", n_cells=n_sup, n_cells_column=n_all,
                         share=n_sup / n_all if n_all else 0.0))
    audit = pd.DataFrame(rows, columns=["table", "column", "role", "status", "rule", "n_cells",
                                        "n_cells_column", "share"])
    for k, v in rules.as_columns().items():
        audit[k] = v
    audit["attack_passed"] = passed
    audit["method"] = ("kpz_analytics.methods.disclosure: threshold/nk/p-ratio as ACRO 1.0.2; "
                       "complementary suppression audited by LP attack (HiGHS)")
    return audit


# --------------------------------------------------------------------------- public API
def protect(specs: Sequence[TableSpec] | TableSpec, threshold: int = DEFAULT_THRESHOLD, *,
            show_zeros: bool = True, min_width: int | None = None, nk_n: int = DEFAULT_NK_N,
            nk_k: float = DEFAULT_NK_K, p_ratio: float = DEFAULT_P_RATIO) -> ProtectedSet:
    """Protect all tables of one publication together; refuse if the result can be attacked.

    Parameters
    ----------
    specs : every table published together (one report, one export). Tables published
        separately may be protected separately only if no reader can combine them.
    threshold : smallest person count that may be shown (default 10).
    show_zeros : show a true zero (default). False suppresses zeros too, as ACRO does by
        default; hidden cells are then no longer known to be at least 1.
    min_width : width in persons that the feasible interval of every suppressed count must
        reach (default ``ceil(threshold / 2)``; capped at what the marker allows,
        ``threshold - 1 - floor``).
    nk_n, nk_k, p_ratio : dominance rules for magnitude cells (ACRO defaults 2, 0.90, 0.10).

    Returns
    -------
    ProtectedSet
        ``tables`` (values of suppressed cells missing, ``<column>_status`` beside each
        protected and derived column), ``audit`` (cells per table, column and status; share
        suppressed; rule; parameters; ``attack_passed``), ``rules`` and ``specs``.

    Raises
    ------
    KpzError
        Person-level or undeclared input, contradictory declarations, a cell that cannot be
        protected whatever is suppressed, or (never expected) a result that fails
        :func:`attack`.
    """
    rules = Rules(threshold=threshold, show_zeros=show_zeros, min_width=min_width, nk_n=nk_n,
                  nk_k=nk_k, p_ratio=p_ratio)
    specs = [specs] if isinstance(specs, TableSpec) else list(specs)
    if not specs:
        raise ParameterError("protect() needs at least one table")
    model = _Model(specs, rules)
    status, reasons, upl = _primary(model, rules)
    suppressor = _Suppressor(model, status, rules, upl)
    suppressor.run()
    status = suppressor.status

    tables, why = {}, {}
    status_of = np.array(status, dtype=object)
    for spec in specs:
        statuses: dict[str, np.ndarray] = {}
        n = len(spec.data)
        for col in spec.protected_columns:
            keys = model.column_keys[(spec.name, col)]
            statuses[col] = status_of[keys]
            rs = np.full(n, "", dtype=object)
            for r, k in enumerate(keys.tolist()):
                if k in reasons:
                    rs[r] = "; ".join(ACRO_CHECK.get(x, x) for x in reasons[k])
            why[(spec.name, col)] = rs
        for col in spec.derived:
            hidden = np.zeros(n, dtype=bool)
            for src in spec.sources(col):
                hidden |= np.isin(statuses[src], list(SUPPRESSED))
            statuses[col] = np.where(hidden, "derived", "shown").astype(object)
        tables[spec.name] = _apply_marks(spec, statuses)
    bare = [_replace(s, data=s.data.reset_index(drop=True)) for s in specs]
    # attack(ProtectedSet(tables, ..., specs=bare)), on the model already built from them
    check = _attack(model, bare, tables, rules)
    passed = bool(check["protected"].all()) if len(check) else True
    if not passed:
        bad = check[~check["protected"]].iloc[0]
        raise KpzError(f"refusing to publish: cell {bad['cell']} of table {bad['table']} "
                       f"can be narrowed to {bad['feasible_min']}-{bad['feasible_max']}")
    audit = _audit(bare, tables, rules, passed=passed, reasons_by_cell=why)
    return ProtectedSet(tables=tables, audit=audit, rules=rules, specs=tuple(bare))


def attack(published: ProtectedSet | Sequence[ProtectedSet]) -> pd.DataFrame:
    """Try to recover every suppressed cell of a publication; report how far each one gives.

    The publication is what the tables in ``published`` show: their values, their status
    columns, and the relations that hold between them (see the module docstring). One or
    more :class:`ProtectedSet` may be given: tables protected separately but published
    together are attacked together. A value hidden in one table but shown in another, or a
    derived value (rate, interval) shown while its count is hidden, is known to the attacker.

    Returns
    -------
    pandas.DataFrame
        One row per suppressed count or magnitude cell that needs protection (``primary`` and
        ``dominance``) in each table that publishes it: ``table``, ``cell`` (its dimension
        values), ``column``, ``status``, ``true_value``, ``feasible_min``, ``feasible_max``,
        ``required`` (the protection requirement in words) and ``protected``. It contains
        true values: an internal audit, never to be published.
    """
    sets = [published] if isinstance(published, ProtectedSet) else list(published)
    if not sets:
        raise ParameterError("attack() needs a publication")
    rules = sets[0].rules
    if any(s.rules != rules for s in sets):
        raise ParameterError("the protected sets were made with different rules")
    specs = [s for ps in sets for s in ps.specs]
    tables = {k: v for ps in sets for k, v in ps.tables.items()}
    return _attack(_Model(specs, rules), specs, tables, rules)


def _attack(model: _Model, specs: Sequence[TableSpec], tables: Mapping[str, pd.DataFrame],
            rules: Rules) -> pd.DataFrame:
    """:func:`attack` on the model of ``specs``; ``tables`` are what is published."""
    _, _, upl = _primary(model, rules)
    n = len(model.keys)
    shown = np.zeros(n, dtype=bool)  # the attacker sees the value somewhere
    hidden_as: dict[int, set[str]] = defaultdict(set)
    marks: dict[tuple[str, str], np.ndarray] = {}
    suppressed = list(SUPPRESSED)
    for spec in specs:
        t = tables[spec.name]
        revealed = {col: np.zeros(len(t), dtype=bool) for col in spec.protected_columns}
        for col in spec.derived:  # a shown rate or interval reveals the counts it comes from
            shown_rows = (t[f"{col}_status"] == "shown").to_numpy()
            for src in spec.sources(col):
                revealed[src] |= shown_rows & t[f"{src}_status"].isin(SUPPRESSED).to_numpy()
        for col in spec.protected_columns:
            keys = model.column_keys[(spec.name, col)]
            st = marks[(spec.name, col)] = t[f"{col}_status"].to_numpy(dtype=object)
            unknown = ~np.isin(st, list(STATUSES))
            if unknown.any():
                raise KpzError(f"table {spec.name!r}: unknown status {st[unknown][0]!r}")
            hidden = np.isin(st, suppressed) & ~revealed[col]
            shown[keys[~hidden]] = True
            for k, mark in zip(keys[hidden].tolist(), st[hidden].tolist()):
                hidden_as[k].add(mark)
    status: list[str | None] = [None] * n
    for i in np.flatnonzero(model.published):
        marks_i = hidden_as.get(i, set())
        if len(marks_i) > 1:
            raise KpzError(f"{model.describe(i)} carries different markers in different tables "
                           f"({', '.join(sorted(marks_i))})")
        status[i] = "shown" if shown[i] else next(iter(marks_i))
    # check the markers say what they claim
    for i in np.flatnonzero(model.published & model.integral):
        x = model.value[i]
        if status[i] == "primary" and not (rules.floor <= x <= rules.threshold - 1):
            raise KpzError(f"{model.describe(i)} is marked primary but holds {_fmt(x)}")
        if status[i] == "secondary" and x < rules.threshold:
            raise KpzError(f"{model.describe(i)} is marked secondary but holds {_fmt(x)}, "
                           "below the threshold the marker promises")
    # an attack on the suppressed cells; revealed ones are known exactly
    needs = {key: np.isin(st, ["primary", "dominance"]) for key, st in marks.items()}
    marked = {k for key, need in needs.items() for k in model.column_keys[key][need].tolist()}
    for i in marked:  # a magnitude marked by someone else: ask the single-contributor p-ratio
        if model.kind[i] == "magnitude" and i not in upl:
            upl[i] = rules.p_ratio * model.value[i]
    targets = sorted(marked)
    hidden_targets = [i for i in targets if not shown[i]]
    res = _run_attack(model, status, rules, upl, hidden_targets)
    rows = []
    for (table, column), need in needs.items():
        keys, st = model.column_keys[(table, column)], marks[(table, column)]
        labels = model.labels[table]
        for r in np.flatnonzero(need).tolist():
            i = int(keys[r])
            x = model.value[i]
            if shown[i]:
                lo = hi = x
                ok = False
            else:
                lo, hi, ok, _ = res[i]
            if model.kind[i] == "count":
                req = f"width >= {rules.required_width}"
            else:
                u = upl.get(i, 0.0)
                req = f"min <= {_fmt(max(0.0, x - u))} and max >= {_fmt(x + u)}"
            rows.append(dict(table=table, cell=labels[r], column=column, status=st[r],
                             true_value=x, feasible_min=lo, feasible_max=hi, required=req,
                             protected=bool(ok)))
    return pd.DataFrame(rows, columns=["table", "cell", "column", "status", "true_value",
                                       "feasible_min", "feasible_max", "required", "protected"])
