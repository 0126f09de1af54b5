"""Opening a warehouse, and the design weights behind national figures from a cohort_sample."""

import duckdb
import pytest

from kpz_analytics.errors import KpzError
from kpz_analytics.warehouse.connect import connect, design_weight_sql


def test_connect_refuses_missing_and_foreign_files(tmp_path):
    with pytest.raises(KpzError, match="does not exist"):
        connect(tmp_path / "nope.duckdb")
    foreign = tmp_path / "other.duckdb"
    duckdb.connect(str(foreign)).execute("create table t as select 1").close()
    with pytest.raises(KpzError, match="not a kpz warehouse"):
        connect(foreign)


def test_design_weights_estimate_national_totals():
    con = duckdb.connect()
    con.execute("create table p as select * from (values (false), (false), (true), (null)) t(in_steekproef)")

    def total(meta):
        return con.execute(f"select sum({design_weight_sql(meta)}) from p").fetchone()[0]

    assert total({"design": "population"}) == 4
    # 3 persons outside the sample count once, 1 sampled person stands for 1 / 0.05 = 20
    assert total({"design": "cohort_sample", "sample_fraction": 0.05}) == pytest.approx(23.0)
    for bad in (None, 0, 1.5):
        with pytest.raises(KpzError, match="invalid sample_fraction"):
            design_weight_sql({"design": "cohort_sample", "sample_fraction": bad})
