"""Rendered reports: the project's kernel, one-line failures, languages, index, and a real browser.

The full reports (data quality, prevalence and the care landscape) are rendered once on the small synthetic
warehouse and opened in headless Chromium: no console error, no network request, every figure
present with a Dutch description, no "nan"/"None"/traceback in the text, a synthetic-data
banner and provenance; a screenshot is kept in ``test-artifacts/`` (not committed).
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup

from browser import CHROMIUM, open_page
from kpz_analytics.errors import KpzError
from kpz_analytics.reporting.render import render_reports

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
REPORTS = ["01_data_quality", "02_prevalence", "03_transition_gap", "04_care_landscape"]


def _notebook(directory: Path, name: str, cells: list) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = cells
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    nbformat.write(nb, path)
    return path


def _params_cell():
    return nbformat.v4.new_code_cell('warehouse = ""\nresults_dir = ""\nlanguage = "nl"',
                                     metadata={"tags": ["parameters"]})


@pytest.fixture(scope="module")
def tiny(tmp_path_factory, small_warehouse):
    """Small notebooks that test the machinery without the analyses."""
    root = tmp_path_factory.mktemp("tiny")
    nbs = root / "notebooks"
    _notebook(nbs, "01_which_python.ipynb", [
        nbformat.v4.new_markdown_cell("# Welke Python\n\nDit rapport toont de Python van de kernel."),
        _params_cell(),
        nbformat.v4.new_code_cell("import sys\nfrom IPython.display import Markdown, display\n"
                                  "display(Markdown(f'kernel: `{sys.executable}`'))",
                                  metadata={"tags": ["summary"]}),
        nbformat.v4.new_markdown_cell("Nederlandse tekst", metadata={"tags": ["lang-nl"]}),
        nbformat.v4.new_markdown_cell("English text", metadata={"tags": ["lang-en"]}),
    ])
    return root, nbs


def test_kernel_is_this_environment_not_a_foreign_python3_kernelspec(tiny, small_warehouse, tmp_path,
                                                                     monkeypatch, capfd):
    root, nbs = tiny
    foreign = tmp_path / "jupyter" / "kernels" / "python3"
    foreign.mkdir(parents=True)
    (foreign / "kernel.json").write_text(json.dumps(
        {"argv": ["/nonexistent/python3", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
         "display_name": "another Python", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "jupyter"))
    out = tmp_path / "out"
    written = render_reports(small_warehouse.warehouse, out_dir=out, results_dir=tmp_path / "res",
                             notebooks_dir=nbs, progress=False)
    assert [p.name for p in written] == ["01_which_python.html", "index.html"]
    html = written[0].read_text(encoding="utf-8")
    assert f"kernel: <code>{sys.executable}</code>" in html
    captured = capfd.readouterr()
    assert "without encryption" not in captured.out + captured.err
    assert "Traceback" not in captured.out + captured.err
    # the Dutch report keeps the Dutch cell only; the index carries the summary
    assert "Nederlandse tekst" in html and "English text" not in html
    index = (out / "index.html").read_text(encoding="utf-8")
    assert '<html lang="nl">' in index and "01_which_python.html" in index
    assert sys.executable in index  # the summary cell's output


def test_notebooks_render_side_by_side_with_the_memory_limit_divided(small_warehouse, tmp_path, monkeypatch):
    """Two workers run two notebooks at the same time (each waits for the other's flag file, so
    one after the other would time out), each kernel's DuckDB gets half the memory limit, and no
    socket file is left behind in the notebooks' folder or in a socket directory."""
    from kpz_analytics import config

    monkeypatch.setattr(config, "REPORT_WORKERS", 2)
    monkeypatch.setattr(config, "DUCKDB_MEMORY_LIMIT", "4GB")
    nbs = tmp_path / "notebooks"
    flags = tmp_path / "flags"
    flags.mkdir()
    wait_for_other = (
        "import time\nfrom pathlib import Path\nfrom IPython.display import Markdown, display\n"
        "from kpz_analytics import config\n"
        f"flags = Path({str(flags)!r})\n"
        "(flags / '{me}').touch()\n"
        "deadline = time.time() + 120\n"
        "while not (flags / '{other}').exists():\n"
        "    assert time.time() < deadline, 'the other notebook did not start: rendered one after the other'\n"
        "    time.sleep(0.2)\n"
        "from ipykernel.connect import get_connection_info\n"
        "display(Markdown(f'geheugen: {{config.DUCKDB_MEMORY_LIMIT}}'))\n"
        "display(Markdown('sockets: ' + get_connection_info(unpack=True)['ip']))")
    for me, other in (("01_a", "02_b"), ("02_b", "01_a")):
        _notebook(nbs, f"{me}.ipynb", [nbformat.v4.new_markdown_cell(f"# Rapport {me}"), _params_cell(),
                                      nbformat.v4.new_code_cell(wait_for_other.format(me=me, other=other))])
    # the worker processes make their socket directories here (another test worker may render too)
    sockets = Path(tempfile.mkdtemp(prefix="kpzt-"))  # short: a socket path has at most ~107 characters
    monkeypatch.setenv("TMPDIR", str(sockets))
    try:
        written = render_reports(small_warehouse.warehouse, out_dir=tmp_path / "out",
                                 results_dir=tmp_path / "res", notebooks_dir=nbs, progress=False)
        left = list(sockets.iterdir())
    finally:
        shutil.rmtree(sockets, ignore_errors=True)
    assert [p.name for p in written] == ["01_a.html", "02_b.html", "index.html"]
    for html in written[:2]:
        text = html.read_text(encoding="utf-8")
        assert "geheugen: 1907MiB" in text  # 4 GB / 2 in whole MiB
        assert re.search(rf"sockets: {re.escape(str(sockets))}/kpz-kernel-\w+/ipc", text)  # its own directory
    assert sorted(p.name for p in nbs.iterdir()) == ["01_a.ipynb", "02_b.ipynb"]  # no kernel-ipc-* here
    assert left == []  # each kernel's socket directory removed


