"""`kpz transition`: one-line errors for bad parameters, tables and provenance for a good run."""

from __future__ import annotations

import json

import pandas as pd
from typer.testing import CliRunner

from kpz_analytics.cli import app


def _run(args):
    return CliRunner().invoke(app, ["transition", *map(str, args)])


def test_bad_parameters_are_one_line_errors(small_warehouse, tmp_path):
    w = small_warehouse.warehouse
    for args, expected in (
        (["--gap-length", "0"], "gap_length must be 1 to gap_window"),
        (["--outcomes", "zorgval"], "unknown outcome zorgval"),
        (["--months-before", "200"], "does not fit in the extract period"),
        (["--found-by", "2"], "found_by must be an event month before 18"),
        (["--rd-outcomes", "nothing"], "unknown rd outcome nothing"),
    ):
        result = _run([w, "--out", tmp_path / "x", *args])
        assert result.exit_code == 2, (args, result.output)
        lines = [line for line in result.output.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], result.output
    result = _run([tmp_path / "missing.duckdb", "--out", tmp_path / "x"])
    assert result.exit_code == 2 and "does not exist" in result.output


def test_a_run_writes_every_table_with_provenance(small_warehouse, tmp_path):
    out = tmp_path / "transition"
    result = _run([small_warehouse.warehouse, "--out", out, "--rd-outcomes", "any_support",
                   "--outcomes", "any_support,adult_successor,jeugdwet_any,wmo_any,emergency"])
    assert result.exit_code == 0, result.output
    assert "had a gap of >= 3 months" in result.output
    for name in ("attrition", "event_time", "rd", "rate_ratio", "gap", "time_to_care", "hospital",
                 "episodes", "jeugdwet_wmo", "followup"):
        assert (out / f"transition_{name}.csv").exists(), name
    rd = pd.read_csv(out / "transition_rd.csv")
    assert set(rd["outcome"]) == {"any_support"} and set(rd["cohort"]) == {"llc", "comparison", "difference"}
    meta = json.loads((out / "transition_metadata.json").read_text())
    assert meta["parameters"]["gap_length"] == 3 and meta["libraries"]["rdrobust"] == "2.1.1"
    assert meta["extract_id"] and meta["git_commit"] and meta["requirements_lock_sha256"]
