"""kpz export: the prevalence tables through disclosure control, written and attacked as written."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from kpz_analytics.cli import app
from kpz_analytics.errors import KpzError
from kpz_analytics.methods.disclosure import TableSpec, protect
from kpz_analytics.reporting import exports, publish
from kpz_analytics.warehouse.connect import connect, extract_meta


@pytest.fixture(scope="module")
def meta(small_warehouse):
    con = connect(small_warehouse.warehouse)
    try:
        return extract_meta(con)
    finally:
        con.close()


@pytest.fixture(scope="module")
def published(prevalence_result):
    return publish.protect_prevalence(prevalence_result)


@pytest.fixture(scope="module")
def written(published, meta, tmp_path_factory):
    out = tmp_path_factory.mktemp("export") / "nza"
    return exports.write_export({"prevalence": published}, meta, {"prevalence": {"lookback": 2}}, out)


def test_every_shown_count_is_zero_or_at_least_the_threshold(written, published):
    out = written.out
    for spec in published.protected.specs:
        df = pd.read_csv(out / "prevalence" / f"{spec.name}.csv")
        for col in spec.counts:
            shown = df[f"{col}_status"].isin(["shown", "zero"])
            values = df.loc[shown, col]
            assert ((values == 0) | (values >= 10)).all(), (spec.name, col)
            hidden = ~shown
            assert df.loc[hidden, col].isna().all()
            # a rate or interval of a hidden count is hidden too
            for derived, sources in spec.derived.items():
                if col in ([sources] if isinstance(sources, str) else sources):
                    assert df.loc[hidden, derived].isna().all()
        assert {"extract_id", "manifest_sha256", "package_version", "git_commit"} <= set(df.columns)


def test_small_extract_needs_suppression_and_the_audit_says_how_much(written):
    audit = pd.read_csv(written.out / "audit.csv")
    total = audit[audit["status"] == "suppressed"].set_index("table")
    assert total.loc["prevalence_by_province", "n_cells"] > 0
    assert total.loc["prevalence_by_year", "n_cells"] == 0  # national totals are large
    assert np.allclose(total["share"], total["n_cells"] / total["n_cells_column"])
    # primary and complementary reasons both occur, and the log names every hidden cell
    assert {"primary", "secondary", "derived"} <= set(audit["status"])
    cells = pd.read_csv(written.out / "suppressed_cells.csv")
    assert len(cells) == total["n_cells"].sum()
    assert "true_value" not in pd.read_csv(written.out / "attack.csv").columns


def test_the_attack_ran_on_the_written_files_and_every_interval_is_wide_enough(written):
    attack = pd.read_csv(written.out / "attack.csv")
    assert len(attack) > 0 and attack["protected"].all()
    counts = attack[attack["required"].str.startswith("width")]
    assert (counts["width"] >= 5).all()


def test_workbook_has_dutch_sheets_toelichting_and_markers(written):
    book = pd.read_excel(written.out / exports.WORKBOOK, sheet_name=None)
    assert list(book)[:2] == ["toelichting", "onderdrukking"]
    assert "naar provincie" in book and "prevalentie per jaar" in book
    toelichting = book["toelichting"].set_index("onderwerp")["toelichting"]
    assert "synthetisch" in toelichting["gegevens"]
    assert "LET OP" in toelichting.index
    prov = book["naar provincie"]
    assert "Groningen" in set(prov["provincie"]) and "<10" in set(prov["aantal"].astype(str))


def test_tampered_export_is_refused_and_nothing_is_written(published, meta, tmp_path, monkeypatch):
    """A writer that puts a hidden count back is caught by reading the files back."""
    original = exports._csv_frame

    def leaky(df, stamp):
        out = original(df, stamp)
        if "provincie_code" in out and "n_cases" in out:
            truth = published.protected.specs[3].data.reset_index(drop=True)
            out["n_cases"] = truth["n_cases"].to_numpy()
        return out

    monkeypatch.setattr(exports, "_csv_frame", leaky)
    out = tmp_path / "leak"
    with pytest.raises(KpzError, match="suppressed value of n_cases is in the file"):
        exports.write_export({"prevalence": published}, meta, {}, out)
    assert not out.exists()


def test_dropped_complement_is_found_by_the_attack(published, meta, tmp_path):
    """Showing one complementary cell again makes a hidden count recoverable: refused."""
    ps = published.protected
    # the first table of counts per stratum with a complementary cell (which one depends on the
    # extract: with the period basis the small-extract pattern can put them all outside provinces)
    spec = next(s for s in ps.specs if "n_cases" in s.counts
                and (ps.tables[s.name]["n_cases_status"] == "secondary").any())
    table = ps.tables[spec.name].copy()
    truth = spec.data.reset_index(drop=True)
    secondary = np.flatnonzero(table["n_cases_status"].to_numpy() == "secondary")
    assert len(secondary) > 0
    r = secondary[0]
    table.loc[r, "n_cases"] = truth.loc[r, "n_cases"]
    for col in ["n_cases", *[d for d, src in spec.derived.items() if "n_cases" in ([src] if isinstance(src, str)
                                                                                   else src)]]:
        table.loc[r, f"{col}_status"] = "shown"
        table.loc[r, col] = truth.loc[r, col]
    leaky = publish.Published(tables={**published.tables, spec.name: table}, audit=published.audit,
                              headline={}, protected=ps.__class__(
                                  tables={**ps.tables, spec.name: table}, audit=ps.audit,
                                  rules=ps.rules, specs=ps.specs))
    with pytest.raises(KpzError, match="refusing to export: prevalence/"):
        exports.write_export({"prevalence": leaky}, meta, {}, tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_person_level_data_is_refused(published, meta, tmp_path):
    people = pd.DataFrame({"persoon_id": [f"P{i}" for i in range(20)], "jaar": 2024, "n": 1})
    with pytest.raises(KpzError, match="person-level column"):
        protect([TableSpec("people", people, dims=["persoon_id"], counts=["n"])])
    unprotected = publish.Published(tables={"people": people}, audit=pd.DataFrame(), headline={})
    with pytest.raises(KpzError, match="not a protected publication"):
        exports.write_export({"prevalence": unprotected}, meta, {}, tmp_path / "p")


def test_report_and_export_publish_the_same_pattern(prevalence_result, published):
    again = publish.protect_prevalence(prevalence_result)
    for name, df in published.protected.tables.items():
        status = [c for c in df.columns if c.endswith("_status")]
        pd.testing.assert_frame_equal(df[status], again.protected.tables[name][status])


def test_cli_export_errors_are_one_line(small_warehouse, tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["export", str(small_warehouse.warehouse), "--out", str(tmp_path / "e"),
                                 "--threshold", "1"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "error: threshold must be a whole number of at least 2, got 1"]
    result = runner.invoke(app, ["export", str(small_warehouse.warehouse), "--out", str(tmp_path / "e"),
                                 "--parts", "cost"])
    assert result.exit_code == 2 and "unknown export part(s) cost" in result.output