def test_report_workers_and_memory_split_are_checked(monkeypatch):
    from kpz_analytics import config
    from kpz_analytics.reporting import render

    assert config.split_memory_limit("4GB", 2) == "1907MiB"
    assert config.split_memory_limit("6GiB", 3) == "2048MiB"
    assert config.split_memory_limit("4GB", 1) == "4GB"
    assert config.split_memory_limit("80%", 2) == "80%"  # a notation it cannot read is kept whole
    monkeypatch.setattr(config, "REPORT_WORKERS", 2)
    assert render.report_workers(1) == 1 and render.report_workers(4) == 2
    assert render.kernel_env(1) == {}
    monkeypatch.setattr(config, "REPORT_WORKERS", 0)
    with pytest.raises(KpzError, match="KPZ_REPORT_WORKERS must be 1 or more, got 0"):
        render.report_workers(4)


def test_english_report_from_the_same_notebook(tiny, small_warehouse, tmp_path):
    _, nbs = tiny
    written = render_reports(small_warehouse.warehouse, out_dir=tmp_path / "en", language="en",
                             results_dir=tmp_path / "res", notebooks_dir=nbs, progress=False)
    html = written[0].read_text(encoding="utf-8")
    assert '<html lang="en">' in html
    assert "English text" in html and "Nederlandse tekst" not in html
    assert "SYNTHETIC DATA" in (tmp_path / "en" / "index.html").read_text(encoding="utf-8")


def test_failing_notebook_is_one_line_naming_notebook_and_cell(small_warehouse, tmp_path):
    nbs = tmp_path / "notebooks"
    _notebook(nbs, "01_broken.ipynb", [
        nbformat.v4.new_markdown_cell("# Kapot"), _params_cell(),
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_code_cell("raise ValueError('the warehouse has no year 1850\\nsecond line')"),
    ])
    # a second notebook, so that the two run side by side and the error crosses from a worker process
    _notebook(nbs, "02_fine.ipynb", [nbformat.v4.new_markdown_cell("# Goed"), _params_cell(),
                                     nbformat.v4.new_code_cell("x = 1")])
    out = tmp_path / "out"
    with pytest.raises(KpzError) as err:
        render_reports(small_warehouse.warehouse, out_dir=out, results_dir=tmp_path / "res",
                       notebooks_dir=nbs, progress=False)
    message = str(err.value)
    assert "\n" not in message
    assert "01_broken.ipynb" in message and "cell 4" in message
    assert "ValueError: the warehouse has no year 1850" in message
    assert (out / "01_broken.ipynb").exists()  # kept for inspection


