"""Render the analysis notebooks into self-contained HTML reports, with an index page.

Notebooks live in ``notebooks/NN_name.ipynb`` (paired with a jupytext ``.py``). Each is executed
with papermill into ``reports/<extract_id>/NN_name.ipynb`` and converted to HTML without code
cells; ``reports/<extract_id>/index.html`` links them with the summary each report gives of
itself (the output of its cell tagged ``summary``).

Three guarantees:

- **The kernel is this environment.** Notebooks run on a kernel started from the Python that
  runs ``kpz`` (``sys.executable``), never on whichever kernelspec called ``python3`` Jupyter
  finds first. The kernel talks over local IPC sockets in a private temporary directory of its
  own (``kpz-kernel-*``, mode 0700, removed when the notebook is done, also when the kernel
  died), not over TCP, so no port is opened and nothing travels in plain text over the network
  stack; kernels running side by side never share a socket name.
- **The HTML is self-contained.** No script, style sheet, font or image is loaded from
  anywhere: the template drops require.js, MathJax and Mermaid (the reports use none of them),
  figures are embedded PNGs with a description (``alt``) in the report's language, the page has ``lang`` and a
  real ``<title>``.
- **Failures are one line.** A failing cell stops the run with :class:`KpzError` naming the
  notebook, the cell and the error; the executed notebook is kept for inspection.

Notebooks are rendered side by side, ``config.REPORT_WORKERS`` at a time (``KPZ_REPORT_WORKERS``,
default 2; each in a spawned process of its own): a notebook spends most of its time in
single-threaded Python, so two kernels use the two cores one leaves half idle. Each kernel's
DuckDB then gets ``KPZ_DUCKDB_MEMORY_LIMIT`` divided by the workers, so together they stay
within the memory of one. The reports do not read each other's output; the result cache is
safe for parallel use.

Cells tagged ``lang-nl`` or ``lang-en`` are kept only in reports of that language (parameter
``language``), so one notebook renders both Dutch and English reports.
"""

from __future__ import annotations

import datetime as _dt
import html as _html
import multiprocessing
import re
import shutil
import sys
import tempfile
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
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
    #: Directory for the kernel's IPC sockets (``ipc-<n>``); one per kernel, made by ``_execute``.
    socket_dir: Path | None = None
    #: Environment variables set for the kernel (on top of this process's).
    kernel_env: dict[str, str] = {}

    def __init__(self, **kwargs):
        kwargs.setdefault("transport", "ipc")
        if self.socket_dir is not None:
            kwargs.setdefault("ip", str(self.socket_dir / "ipc"))
        super().__init__(**kwargs)
        self._kernel_spec = project_kernel_spec(self.kernel_env)

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        if self.kernel_log is not None:
            kw.setdefault("stderr", open(self.kernel_log, "ab"))  # noqa: SIM115 - owned by the kernel
            kw.setdefault("stdout", kw["stderr"])
        return await super()._async_launch_kernel(kernel_cmd, **kw)

    @property
    def kernel_spec(self) -> KernelSpec:  # noqa: D102 - see class docstring
        if self._kernel_spec is None:
            self._kernel_spec = project_kernel_spec(self.kernel_env)
        return self._kernel_spec


def project_kernel_spec(env: dict[str, str] | None = None) -> KernelSpec:
    """The kernelspec of this environment: its own Python, ipykernel, quiet debugger; ``env``
    is set for the kernel on top of this process's environment."""
    return KernelSpec(
        argv=[sys.executable, "-Xfrozen_modules=off", "-m", "ipykernel_launcher", "-f",
              "{connection_file}"],
        display_name=f"kpz-analytics ({sys.executable})", language="python",
        env={"PYDEVD_DISABLE_FILE_VALIDATION": "1", **(env or {})}, metadata={"debugger": False},
    )


def _render_one(nb: Path, out: Path, parameters: dict, language: str, env: dict[str, str]) -> Path:
    """Execute one notebook into ``out`` and write its HTML and summary; return the HTML path."""
    executed = out / nb.name
    _execute(nb, executed, parameters, language, env)
    body, title, summary = to_html(executed, language)
    html = out / f"{nb.stem}.html"
    html.write_text(body, encoding="utf-8")
    (out / f"{nb.stem}.summary.md").write_text(f"{title}\n\n{summary}\n", encoding="utf-8")
    return html


