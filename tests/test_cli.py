"""The `kpz` command line: version, help, and one-line errors instead of tracebacks."""

import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from kpz_analytics import __version__
from kpz_analytics.cli import app

runner = CliRunner()


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"kpz-analytics {__version__}"
    assert __version__ != "0.0.0+unknown", "package metadata missing: is the package installed?"


def test_console_script_is_installed():
    kpz = Path(sys.executable).parent / "kpz"
    assert kpz.exists(), f"console script {kpz} missing"
    out = subprocess.run([str(kpz), "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("kpz-analytics ")


def test_bad_years_option_is_one_line_error(tmp_path):
    result = runner.invoke(app, ["synth", "--out", str(tmp_path / "x"), "--years", "2024-2015"])
    assert result.exit_code == 2
    assert "first year 2024 is after last year 2015" in result.output
    assert "Traceback" not in result.output


def test_missing_warehouse_is_one_line_error(tmp_path):
    result = runner.invoke(app, ["realism", str(tmp_path / "nope.duckdb")])
    assert result.exit_code == 2
    assert "does not exist" in result.output
    assert "Traceback" not in result.output