def test_unknown_notebook_and_language_are_refused(small_warehouse, tmp_path):
    with pytest.raises(KpzError, match="--lang must be one of nl, en"):
        render_reports(small_warehouse.warehouse, out_dir=tmp_path, language="fr")
    # a notebook without English cells is not rendered as an "English" report in Dutch
    nbs = tmp_path / "nl_only"
    _notebook(nbs, "01_dutch.ipynb", [nbformat.v4.new_markdown_cell("# Alleen Nederlands"), _params_cell()])
    with pytest.raises(KpzError, match="--lang en: 01_dutch has no text in that language yet"):
        render_reports(small_warehouse.warehouse, out_dir=tmp_path / "en", language="en",
                       results_dir=tmp_path / "res", notebooks_dir=nbs, progress=False)
    with pytest.raises(KpzError, match="no notebook 99_nothing"):
        render_reports(small_warehouse.warehouse, out_dir=tmp_path, only=["99_nothing"],
                       results_dir=tmp_path / "res")


@pytest.fixture(scope="module")
def rendered(small_warehouse, tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    written = render_reports(small_warehouse.warehouse, out_dir=out, only=REPORTS,
                             results_dir=tmp_path_factory.mktemp("results"), progress=False)
    return out, written


def test_reports_are_dutch_self_contained_and_protected(rendered):
    out, written = rendered
    assert [p.name for p in written] == [f"{r}.html" for r in REPORTS] + ["index.html"]
    for path in written:
        html = path.read_text(encoding="utf-8")
        soup = BeautifulSoup(html, "html.parser")
        assert soup.html["lang"] == "nl"
        assert soup.title.string and soup.title.string != "Notebook"
        assert not soup.find_all("script", src=True)  # no CDN
        assert not soup.find_all("link", href=re.compile("^https?:"))
        text = soup.get_text(" ")
        assert "SYNTHETISCHE GEGEVENS" in text
        for img in soup.find_all("img"):
            assert img["alt"].startswith("Figuur: ") and "No description" not in img["alt"]
    dq = (out / "01_data_quality.html").read_text(encoding="utf-8")
    assert "Datakwaliteit van de levering" in dq and "Geen rijen in quarantaine" in dq
    prev = BeautifulSoup((out / "02_prevalence.html").read_text(encoding="utf-8"), "html.parser")
    text = prev.get_text(" ")
    assert "Herkomst van de cijfers" in text and "llc_fraser_v1" in text
    assert "geschat totaal" in text and "gezien met terugkijkperiode" in text
    assert "Traceback" not in text and "import " not in text
    assert not re.search(r"\bPV\d\d\b", text) and "negative_binomial" not in text
    # every count shown in a table is 0 or at least 10: small counts carry the marker
    assert "<10" in text
    for table in prev.find_all("table"):
        head = [th.get_text(strip=True) for th in table.find_all("th")]
        for col in ("aantal", "overleden"):
            if col in head:
                j = head.index(col)
                for row in table.find("tbody").find_all("tr"):
                    cell = row.find_all("td")[j].get_text(strip=True)
                    if cell.replace(".", "").isdigit():
                        assert int(cell.replace(".", "")) == 0 or int(cell.replace(".", "")) >= 10
    land = BeautifulSoup((out / "04_care_landscape.html").read_text(encoding="utf-8"), "html.parser")
    text = land.get_text(" ")
    assert "Herkomst van de cijfers" in text and "landscape_indicators_v1" in text
    assert "financieringswetten" in text and "trechter" in text and "Traceback" not in text
    for table in land.find_all("table"):
        head = [th.get_text(strip=True) for th in table.find_all("th")]
        for col in ("personen", "met deze zorg", "teller"):
            if col in head:
                j = head.index(col)
                for row in table.find("tbody").find_all("tr"):
                    cell = row.find_all("td")[j].get_text(strip=True).replace(".", "")
                    if cell.isdigit():
                        assert int(cell) == 0 or int(cell) >= 10, (col, cell)
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "Prevalentie" in index and "leefden naar schatting" in index


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_reports_in_headless_chromium(rendered):
    out, written = rendered
    for path in written:
        page = open_page(path, screenshot=ARTIFACTS / f"{path.stem}.png")
        assert page.console_errors == [], path.name
        assert page.external_requests == [], path.name
        state = page.state
        assert state["lang"] == "nl" and state["title"]
        assert state["scripts"] == []
        if path.name != "index.html":
            assert state["images"], path.name
            for img in state["images"]:
                assert img["complete"] and img["w"] > 100 and img["h"] > 100
        for word in ("nan", "NaN", "None", "Traceback", "Error"):
            assert not re.search(rf"\b{word}\b", state["text"]), (path.name, word)
        assert page.screenshot.stat().st_size > 10_000
