"""Render the analysis notebooks into self-contained HTML reports, with an index page.

Notebooks live in ``notebooks/NN_name.ipynb`` (paired with a jupytext ``.py``). Each is executed
with papermill into ``reports/<extract_id>/NN_name.ipynb`` and converted to HTML without code
cells; ``reports/<extract_id>/index.html`` links them with the summary each report gives of
itself (the output of its cell tagged ``summary``).

Three guarantees:

- **The kernel is this environment.** Notebooks run on a kernel started from the Python that
  runs ``kpz`` (``sys.executable``), never on whichever kernelspec called ``python3`` Jupyter
  finds first. The kernel talks over local IPC sockets (files ``kernel-ipc-<n>`` in the
  notebooks' folder, the kernel's working directory, removed when it stops), not over TCP, so no
  port is opened and nothing travels in plain text over the network stack.
- **The HTML is self-contained.** No script, style sheet, font or image is loaded from
  anywhere: the template drops require.js, MathJax and Mermaid (the reports use none of them),
  figures are embedded PNGs with a description (``alt``) in the report's language, the page has ``lang`` and a
  real ``<title>``.
- **Failures are one line.** A failing cell stops the run with :class:`KpzError` naming the
  notebook, the cell and the error; the executed notebook is kept for inspection.

Cells tagged ``lang-nl`` or ``lang-en`` are kept only in reports of that language (parameter
``language``), so one notebook renders both Dutch and English reports.
"""

from __future__ import annotations

import datetime as _dt
import html as _html
import re
import sys
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager
from nbconvert import HTMLExporter
from nbconvert.filters.markdown import markdown2html_mistune
from tqdm import tqdm

from .. import config
from ..errors import KpzError
from ..warehouse.connect import connect, extract_meta
from . import header

TEMPLATES = Path(__file__).resolve().parent / "templates"
LANGUAGES = ("nl", "en")
SUMMARY_TAG = "summary"


class ProjectKernelManager(AsyncKernelManager):
    """A kernel manager that starts ``sys.executable -m ipykernel_launcher`` over IPC.

    The kernelspec is built here instead of looked up by name, so another Jupyter on the
    machine (a user-level ``python3`` kernelspec pointing at another environment) cannot
    change which Python runs the reports.
    """

    #: File that receives the kernel process's own log (start, interrupt at shutdown, ...);
    #: the notebook's outputs, warnings and errors are in the executed notebook.
    kernel_log: Path | None = None

    def __init__(self, **kwargs):
        kwargs.setdefault("transport", "ipc")
        super().__init__(**kwargs)
        self._kernel_spec = project_kernel_spec()

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        if self.kernel_log is not None:
            kw.setdefault("stderr", open(self.kernel_log, "ab"))  # noqa: SIM115 - owned by the kernel
            kw.setdefault("stdout", kw["stderr"])
        return await super()._async_launch_kernel(kernel_cmd, **kw)

    @property
    def kernel_spec(self) -> KernelSpec:  # noqa: D102 - see class docstring
        if self._kernel_spec is None:
            self._kernel_spec = project_kernel_spec()
        return self._kernel_spec


def project_kernel_spec() -> KernelSpec:
    """The kernelspec of this environment: its own Python, ipykernel, quiet debugger."""
    return KernelSpec(
        argv=[sys.executable, "-Xfrozen_modules=off", "-m", "ipykernel_launcher", "-f",
              "{connection_file}"],
        display_name=f"kpz-analytics ({sys.executable})", language="python",
        env={"PYDEVD_DISABLE_FILE_VALIDATION": "1"}, metadata={"debugger": False},
    )


def notebooks(directory: Path = config.NOTEBOOKS_DIR) -> list[Path]:
    """The report notebooks in run order (``NN_*.ipynb``)."""
    if not directory.is_dir():
        raise KpzError(f"no notebooks directory {directory}: kpz report runs from a checkout of "
                       "kpz-analytics (or set KPZ_HOME to one)")
    found = sorted(p for p in directory.glob("[0-9][0-9]_*.ipynb"))
    if not found:
        raise KpzError(f"no notebooks NN_*.ipynb in {directory}")
    return found


def _for_language(nb: nbformat.NotebookNode, language: str) -> nbformat.NotebookNode:
    """Drop the cells tagged for another language (``lang-en`` in a Dutch report, ...)."""
    other = {f"lang-{lang}" for lang in LANGUAGES if lang != language}
    nb.cells = [c for c in nb.cells if not other & set(c.get("metadata", {}).get("tags", []))]
    return nb


