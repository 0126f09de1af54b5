"""The warehouse SQL stays portable to the distributed engines a secure environment may offer.

Every model in ``sql/`` must parse as DuckDB SQL and transpile with sqlglot to Spark SQL and
Trino without an unsupported construct, and the result must parse again in that dialect. The
only functions sqlglot does not know are listed in ``DUCKDB_ONLY`` with what replaces them
elsewhere (``docs/scale.md``): a new DuckDB-only function fails this test until it is
documented there.
"""

from __future__ import annotations

from pathlib import Path

import pytest

sqlglot = pytest.importorskip("sqlglot")
from sqlglot import ErrorLevel, exp  # noqa: E402

from kpz_analytics import config  # noqa: E402

MODELS = sorted(Path(config.SQL_DIR).rglob("*.sql"))
DIALECTS = ("spark", "trino")
#: DuckDB-only constructs and their replacement on Spark / Trino (docs/scale.md).
DUCKDB_ONLY = {
    "hash": "person parts of mart_person_month: not needed on a distributed engine (drop the filter), "
            "else Spark `hash(x)`, Trino `xxhash64(to_utf8(x))`",
    # sql/transition (issue 13): parameters and month intervals
    "getvariable": "run parameter: Spark `${name}` variable substitution, Trino a prepared-statement parameter",
    "to_months": "month interval: `add_months(d, n)` (Spark) / `date_add('month', n, d)` (Trino)",
}


def _unknown_functions(tree) -> set[str]:
    return {a.name.lower() for a in tree.find_all(exp.Anonymous)}


def test_there_are_models():
    assert len(MODELS) >= 25
    assert {"staging", "core", "marts", "cohort"} <= {p.parent.name for p in MODELS}


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("path", MODELS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_model_transpiles(path, dialect):
    sql = path.read_text(encoding="utf-8")
    tree = sqlglot.parse_one(sql, read="duckdb")
    unknown = _unknown_functions(tree) - set(DUCKDB_ONLY)
    assert not unknown, f"{path.name}: DuckDB-only function(s) {sorted(unknown)}: document them in docs/scale.md"
    (out,) = sqlglot.transpile(sql, read="duckdb", write=dialect, unsupported_level=ErrorLevel.RAISE)
    sqlglot.parse_one(out, read=dialect)  # the translation is valid SQL of the target dialect


def test_the_check_catches_a_duckdb_only_function():
    tree = sqlglot.parse_one("select my_duckdb_extension_fn(x) from t", read="duckdb")
    assert _unknown_functions(tree) == {"my_duckdb_extension_fn"}
