"""File-level refusals: each problem refuses the whole extract with its own one-line message.

Every case starts from a valid extract (``minimal_tables``), breaks exactly one thing, and
checks the message names the file and the problem, and that no warehouse file is left behind.
"""

from __future__ import annotations

import duckdb
import pyarrow.parquet as pq
import pytest

from extract_builder import (
    build_extract, minimal_tables, person, read_manifest, refresh_manifest, sha256_of, write_manifest,
)
from kpz_analytics import cli
from kpz_analytics.errors import ExtractRefused
from kpz_analytics.warehouse.ingest import ingest


@pytest.fixture(autouse=True)
def _no_marts(monkeypatch):
    """Marts are another module's business (tests/test_marts.py); here they must not run."""
    monkeypatch.setattr("kpz_analytics.warehouse.marts.build_marts", lambda con, **_: None)


@pytest.fixture
def extract(tmp_path):
    return build_extract(tmp_path, minimal_tables())


def _refused(extract, tmp_path, match: str) -> str:
    target = tmp_path / "out" / "w.duckdb"
    with pytest.raises(ExtractRefused, match=match) as info:
        ingest(extract, warehouse=target, progress=False)
    message = str(info.value)
    assert "\n" not in message, "refusal messages are one line"
    # Nothing is loaded: no warehouse and no temporary files next to where it would be.
    assert not target.exists()
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []
    return message


def _manifest_edit(extract, **changes):
    m = read_manifest(extract)
    for k, v in changes.items():
        if v is None:
            m.pop(k)
        else:
            m[k] = v
    write_manifest(extract, m)


def test_valid_extract_is_accepted(extract, tmp_path):
    result = ingest(extract, warehouse=tmp_path / "w.duckdb", progress=False)
    assert result.warehouse.exists()
    assert result.dq_summary["rows_quarantined"].sum() == 0
    assert result.dq_summary["rows_in"].tolist() == [1, 1, 2] + [1] * 7  # populatie: 2020 and 2021


def test_missing_extract_directory(tmp_path):
    with pytest.raises(ExtractRefused, match="does not exist"):
        ingest(tmp_path / "nope", warehouse=tmp_path / "w.duckdb", progress=False)


def test_missing_manifest(extract, tmp_path):
    (extract / "manifest.json").unlink()
    _refused(extract, tmp_path, r"^manifest\.json is missing in ")


def test_manifest_not_json(extract, tmp_path):
    (extract / "manifest.json").write_text("{not json", encoding="utf-8")
    _refused(extract, tmp_path, r"^manifest\.json is not valid JSON")


@pytest.mark.parametrize("field", ["spec_version", "extract_id", "period_start", "period_end", "design", "files"])
def test_manifest_missing_field(extract, tmp_path, field):
    _manifest_edit(extract, **{field: None})
    _refused(extract, tmp_path, rf"^manifest\.json has no field '{field}'")


def test_wrong_spec_version(extract, tmp_path):
    _manifest_edit(extract, spec_version="2")
    _refused(extract, tmp_path, r"spec_version '2' is not supported")


def test_unknown_design(extract, tmp_path):
    _manifest_edit(extract, design="convenience")
    _refused(extract, tmp_path, r"unknown design 'convenience'")


def test_cohort_sample_needs_sample_fraction(extract, tmp_path):
    _manifest_edit(extract, design="cohort_sample")
    _refused(extract, tmp_path, r"sample_fraction None must be a number in \(0, 1\]")


def test_bad_period(extract, tmp_path):
    _manifest_edit(extract, period_start="2020-13-01")
    _refused(extract, tmp_path, r"period_start '2020-13-01' is not a date")
    _manifest_edit(extract, period_start="2022-01-01")
    _refused(extract, tmp_path, r"period_end 2021-12-31 is before period_start 2022-01-01")


def test_table_without_file_entry(extract, tmp_path):
    m = read_manifest(extract)
    del m["files"]["wmo"]
    write_manifest(extract, m)
    _refused(extract, tmp_path, r"lists no file for table 'wmo'")


