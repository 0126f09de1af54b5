"""The benchmark's parts measure what they say (no timing assertions: `make bench` reports)."""

from __future__ import annotations

import datetime as dt
import json
import sys

import duckdb
import pytest

from kpz_analytics.benchmark import bare, panel, run
from kpz_analytics.benchmark.measure import measure


def test_fit_exponent_recovers_a_power_law():
    xs = [1e6, 3e6, 1e7]
    assert run.fit_exponent(xs, [2 * x**1.0 for x in xs]) == pytest.approx(1.0)
    assert run.fit_exponent(xs, [5 * x**1.5 for x in xs]) == pytest.approx(1.5)
    assert run.fit_exponent([1e6], [3.0]) is None  # one scale: no growth to fit
    assert run.fit_exponent([1e6, 1e6], [3.0, 4.0]) is None


def test_measure_reports_the_childs_memory_and_failure(tmp_path):
    grab = "import numpy as np; a = np.ones(40_000_000); print(a.sum())"  # 320 MB resident
    m = measure([sys.executable, "-c", grab], log_path=tmp_path / "ok.log")
    assert m.returncode == 0 and m.peak_rss_gb >= 0.3 and m.cpu_s > 0 and m.wall_s > 0
    assert "40000000.0" in (tmp_path / "ok.log").read_text()
    bad = measure([sys.executable, "-c", "raise SystemExit('stage broke')"], log_path=tmp_path / "bad.log")
    assert bad.returncode == 1 and "stage broke" in bad.tail


def test_measure_adds_up_processes_that_hold_memory_at_the_same_time(tmp_path):
    """Two grandchildren of 320 MB each, alive together for a second: the stage held ~640 MB,
    which the largest single process (the kernel's accounting) would give as ~320 MB."""
    grab = "import numpy as np, time; a = np.ones(40_000_000); time.sleep(1.5)"
    both = (f"import subprocess, sys; ps = [subprocess.Popen([sys.executable, '-c', {grab!r}]) for _ in range(2)]; "
            "[p.wait() for p in ps]")
    m = measure([sys.executable, "-c", both], log_path=tmp_path / "both.log")
    assert m.returncode == 0 and m.peak_rss_gb >= 0.6


def test_bare_pass_counts_person_months_of_all_claims(tmp_path):
    from extract_builder import build_extract, dot_line, insured, person, zvw_line

    from kpz_analytics.errors import KpzError

    tables = {
        "personen": [person("p1"), person("p2")],
        "verzekeringsperioden": [insured("p1"), insured("p2")],
        "dot": [dot_line("d1", "p1", begindatum="2020-02-01", einddatum="2020-03-10", bedrag="100.00"),
                dot_line("d2", "p1", begindatum="2020-02-20", einddatum="2020-02-21", bedrag="50.00")],
        "zvw_overig": [zvw_line("z1", "p2", begindatum="2020-05-01", einddatum="2020-05-31", bedrag="7")],
    }
    ext = build_extract(tmp_path, tables, fmt="parquet")
    rows = bare.bare_pass(ext, tmp_path / "bare.duckdb")
    assert rows == 2  # p1 x Feb 2020 x hospital (2 lines), p2 x May 2020 x zvw
    assert not (tmp_path / "bare.duckdb").exists()
    con = duckdb.connect()
    got = con.execute(f"select domain, n_lines, amount from ({bare.bare_pass_sql(ext)}) order by domain").fetchall()
    assert got == [("hospital", 2, 150.0), ("zvw", 1, 7.0)]
    (ext / "manifest.json").unlink()  # the manifest is read by the project's reader: a one-line error
    with pytest.raises(KpzError, match="manifest.json is missing"):
        bare.bare_pass(ext, tmp_path / "bare.duckdb")


