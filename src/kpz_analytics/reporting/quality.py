"""Data-quality overview of a warehouse: what came in, what was kept, what the marts hold.

Functions return tidy DataFrames of aggregates for the data-quality report
(``notebooks/01_data_quality``); nothing here returns person-level rows. The report's own
sentences and figure texts are in :data:`TEXT`, per language (``nl``, ``en``).
"""

from __future__ import annotations

import duckdb
import pandas as pd

from ..warehouse.connect import extract_meta
from . import labels
from .figures import number

#: Sentences, column names and figure texts of the data-quality report, per language.
TEXT = {
    "nl": {
        "meta_columns": ("veld", "waarde"), "size_columns": ("laag", "tabel", "rijen"),
        "summary": "{files} bestanden met samen {rows} rijen; {bad} rijen in quarantaine ({share}%).",
        "no_quarantine": "**Geen rijen in quarantaine.**",
        "domain": "domein", "care_x": "maand", "care_y": "personen met zorg (aantal)",
        "care_title": "Personen met zorg per maand",
        "age": "leeftijd", "count": "aantal", "sex": "geslacht",
        "pop_x": "leeftijd (jaren)", "pop_y": "verzekerden (aantal)", "pop_title": "Verzekerden op 1 juli {year}",
        "realism_note": "Rood: buiten het referentiebereik. Bij een geschaalde synthetische levering (minder dan de "
                        "hele bevolking) liggen aantallen per definitie buiten het landelijke bereik; percentages "
                        "en cijfers per 10.000 horen er wel binnen te vallen.",
    },
    "en": {
        "meta_columns": ("field", "value"), "size_columns": ("layer", "table", "rows"),
        "summary": "{files} files with {rows} rows in all; {bad} rows quarantined ({share}%).",
        "no_quarantine": "**No rows in quarantine.**",
        "domain": "domain", "care_x": "month", "care_y": "persons with care (number)",
        "care_title": "Persons with care per month",
        "age": "age", "count": "number", "sex": "sex",
        "pop_x": "age (years)", "pop_y": "insured persons (number)", "pop_title": "Insured persons on 1 July {year}",
        "realism_note": "Red: outside the reference range. In a scaled synthetic extract (smaller than the whole "
                        "population) counts are outside the national range by design; percentages and rates per "
                        "10,000 should still fall within it.",
    },
}


def _tables(con: duckdb.DuckDBPyConnection, prefix: str) -> list[str]:
    rows = con.execute(
        "select table_name from information_schema.tables where table_name like ? order by 1",
        [f"{prefix}%"],
    ).fetchall()
    return [r[0] for r in rows]


def meta_table(con: duckdb.DuckDBPyConnection, language: str = "nl") -> pd.DataFrame:
    """The extract's metadata as a two-column table (field, value), labelled in ``language``."""
    rows = []
    for k, v in extract_meta(con).items():
        value = "" if v is None else str(v)
        if k == "design":
            value = labels.label(labels.DESIGN, value, language)
        rows.append((labels.label(labels.META_FIELD, k, language), value))
    return pd.DataFrame(rows, columns=list(TEXT[language]["meta_columns"]))


def dq_summary(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Rows in/kept/quarantined per file, with the row-count reconciliation checked."""
    df = con.execute("select * from dq_summary order by file").df()
    bad = df[df["rows_in"] != df["rows_kept"] + df["rows_quarantined"]]
    if not bad.empty:
        raise AssertionError(f"dq_summary does not reconcile for {', '.join(bad['file'])}")
    return df


def summary_text(dq: pd.DataFrame, language: str = "nl") -> str:
    """One sentence on a :func:`dq_summary` table: files, rows, rows quarantined and their share."""
    n_in, n_bad = int(dq["rows_in"].sum()), int(dq["rows_quarantined"].sum())
    return TEXT[language]["summary"].format(
        files=len(dq), rows=number(n_in, 0, language), bad=number(n_bad, 0, language),
        share=number(100 * n_bad / n_in if n_in else 0, 2, language))


def quarantine_by_reason(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Quarantined rows per file and reason."""
    return con.execute("select * from dq_quarantine_by_reason order by file, reason").df()


def table_sizes(con: duckdb.DuckDBPyConnection, language: str = "nl") -> pd.DataFrame:
    """Row counts of every core and mart table (layer, table, rows); layer and columns in ``language``."""
    out = []
    for layer in ("core_", "mart_"):
        for name in _tables(con, layer):
            n = con.execute(f'select count(*) from "{name}"').fetchone()[0]
            out.append((labels.label(labels.LAYER, layer.rstrip("_"), language), name, n))
    return pd.DataFrame(out, columns=list(TEXT[language]["size_columns"]))


def care_per_month(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Persons with care and cost per calendar month and domain (``mart_persons_per_month``,
    the rollup of ``mart_person_month`` the marts build)."""
    return con.execute(
        """
        select month, domain, persons, cost
        from mart_persons_per_month
        order by month, domain
        """
    ).df()


def population_by_age(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Insured population on 1 July per year and age (from ``mart_denominator``)."""
    return con.execute(
        """
        select jaar, leeftijd, geslacht, sum(aantal) as aantal
        from mart_denominator
        group by jaar, leeftijd, geslacht
        order by jaar, leeftijd, geslacht
        """
    ).df()