def test_file_entry_without_sha(extract, tmp_path):
    m = read_manifest(extract)
    del m["files"]["dot"]["sha256"]
    write_manifest(extract, m)
    _refused(extract, tmp_path, r"files\.dot has no field 'sha256'")


def test_missing_file(extract, tmp_path):
    (extract / "zvw_overig.csv").unlink()
    _refused(extract, tmp_path, r"^zvw_overig\.csv: file is missing")


def test_checksum_mismatch(extract, tmp_path):
    path = extract / "dot.csv"
    path.write_text(path.read_text().replace("1500.00", "1500.01"), encoding="utf-8")
    _refused(extract, tmp_path, r"^dot\.csv: SHA-256 checksum does not match")


def test_row_count_mismatch(extract, tmp_path):
    m = read_manifest(extract)
    m["files"]["personen"]["rows"] = 2
    write_manifest(extract, m)
    _refused(extract, tmp_path, r"^personen\.csv: 1 data rows, but manifest\.json says 2")


def test_empty_file(extract, tmp_path):
    (extract / "wmo.csv").write_bytes(b"")
    m = refresh_manifest(extract, ["wmo"])
    m["files"]["wmo"]["rows"] = 0
    write_manifest(extract, m)
    _refused(extract, tmp_path, r"^wmo\.csv: file is empty \(no header row\)")


def test_header_only_when_rows_expected(extract, tmp_path):
    path = extract / "jeugdwet.csv"
    path.write_text(path.read_text().splitlines()[0] + "\n", encoding="utf-8")
    m = refresh_manifest(extract, ["jeugdwet"])
    m["files"]["jeugdwet"]["rows"] = 1  # the manifest still announces the row
    write_manifest(extract, m)
    _refused(extract, tmp_path, r"^jeugdwet\.csv: file has a header but no data rows")


@pytest.mark.parametrize("sep,label", [(",", "','"), ("\t", "a tab")])
def test_wrong_separator(extract, tmp_path, sep, label):
    path = extract / "personen.csv"
    path.write_text(path.read_text().replace(";", sep), encoding="utf-8")
    refresh_manifest(extract, ["personen"])
    _refused(extract, tmp_path, rf"^personen\.csv: separator is {label}, the spec requires ';'")


def test_wrong_encoding_in_data(extract, tmp_path):
    path = extract / "dot.csv"
    path.write_bytes(path.read_bytes().replace(b"H01", "Hôp".encode("latin-1")))
    refresh_manifest(extract, ["dot"])
    _refused(extract, tmp_path, r"^dot\.csv: not UTF-8 encoded \(first bad bytes on file line 2\)")


def test_wrong_encoding_in_header(extract, tmp_path):
    path = extract / "dot.csv"
    path.write_bytes(path.read_bytes().replace(b"instelling_id", "instelling_ïd".encode("latin-1")))
    refresh_manifest(extract, ["dot"])
    _refused(extract, tmp_path, r"^dot\.csv: header row is not UTF-8 encoded")


def test_bom_is_tolerated(extract, tmp_path):
    path = extract / "personen.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    refresh_manifest(extract, ["personen"])
    result = ingest(extract, warehouse=tmp_path / "w.duckdb", progress=False)
    assert result.dq_summary.set_index("file").loc["personen.csv", "rows_kept"] == 1


def test_missing_required_column(tmp_path):
    tables = minimal_tables()
    ext = build_extract(tmp_path, tables)
    path = ext / "wlz_declaraties.csv"
    lines = [line.split(";") for line in path.read_text().splitlines()]
    drop = lines[0].index("meerzorg")
    path.write_text("\n".join(";".join(c for i, c in enumerate(l) if i != drop) for l in lines) + "\n")
    refresh_manifest(ext, ["wlz_declaraties"])
    _refused(ext, tmp_path, r"^wlz_declaraties\.csv: missing column meerzorg")