@pytest.mark.parametrize("fmt, typed", [("parquet", True), ("parquet", False), ("csv", False)])
def test_panel_pass_builds_the_pipelines_person_month_panel(tmp_path, fmt, typed):
    """On a delivery with nothing to quarantine or net, the panel pass gives mart_person_month
    row for row: lines over several months and beyond the period, activities, meerzorg, an
    insurance gap and a death (months after it are not counted)."""
    from extract_builder import (activity, build_extract, dot_line, insured, municipal_line,
                                 period_population, person, wlz_line, zvw_line)

    from kpz_analytics.warehouse.ingest import ingest

    tables = {
        "personen": [person("p1"), person("p2", overlijdensdatum="2020-06-15", geboortemaand="2005-07")],
        "verzekeringsperioden": [insured("p1", einddatum="2020-05-31"), insured("p1", begindatum="2020-08-01"),
                                 insured("p2")],
        "populatie": period_population(),
        "dot": [dot_line("d1", "p1", begindatum="2019-12-20", einddatum="2020-02-10", bedrag="300.00"),
                dot_line("d2", "p2", specialisme="0301", instelling_type="algemeen",
                         begindatum="2020-05-20", einddatum="2020-07-02")],
        "dot_zorgactiviteiten": [activity("d1", datum="2020-01-05", aantal="2"), activity("d1", datum="2020-02-01"),
                                 activity("d2", zorgactiviteit_code="999999", datum="2020-06-01")],
        "zvw_overig": [zvw_line("z1", "p1", begindatum="2020-04-15", einddatum="2020-09-14"),
                       zvw_line("z2", "p1", zorgsoort="intensieve_kindzorg", begindatum="2020-04-01",
                                einddatum="2020-04-01", aantal="3.5", bedrag="100")],
        "wlz_declaraties": [wlz_line("w1", "p2", meerzorg="1", begindatum="2020-05-01", einddatum="2020-07-31"),
                            wlz_line("w2", "p1", leveringsvorm="pgb")],
        "wmo": [municipal_line("m1", "p1", begindatum="2021-11-20", einddatum="2022-01-10")],
        "jeugdwet": [municipal_line("j1", "p2", productcategorie="45", product_code="45A01",
                                    begindatum="2020-03-01", einddatum="2020-06-30")],
    }
    ext = build_extract(tmp_path, tables, fmt=fmt, typed_parquet=typed)
    ingest(ext, warehouse=tmp_path / "w.duckdb", progress=False)
    order = "order by persoon_id, month, domain, subdomain, financing, institution_type"
    warehouse = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    expected = warehouse.execute(f"select * from mart_person_month {order}").fetchall()
    warehouse.close()
    con = duckdb.connect()
    figures = panel.build_panel(con, ext)
    got = con.execute(f"select * from mart_person_month {order}").fetchall()
    assert figures["parts"] == 1 and len(expected) > 12
    assert got == expected
    assert ("p2", dt.date(2020, 7, 1)) not in {(r[0], r[1]) for r in got}  # after the death month


def test_panel_pass_names_a_missing_column(tmp_path):
    from extract_builder import build_extract, minimal_tables

    from kpz_analytics.errors import KpzError

    ext = build_extract(tmp_path, minimal_tables(), fmt="parquet")
    zvw = ext / "zvw_overig.parquet"
    duckdb.execute(f"copy (select * exclude (leveringsvorm) from '{zvw}') to '{tmp_path / 'z.parquet'}' (format parquet)")
    (tmp_path / "z.parquet").replace(zvw)
    with pytest.raises(KpzError, match="zvw_overig.parquet has no column.s. leveringsvorm"):
        panel.panel_pass(ext, tmp_path / "panel.duckdb")
    assert not (tmp_path / "panel.duckdb").exists()
    with pytest.raises(KpzError, match="does not exist"):  # the manifest is read by the project's reader
        panel.panel_pass(tmp_path / "nowhere", tmp_path / "panel.duckdb")


def test_benchmark_notices_code_edited_during_a_run(tmp_path, monkeypatch):
    """The result cache keys entries by the code: the benchmark's digest must be computed afresh
    at every check, not once per process, or an edit between two stages goes unseen."""
    from kpz_analytics import config

    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "m.py").write_text("x = 1\n")
    monkeypatch.setattr(config, "PACKAGE_DIR", tmp_path / "pkg")
    monkeypatch.setattr(config, "SQL_DIR", tmp_path / "sql")
    before = run._code()
    assert run._code() == before
    (tmp_path / "pkg" / "m.py").write_text("x = 2\n")
    assert run._code() != before


