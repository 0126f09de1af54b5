"""End to end, as `make report` runs it: synthetic extract -> ingest -> realism -> Dutch HTML reports."""

from __future__ import annotations

import pytest

from conftest import SCALE
from kpz_analytics.reporting import realism
from kpz_analytics.warehouse.connect import connect


@pytest.fixture(scope="module")
def warehouse(small_warehouse):
    return small_warehouse


def test_generated_extract_is_ingested_without_quarantine(warehouse):
    dq = warehouse.dq_summary
    assert len(dq) == 10
    assert (dq["rows_quarantined"] == 0).all()
    assert (dq["rows_in"] == dq["rows_kept"]).all()
    assert dq["rows_in"].sum() > 100_000


def test_realism_figures_from_the_extract_alone(warehouse):
    con = connect(warehouse.warehouse)
    values = realism.figures(con, 2022)
    values.update(realism._case_figures(con, 2022))
    con.close()
    # national equivalents of a 5 % scale extract against the primer's reference ranges
    assert 3.6e6 < values["population_0_19"] / SCALE < 4.0e6
    assert 25 < values["llc_rate"] < 80
    assert 3_000 < values["need"] / SCALE < 10_000
    assert values["deaths_0_19"] > 0 and 0 <= values["deaths_under1_share"] <= 1
    assert 0.05 < values["jeugdwet_after_18"] < 0.6
    assert 0 < values["pgb_share"] < 1
    table = realism.realism_table(warehouse.warehouse, year=2022)
    assert list(table.columns) == ["kengetal", "levering 2022", "referentie", "binnen referentie", "bron"]
    # a 5 % extract has 5 % of the national population: flagged, not silently shown
    flags = table.set_index("kengetal")["binnen referentie"]
    assert flags["bevolking 0-19 jaar (1 juli)"] == "nee"
    assert flags["aandeel pgb in kosten Wlz, Wmo en Jeugdwet"] == "–"
    assert set(flags) <= {"ja", "nee", "–"}
    assert len(table) == len(realism.REFERENCE)
    assert not table["levering 2022"].str.contains("nan").any()


def test_realism_rejects_year_outside_extract(warehouse):
    from kpz_analytics.errors import KpzError

    with pytest.raises(KpzError, match="outside the extract period 2019-2024"):
        realism.realism_table(warehouse.warehouse, year=2010)
