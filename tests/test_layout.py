"""The package layout means something: imports run one way between the stage subpackages.

The rules live in ``pyproject.toml`` (``[tool.importlinter]``) and are checked with import-linter;
the second test proves the contracts catch a violation rather than passing vacuously.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import kpz_analytics

REPO = Path(__file__).resolve().parents[1]
PACKAGE = Path(kpz_analytics.__file__).resolve().parent
STAGES = ("extract", "warehouse", "cohorts", "methods", "analyses", "reporting", "synthetic", "validation",
          "benchmark")
TOP_LEVEL = {"__init__.py", "cli.py", "config.py", "errors.py", "provenance.py", "refdata.py"}


def _lint_imports(root: Path, src: Path) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("lint-imports")
    if not exe.exists():
        pytest.skip("import-linter is not installed (pip install -e '.[test]')")
    env = dict(os.environ, PYTHONPATH=str(src))
    return subprocess.run([str(exe), "--no-cache"], cwd=root, env=env, capture_output=True,
                          text=True, timeout=120)


def test_import_contracts_hold():
    result = _lint_imports(REPO, PACKAGE.parent)
    assert result.returncode == 0, result.stdout + result.stderr


def test_contracts_catch_violations(tmp_path):
    """A copy of the package with three forbidden imports must break three contracts."""
    src = tmp_path / "src"
    shutil.copytree(PACKAGE, src / "kpz_analytics", ignore=shutil.ignore_patterns("__pycache__", "*.csv"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    for module, line in (
        ("methods/rates.py", "from ..reporting import labels  # noqa"),      # methods -> reporting
        ("extract/spec.py", "from ..warehouse import connect  # noqa"),      # runs back up the flow
        ("synthetic/truth.py", "from ..extract import manifest  # noqa"),    # generator -> pipeline
    ):
        path = src / "kpz_analytics" / module
        path.write_text(path.read_text(encoding="utf-8") + "\n" + line + "\n", encoding="utf-8")
    result = _lint_imports(tmp_path, src)
    out = result.stdout
    assert result.returncode != 0
    assert "kpz_analytics.methods is not allowed to import kpz_analytics.reporting" in out
    assert "kpz_analytics.extract.spec -> kpz_analytics.warehouse" in out
    assert "kpz_analytics.synthetic is not allowed to import kpz_analytics.extract" in out


def test_every_stage_is_a_documented_subpackage():
    for stage in STAGES:
        init = PACKAGE / stage / "__init__.py"
        assert init.exists(), f"{stage}/ is not a subpackage"
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc and "import" in doc, f"{stage}/__init__.py must say what it owns and may import"


def test_no_modules_left_at_the_top():
    modules = {p.name for p in PACKAGE.glob("*.py")}
    assert modules == TOP_LEVEL, f"modules belong in a stage subpackage: {sorted(modules - TOP_LEVEL)}"