def test_summary_lists_stages_ratios_and_targets():
    doc = {
        "started_at": "t0", "finished_at": "t1", "load_start": 1.0, "load_end": 2.0, "repeats": 3,
        "machine": {"cores": 2, "memory_gb": 24, "cpu": "x", "python": "3.11", "duckdb": "2",
                    "duckdb_threads": 2, "duckdb_memory_limit": "4GB"},
        "results": [{
            "scale": 1.0, "claim_lines": 1000,
            "bare_pass": {"median_wall_s": 10.0, "median_cpu_s": 15.0, "max_peak_rss_gb": 1.0},
            "panel_pass": {"wall_s": 20.0, "cpu_s": 36.0, "peak_rss_gb": 2.0, "rows_per_s": 50, "ratio_to_bare": 2.0,
                           "cpu_ratio_to_bare": 2.4, "rows": 2100, "parts": 1, "copy_s": 5.0, "panel_s": 15.0},
            "stages": {"synth": {"wall_s": 50.0, "cpu_s": 50.0, "peak_rss_gb": 1.5, "rows_per_s": 20,
                                 "ratio_to_bare": 5.0, "reused": True},
                       "ingest": {"wall_s": 30.0, "cpu_s": 50.0, "peak_rss_gb": 3.0, "rows_per_s": 33,
                                  "ratio_to_bare": 3.0, "cpu_ratio_to_bare": 3.33},
                       "transition": {"status": "not available", "reason": "no command"},
                       "report": {"status": "failed", "reason": "exit 1: ImportError"}},
            "pipeline": {"stages": ["ingest"], "wall_s": 30.0, "cpu_s": 50.0, "peak_rss_gb": 3.0,
                         "ratio_to_bare": 3.0, "ratio_to_panel": 1.5, "failed": ["report"]},
            "code_changed_after": "transition",
        }],
    }
    doc["growth"] = run._growth(doc["results"])
    doc["targets"] = run._targets(doc["results"], doc["growth"])
    text = run.summary_markdown(doc)
    assert "| 1 | | ingest | 30.0 | 50.0 | 3.00 | 33 | 3.0 | 3.3 |" in text
    assert "synth (reused extract)" in text and "no command" in text
    assert ("| 1 | | **panel pass** (copy 5 s + panel 15 s, 1 part, 2,100 rows) | 20.0 | 36.0 | 2.00 | 50 | 2.0 | 2.4 |"
            in text)
    assert "| 1 | | **pipeline** (ingest; 1.5 panel passes) | 30.0 |" in text
    assert "code changed during this run, noticed after transition" in text
    met = {t["target"]: t["met"] for t in doc["targets"]}
    assert met["pipeline / bare pass at scale 1"] is True and met["peak RSS synth (largest, at scale 1)"] is True
    assert met["stage report runs"] is False and "failed: exit 1: ImportError" in text
    json.dumps(doc)  # results.json is plain JSON


def test_results_of_several_runs_merge_by_scale(tmp_path):
    """`kpz bench --scales 1` after a run of the small scales: one results.json, growth over all."""
    def result(scale, lines, wall, cpu):
        stage = {"wall_s": wall, "cpu_s": cpu, "peak_rss_gb": 1.0, "rows_per_s": 1, "ratio_to_bare": 5.0}
        return {"scale": scale, "claim_lines": lines, "stages": {"ingest": dict(stage)},
                "bare_pass": {"median_wall_s": wall / 5, "median_cpu_s": cpu / 5, "max_peak_rss_gb": 0.5},
                "pipeline": {"stages": ["ingest"], "wall_s": wall, "cpu_s": cpu, "peak_rss_gb": 1.0,
                             "ratio_to_bare": 5.0, "failed": []}}
    base = {"started_at": "t0", "machine": {}, "repeats": 1}
    run._write(base | {"results": [result(0.1, 10**7, 100.0, 50.0)]}, tmp_path)
    merged = run._write(base | {"started_at": "t1", "results": [result(1.0, 10**8, 1000.0, 500.0)]}, tmp_path)
    assert [r["scale"] for r in merged["results"]] == [0.1, 1.0]
    assert merged["growth"]["ingest"]["cpu_exponent"] == pytest.approx(1.0)
    again = run.summarise(tmp_path)
    assert [r["scale"] for r in again["results"]] == [0.1, 1.0]
    assert "| ingest (2 scales) | 1.00 | 1.00 | 0.00 |" in (tmp_path / "summary.md").read_text()


@pytest.mark.slow
def test_benchmark_end_to_end_on_a_tiny_scale(tmp_path):
    doc = run.run_benchmark([0.002], repeats=1, out_dir=tmp_path / "bench", data_dir=tmp_path / "data",
                            stages=("synth", "ingest", "marts"), progress=False)
    (r,) = doc["results"]
    assert {"synth", "ingest", "marts"} <= set(r["stages"])
    con = duckdb.connect(str(tmp_path / "data" / "processed" / "bench-population-s0.002.duckdb"), read_only=True)
    assert con.execute("select count(*) from mart_person_month").fetchone()[0] > 0  # marts stage built them
    con.close()
    assert r["pipeline"]["wall_s"] > 0 and r["bare_pass"]["median_wall_s"] > 0
    assert r["panel_pass"]["rows"] > 0 and r["panel_pass"]["ratio_to_bare"] > 0  # its own report, parsed
    assert r["pipeline"]["ratio_to_panel"] > 0
    assert (tmp_path / "bench" / "summary.md").exists() and (tmp_path / "bench" / "results.json").exists()
    # A second run reuses the extract and its recorded synth measurement.
    again = run.run_benchmark([0.002], repeats=1, out_dir=tmp_path / "bench", data_dir=tmp_path / "data",
                              stages=("synth",), progress=False)
    assert again["results"][0]["stages"]["synth"]["reused"] is True