def _render_side_by_side(selected: list[Path], workers: int, bar, *args) -> None:
    """:func:`_render_one` for every notebook in ``workers`` spawned processes.

    Processes, not threads: in threads a ZeroMQ context left by a kernel client was collected
    in the main thread later and blocked it (``docs/scale.md``); a process takes its sockets with
    it. Spawned, not forked: this process may hold DuckDB's and tqdm's threads. The first failure
    stops the run: no new notebook starts, those running finish, its one-line error is raised.
    Notebooks start in name order.
    """
    context = multiprocessing.get_context("spawn")
    waiting = list(selected)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        running: dict = {}
        while waiting or running:
            # a notebook is handed over only when a worker is free, so the bar names those running
            while waiting and len(running) < workers:
                nb = waiting.pop(0)
                running[pool.submit(_render_one, nb, *args)] = nb.stem
            bar.set_postfix_str(", ".join(sorted(running.values())))
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            bar.update(len(done))
            failed = [f for f in done if f.exception() is not None]
            if failed:
                raise failed[0].exception()
            for f in done:
                del running[f]


def report_workers(n_notebooks: int) -> int:
    """How many notebooks run side by side: ``config.REPORT_WORKERS``, at most one per notebook."""
    if config.REPORT_WORKERS < 1:
        raise KpzError(f"KPZ_REPORT_WORKERS must be 1 or more, got {config.REPORT_WORKERS}")
    return max(1, min(config.REPORT_WORKERS, n_notebooks))


def kernel_env(workers: int) -> dict[str, str]:
    """Environment of each kernel when ``workers`` run side by side: the DuckDB memory limit
    divided between them (``config.split_memory_limit``); nothing when one runs at a time."""
    if workers <= 1:
        return {}
    return {"KPZ_DUCKDB_MEMORY_LIMIT": config.split_memory_limit(config.DUCKDB_MEMORY_LIMIT, workers)}


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


def _execute(nb_path: Path, executed: Path, parameters: dict, language: str,
             env: dict[str, str] | None = None) -> None:
    """Run one notebook with papermill on the project kernel; a failure becomes one line."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    nb = _for_language(nbformat.read(nb_path, as_version=4), language)
    known = _parameters(nb)
    unknown = sorted(set(parameters) - known)
    if unknown:
        raise KpzError(f"{nb_path.name} has no parameter(s) {', '.join(unknown)} "
                       f"(its parameters: {', '.join(sorted(known)) or 'none'})")
    sockets = Path(tempfile.mkdtemp(prefix="kpz-kernel-"))  # mode 0700; short enough for a socket path
    try:
        pm.execute_notebook(
            nb, str(executed), parameters=parameters, cwd=str(nb_path.parent),
            progress_bar=False, kernel_name="python3", log_output=False,
            kernel_manager_class=type("ReportKernelManager", (ProjectKernelManager,),
                                      {"kernel_log": executed.with_suffix(".kernel.log"),
                                       "socket_dir": sockets, "kernel_env": env or {}}),
        )
    except PapermillExecutionError as exc:
        first = (str(exc.evalue).strip().splitlines() or [""])[0]
        raise KpzError(f"{nb_path.name}: cell {exc.cell_index} (In [{exc.exec_count}]) failed: "
                       f"{exc.ename}: {first}; the executed notebook is kept at {executed}") from None
    except Exception as exc:  # kernel died, timed out, could not start
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise KpzError(f"{nb_path.name}: the notebook could not be executed ({type(exc).__name__}: "
                       f"{first}); what ran is kept at {executed}") from None
    finally:
        shutil.rmtree(sockets, ignore_errors=True)


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
    parameters = {"warehouse": str(warehouse), "results_dir": str(results), "language": language}
    workers = report_workers(len(selected))
    env = kernel_env(workers)
    with tqdm(total=len(selected), desc="rapporten", unit="rapport", disable=not progress) as bar:
        if workers == 1:
            for nb in selected:
                bar.set_postfix_str(nb.stem)
                _render_one(nb, out, parameters, language, env)
                bar.update(1)
        else:
            _render_side_by_side(selected, workers, bar, out, parameters, language, env)
    written = [out / f"{nb.stem}.html" for nb in selected]
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
