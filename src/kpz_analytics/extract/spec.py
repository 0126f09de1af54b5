"""The extract contract (``shared/extract-spec.md``, v1) as data.

One place that says which tables an extract has, their columns, types and which values are
allowed. The synthetic generator writes to it and ingest validates against it, so the two
cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

SPEC_VERSION = "1"

# Column kinds. Validation maps each kind to a parse rule and a quarantine reason.
TEXT = "text"
DATE = "date"  # YYYY-MM-DD
MONTH = "month"  # YYYY-MM
DECIMAL = "decimal"  # decimal point, may be negative only on credit lines
INTEGER = "integer"
FLAG = "flag"  # "0" / "1"


# A declared hospital, Zvw or Wlz line covers at most a year: DBC/DOT subtrajecten close after
# 120 or at most 365 days, and other Zvw and Wlz care is declared per period of at most a year.
# Municipal lines (Wmo, Jeugdwet) may follow the decision (beschikking) they belong to, which
# runs for up to five years. A longer line (e.g. ending 9999-12-31) would spread its amount over
# the years it claims to cover (Table.max_line_days; reason `implausible`).
MAX_LINE_DAYS = 366
MAX_MUNICIPAL_LINE_DAYS = 1827


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = TEXT
    required: bool = True
    allowed: tuple[str, ...] | None = None  # closed set of values (reason `enum`)
    pattern: str | None = None  # regular expression the value must match (reason `enum`)
    signed_on_credit: bool = False  # negative only allowed on a credit line (reason `negative`)
    # Plausible range of a number (reason `enum` outside it; a value that is not a finite number
    # is `number`). The spec states only 0-99 for populatie.leeftijd; the other ranges are the
    # pipeline's (docs/ingest.md, "Plausible values").
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    # Rows sharing the key but differing in content are conflicts. One column, or several for
    # a table whose grain is a combination (a populatie cell is year x age x sex x province).
    key: str | tuple[str, ...] | None = None
    is_claims: bool = False  # has credit lines, period checks on begindatum/einddatum
    max_line_days: int = MAX_LINE_DAYS  # longest plausible claims line, in days (both ends counted)
    person_column: str | None = "persoon_id"  # checked against accepted personen rows
    grain: str = ""

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def key_columns(self) -> tuple[str, ...]:
        """The key as a tuple of column names (empty when the table has no key)."""
        if self.key is None:
            return ()
        return (self.key,) if isinstance(self.key, str) else tuple(self.key)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")


GESLACHT = ("M", "V", "O")
PROVINCIES = tuple(f"PV{n}" for n in range(20, 32))
LEVERINGSVORM_ZVW = ("zin", "pgb")
LEVERINGSVORM_WLZ = ("verblijf", "vpt", "mpt", "pgb")
ZORGSOORTEN = (
    "wijkverpleging", "intensieve_kindzorg", "medisch_kindzorgverblijf", "hulpmiddelen",
    "farmacie", "huisarts", "ggz", "paramedisch", "ziekenvervoer", "overig",
)
EENHEDEN = ("minuut", "uur", "dagdeel", "dag", "etmaal", "stuk", "euro")
INSTELLING_TYPES = ("umc", "algemeen", "categoraal")
GRONDSLAGEN = ("VG", "LG", "ZG", "SOM", "PSY")
FLAGS = ("0", "1")

_pid = Column("persoon_id")
_credit = Column("credit_voor_id", required=False)

# Plausible ranges (docs/ingest.md). An amount of more than EUR 10 million on one declared line
# is a corrupted value (the most expensive single treatments cost about EUR 2 million); the same
# bound holds for quantities, whose unit may be `euro` or `minuut` (a year has 525,600 minutes).
MAX_AMOUNT = 10_000_000
MAX_QUANTITY = 10_000_000
MAX_ACTIVITIES = 10_000  # activities of one code on one hospital line
MAX_CELL = 10_000_000  # persons in one populatie cell (a whole province has fewer than 4 million)
# Dates before FIRST_DATE or after LAST_DATE are no dates of this domain (year 0, the 9999-12-31
# "open end" placeholder: an open end is an empty field).
FIRST_DATE = "1900-01-01"
LAST_DATE = "2099-12-31"


def _amount(name: str = "bedrag") -> Column:
    return Column(name, DECIMAL, signed_on_credit=True, low=-MAX_AMOUNT, high=MAX_AMOUNT)


def _quantity(name: str) -> Column:
    return Column(name, DECIMAL, signed_on_credit=True, low=-MAX_QUANTITY, high=MAX_QUANTITY)


TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "personen",
            (
                Column("persoon_id"),
                Column("geboortemaand", MONTH),
                Column("geslacht", allowed=GESLACHT),
                Column("overlijdensdatum", DATE, required=False),
                Column("provincie_code", allowed=PROVINCIES),
                Column("gemeente_code", required=False, pattern=r"GM\d{4}"),
                Column("in_steekproef", FLAG, allowed=FLAGS),
            ),
            key="persoon_id",
            person_column=None,
            grain="one row per person",
        ),
        Table(
            "verzekeringsperioden",
            (_pid, Column("begindatum", DATE), Column("einddatum", DATE, required=False)),
            grain="one row per person per continuous insured period",
        ),
        Table(
            "populatie",
            (
                Column("jaar", INTEGER, low=1900, high=2099),
                Column("leeftijd", INTEGER, low=0, high=99),
                Column("geslacht", allowed=GESLACHT),
                Column("provincie_code", allowed=PROVINCIES),
                Column("aantal", INTEGER, low=-MAX_CELL, high=MAX_CELL),
            ),
            key=("jaar", "leeftijd", "geslacht", "provincie_code"),
            person_column=None,
            grain="one row per year x age x sex x province (insured on 1 July)",
        ),
        Table(
            "dot",
            (
                Column("declaratie_id"),
                _pid,
                Column("instelling_id"),
                Column("instelling_type", allowed=INSTELLING_TYPES),
                Column("specialisme", pattern=r"\d{4}"),
                Column("diagnose_code"),
                Column("icd10", required=False),
                Column("zorgproduct_code", pattern=r"\d{9}"),
                Column("begindatum", DATE),
                Column("einddatum", DATE),
                _amount(),
                _credit,
            ),
            key="declaratie_id",
            is_claims=True,
            grain="one row per declared DBC/DOT subtraject line",
        ),
        Table(
            "dot_zorgactiviteiten",
            (
                Column("declaratie_id"),
                Column("zorgactiviteit_code", pattern=r"\d{6}"),
                Column("datum", DATE),
                Column("aantal", INTEGER, low=-MAX_ACTIVITIES, high=MAX_ACTIVITIES),
            ),
            person_column=None,
            grain="one row per activity within a subtraject",
        ),
        Table(
            "zvw_overig",
            (
                Column("declaratie_id"),
                _pid,
                Column("zorgsoort", allowed=ZORGSOORTEN),
                Column("prestatie_code"),
                Column("begindatum", DATE),
                Column("einddatum", DATE),
                _quantity("aantal"),
                Column("eenheid", allowed=EENHEDEN),
                _amount(),
                Column("leveringsvorm", allowed=LEVERINGSVORM_ZVW),
                _credit,
            ),
            key="declaratie_id",
            is_claims=True,
            grain="one row per declared line of other Zvw care",
        ),
        Table(
            "wlz_indicaties",
            (
                Column("indicatie_id"),
                _pid,
                Column("zorgprofiel"),
                Column("grondslag", allowed=GRONDSLAGEN),
                Column("begindatum", DATE),
                Column("einddatum", DATE, required=False),
            ),
            key="indicatie_id",
            grain="one row per CIZ indication period",
        ),
        Table(
            "wlz_declaraties",
            (
                Column("declaratie_id"),
                _pid,
                Column("leveringsvorm", allowed=LEVERINGSVORM_WLZ),
                Column("prestatie_code"),
                Column("meerzorg", FLAG, allowed=FLAGS),
                Column("begindatum", DATE),
                Column("einddatum", DATE),
                _quantity("aantal"),
                Column("eenheid", allowed=EENHEDEN),
                _amount(),
                _credit,
            ),
            key="declaratie_id",
            is_claims=True,
            grain="one row per declared Wlz line",
        ),
        *(
            Table(
                law,
                (
                    Column("declaratie_id"),
                    _pid,
                    Column("gemeente_code", pattern=r"GM\d{4}"),
                    Column("productcategorie", pattern=r"\d{2}"),
                    Column("product_code"),
                    Column("begindatum", DATE),
                    Column("einddatum", DATE),
                    _quantity("volume"),
                    Column("eenheid", allowed=EENHEDEN),
                    _amount(),
                    Column("leveringsvorm", allowed=LEVERINGSVORM_ZVW),
                    _credit,
                ),
                key="declaratie_id",
                is_claims=True,
                max_line_days=MAX_MUNICIPAL_LINE_DAYS,
                grain=f"one row per declared {law} line",
            )
            for law in ("wmo", "jeugdwet")
        ),
    )
}

TABLE_ORDER: tuple[str, ...] = tuple(TABLES)  # personen first: other tables check persons
CLAIMS_TABLES: tuple[str, ...] = tuple(n for n, t in TABLES.items() if t.is_claims)

# Quarantine reasons of the spec; the pipeline may add its own (documented where raised).
QUARANTINE_REASONS = (
    "date", "period_order", "unknown_person", "enum", "negative", "missing",
    "out_of_period", "number", "conflict", "orphan_credit",
)

MANIFEST_FIELDS = ("spec_version", "extract_id", "period_start", "period_end", "design", "files")
DESIGNS = ("population", "cohort_sample")
CSV_SEPARATOR = ";"