def _has_language(nb_path: Path, language: str) -> bool:
    """Whether a notebook carries text in ``language``: Dutch always, others by tagged cells."""
    if language == "nl":
        return True
    nb = nbformat.read(nb_path, as_version=4)
    return any(f"lang-{language}" in c.get("metadata", {}).get("tags", []) for c in nb.cells)


def _parameters(nb: nbformat.NotebookNode) -> set[str]:
    """Names assigned in the cell tagged ``parameters``."""
    for cell in nb.cells:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            return set(re.findall(r"^([A-Za-z_]\w*)\s*=", cell.source, flags=re.M))
    return set()


def _execute(nb_path: Path, executed: Path, parameters: dict, language: str) -> None:
    """Run one notebook with papermill on the project kernel; a failure becomes one line."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    nb = _for_language(nbformat.read(nb_path, as_version=4), language)
    known = _parameters(nb)
    unknown = sorted(set(parameters) - known)
    if unknown:
        raise KpzError(f"{nb_path.name} has no parameter(s) {', '.join(unknown)} "
                       f"(its parameters: {', '.join(sorted(known)) or 'none'})")
    try:
        pm.execute_notebook(
            nb, str(executed), parameters=parameters, cwd=str(nb_path.parent),
            progress_bar=False, kernel_name="python3", log_output=False,
            kernel_manager_class=type("ReportKernelManager", (ProjectKernelManager,),
                                      {"kernel_log": executed.with_suffix(".kernel.log")}),
        )
    except PapermillExecutionError as exc:
        first = (str(exc.evalue).strip().splitlines() or [""])[0]
        raise KpzError(f"{nb_path.name}: cell {exc.cell_index} (In [{exc.exec_count}]) failed: "
                       f"{exc.ename}: {first}; the executed notebook is kept at {executed}") from None
    except Exception as exc:  # kernel died, timed out, could not start
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise KpzError(f"{nb_path.name}: the notebook could not be executed ({type(exc).__name__}: "
                       f"{first}); what ran is kept at {executed}") from None


def title_of(nb: nbformat.NotebookNode) -> str:
    """The report's title: the first level-1 heading of a markdown cell, without markup."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            m = re.search(r"^#\s+(.+)$", cell.source, flags=re.M)
            if m:
                return re.sub(r"[*_`]", "", m.group(1)).strip()
    return "Rapport"


def summary_of(nb: nbformat.NotebookNode) -> str:
    """The Markdown a report gives of itself: the outputs of its cell tagged ``summary``.

    Falls back to the first paragraph of the first markdown cell after its title.
    """
    for cell in nb.cells:
        if cell.cell_type == "code" and SUMMARY_TAG in cell.get("metadata", {}).get("tags", []):
            texts = [o.get("data", {}).get("text/markdown") for o in cell.get("outputs", [])]
            texts = [t if isinstance(t, str) else "".join(t) for t in texts if t]
            if texts:
                return "\n\n".join(texts)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            paragraphs = [p.strip() for p in re.split(r"\n\s*\n", cell.source)
                          if p.strip() and not p.lstrip().startswith("#")]
            if paragraphs:
                return paragraphs[0]
    return ""


def to_html(executed: Path, language: str = "nl") -> tuple[str, str, str]:
    """Convert an executed notebook into self-contained HTML; returns (html, title, summary)."""
    nb = nbformat.read(executed, as_version=4)
    title = title_of(nb)
    exporter = HTMLExporter(template_name="kpz", extra_template_basedirs=[str(TEMPLATES)],
                            exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True, language_code=language)
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    return body, title, summary_of(nb)