def test_duplicate_header_column(extract, tmp_path):
    path = extract / "populatie.csv"
    text = path.read_text().splitlines()
    path.write_text(text[0] + ";aantal\n" + text[1] + ";5\n")
    refresh_manifest(extract, ["populatie"])
    _refused(extract, tmp_path, r"^populatie\.csv: column 'aantal' appears twice")


def test_truncated_file(tmp_path):
    tables = minimal_tables()
    tables["personen"].append(person("p2"))
    ext = build_extract(tmp_path, tables)
    path = ext / "personen.csv"
    data = path.read_bytes()
    path.write_bytes(data[: data.rindex(b";V;")])  # cut the last row, no line end
    refresh_manifest(ext, ["personen"])
    _refused(ext, tmp_path, r"^personen\.csv: file is truncated \(the last row, data row 2, is cut off")


def test_last_row_without_newline_is_fine(extract, tmp_path):
    path = extract / "personen.csv"
    path.write_bytes(path.read_bytes().rstrip(b"\n"))
    refresh_manifest(extract, ["personen"])
    result = ingest(extract, warehouse=tmp_path / "w.duckdb", progress=False)
    assert result.dq_summary["rows_quarantined"].sum() == 0


def test_unreadable_parquet(tmp_path):
    ext = build_extract(tmp_path, minimal_tables(), fmt={"dot": "parquet"})
    (ext / "dot.parquet").write_bytes(b"PAR1 this is not really parquet")
    m = read_manifest(ext)
    m["files"]["dot"]["sha256"] = sha256_of(ext / "dot.parquet")
    write_manifest(ext, m)
    _refused(ext, tmp_path, r"^dot\.parquet: not a readable Parquet file")


def test_parquet_missing_column(tmp_path):
    ext = build_extract(tmp_path, minimal_tables(), fmt={"zvw_overig": "parquet"})
    path = ext / "zvw_overig.parquet"
    table = pq.read_table(path)
    pq.write_table(table.drop(["leveringsvorm"]), path)
    refresh_manifest(ext, ["zvw_overig"])
    _refused(ext, tmp_path, r"^zvw_overig\.parquet: missing column leveringsvorm")


def test_file_with_unknown_format(extract, tmp_path):
    m = read_manifest(extract)
    m["files"]["wmo"]["path"] = "wmo.xlsx"
    write_manifest(extract, m)
    _refused(extract, tmp_path, r"files\.wmo\.path 'wmo\.xlsx': a table must be delivered as \.csv or \.parquet")


def test_extension_column_and_file_are_reported_not_refused(tmp_path, capsys):
    tables = minimal_tables()
    tables["dot"][0]["zorgtype"] = "11"  # a column spec v1 does not know
    ext = build_extract(tmp_path, tables)
    (ext / "extra.csv").write_text("a;b\n1;2\n")
    m = read_manifest(ext)
    m["files"]["extra"] = {"path": "extra.csv", "rows": 1, "sha256": "0" * 64}
    write_manifest(ext, m)
    result = ingest(ext, warehouse=tmp_path / "w.duckdb", progress=False)
    assert result.extensions.to_dict("records") == [
        {"file": "dot.csv", "column_name": "zorgtype"},
        {"file": "extra", "column_name": None},
    ]
    assert result.dq_summary["rows_quarantined"].sum() == 0
    assert "zorgtype" in capsys.readouterr().out
    con = duckdb.connect(str(result.warehouse), read_only=True)
    assert "zorgtype" not in [r[0] for r in con.execute("describe core_dot").fetchall()]
    assert con.execute("select count(*) from dq_extensions").fetchone()[0] == 2


def test_cli_prints_one_line_error(extract, tmp_path):
    from typer.testing import CliRunner

    _manifest_edit(extract, design="convenience")
    res = CliRunner().invoke(cli.app, ["ingest", str(extract), "--warehouse", str(tmp_path / "w.duckdb")])
    assert res.exit_code == 2
    assert "error: manifest.json: unknown design 'convenience'" in res.output
    assert "Traceback" not in res.output
