"""Render the analysis notebooks into Dutch HTML reports (papermill + nbconvert).

Notebooks live in ``notebooks/NN_name.ipynb`` (paired with a jupytext ``.py``). Each is executed
with papermill, parameters ``warehouse`` and ``results_dir`` injected, into
``reports/<extract_id>/NN_name.ipynb``, then converted to HTML without code cells.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import papermill as pm
from nbconvert import HTMLExporter
from tqdm import tqdm

from .. import config
from ..errors import KpzError
from ..warehouse.connect import connect, extract_meta


def notebooks(directory: Path = config.NOTEBOOKS_DIR) -> list[Path]:
    """The report notebooks in run order (``NN_*.ipynb``)."""
    found = sorted(p for p in directory.glob("[0-9][0-9]_*.ipynb"))
    if not found:
        raise KpzError(f"no notebooks NN_*.ipynb in {directory}")
    return found


def render_reports(
    warehouse: str | Path,
    out_dir: str | Path | None = None,
    only: list[str] | None = None,
) -> list[Path]:
    """Execute every report notebook on ``warehouse`` and write HTML next to the executed notebooks.

    Parameters
    ----------
    warehouse : path of a warehouse built by ``kpz ingest``.
    out_dir : where reports go; default ``reports/<extract_id>/``. Result tables go to
        ``out_dir/results/``.
    only : notebook stems to run (default: all).

    Returns the HTML paths written.
    """
    warehouse = Path(warehouse).resolve()
    con = connect(warehouse)
    extract_id = extract_meta(con)["extract_id"]
    con.close()
    out = Path(out_dir) if out_dir else config.REPORTS_DIR / extract_id
    results = out / "results"
    results.mkdir(parents=True, exist_ok=True)
    selected = [nb for nb in notebooks() if not only or nb.stem in only]
    written = []
    for nb in tqdm(selected, desc="rapporten", unit="notebook"):
        executed = out / nb.name
        pm.execute_notebook(
            str(nb), str(executed),
            parameters={"warehouse": str(warehouse), "results_dir": str(results)},
            cwd=str(nb.parent), progress_bar=False, kernel_name="python3",
        )
        html = out / f"{nb.stem}.html"
        exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True,
                                exclude_output_prompt=True)
        body, _ = exporter.from_notebook_node(nbformat.read(executed, as_version=4))
        html.write_text(body, encoding="utf-8")
        written.append(html)
    return written