def render_reports(
    warehouse: str | Path,
    out_dir: str | Path | None = None,
    only: list[str] | None = None,
    language: str = "nl",
    results_dir: str | Path | None = None,
    progress: bool = True,
    notebooks_dir: str | Path | None = None,
) -> list[Path]:
    """Execute every report notebook on ``warehouse``; write HTML and an index page.

    Parameters
    ----------
    warehouse : path of a warehouse built by ``kpz ingest``.
    out_dir : where reports go; default ``reports/<extract_id>/`` (``-en`` appended for
        English reports). Everything written here is meant to be read by others: it holds
        only what passed disclosure control.
    only : notebook stems to run (default: all); the index lists every report in ``out_dir``.
    language : ``nl`` (default) or ``en``.
    results_dir : where notebooks write their full, unprotected result tables for analysts
        inside the research environment; default ``results/<extract_id>/`` (never published).
    progress : show a progress bar over the notebooks.
    notebooks_dir : where the notebooks are (default ``notebooks/`` of the checkout).

    Returns
    -------
    list of Path
        The HTML files written, then ``index.html``.
    """
    if language not in LANGUAGES:
        raise KpzError(f"--lang must be one of {', '.join(LANGUAGES)}, got {language!r}")
    warehouse = Path(warehouse).resolve()
    con = connect(warehouse)
    try:
        meta = extract_meta(con)
    finally:
        con.close()
    extract_id = meta["extract_id"]
    suffix = "" if language == "nl" else f"-{language}"
    out = Path(out_dir) if out_dir else config.REPORTS_DIR / f"{extract_id}{suffix}"
    results = Path(results_dir) if results_dir else config.RESULTS_DIR / extract_id
    out.mkdir(parents=True, exist_ok=True)
    results.mkdir(parents=True, exist_ok=True)
    available = notebooks(Path(notebooks_dir)) if notebooks_dir else notebooks()
    if only:
        unknown = sorted(set(only) - {nb.stem for nb in available})
        if unknown:
            raise KpzError(f"no notebook {', '.join(unknown)} (there are: "
                           f"{', '.join(nb.stem for nb in available)})")
    selected = [nb for nb in available if not only or nb.stem in only]
    # A report in a language its notebook has no text for would be Dutch under an English label.
    untranslated = [nb.stem for nb in selected if not _has_language(nb, language)]
    if untranslated:
        raise KpzError(f"--lang {language}: {', '.join(untranslated)} has no text in that language yet "
                       f"(cells tagged lang-{language}); render it in Dutch (--lang nl)")
    written = []
    bar = tqdm(selected, desc="rapporten", unit="rapport", disable=not progress)
    for nb in bar:
        bar.set_postfix_str(nb.stem)
        executed = out / nb.name
        parameters = {"warehouse": str(warehouse), "results_dir": str(results), "language": language}
        _execute(nb, executed, parameters, language)
        body, title, summary = to_html(executed, language)
        html = out / f"{nb.stem}.html"
        html.write_text(body, encoding="utf-8")
        (out / f"{nb.stem}.summary.md").write_text(f"{title}\n\n{summary}\n", encoding="utf-8")
        written.append(html)
    written.append(write_index(out, meta, language))
    return written


def write_index(out: Path, meta: dict, language: str = "nl") -> Path:
    """Write ``out/index.html``: every report in ``out`` with its title and summary."""
    t = header.TEXT[language]
    items = []
    for html in sorted(out.glob("[0-9][0-9]_*.html")):
        stamp = out / f"{html.stem}.summary.md"
        title, _, summary = (stamp.read_text(encoding="utf-8").partition("\n\n")
                             if stamp.exists() else (html.stem, "", ""))
        when = _dt.datetime.fromtimestamp(html.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
        items.append(
            f'<li><h2><a href="{_html.escape(html.name)}">{_html.escape(title.strip())}</a></h2>'
            f'<div class="summary">{markdown2html_mistune(summary.strip())}</div>'
            f'<p class="when">{t["rendered"]} {when}</p></li>')
    title = f"{t['index_title']} – {meta['extract_id']}"
    page = f"""<!DOCTYPE html>
<html lang="{language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{_html.escape(title)}</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; max-width: 60rem;
       margin: 2rem auto; padding: 0 1rem; color: #1f2937; line-height: 1.5; }}
ul {{ list-style: none; padding: 0; }} li {{ border-top: 1px solid #d1d5db; padding: 0.5rem 0; }}
h2 {{ font-size: 1.2rem; margin-bottom: 0.3rem; }} .when {{ color: #6b7280; font-size: 0.85rem; }}
{header.CSS}
</style>
</head>
<body>
<h1>{_html.escape(title)}</h1>
{header.provenance_html(meta, {}, {}, language, compact=True)}
<ul>
{chr(10).join(items)}
</ul>
</body>
</html>
"""
    path = out / "index.html"
    path.write_text(page, encoding="utf-8")
    return path
