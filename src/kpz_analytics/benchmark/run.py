"""`kpz bench` / `make bench`: every stage at several scales against the bare pass (issue 18).

For each scale, on the ``population`` design in Parquet (seed 42, ``kpz synth``):

1. the extract ``data/raw/bench-population-s<scale>`` is generated and measured, or reused
   when it exists (its synth measurement is read back from ``<extract>.synth.json``);
2. the bare pass (``bare.py``) runs ``repeats`` times, spread over the run (before the stages
   and after them), so every stage is compared with the median of passes made on the same
   machine, on the same files, under the same load; after the first one, the panel pass
   (``panel.py``: a typed copy of the files and the person-month panel built from it, nothing
   else) runs once, so the pipeline can also be read against what its largest table needs;
3. ingest (validation, staging, core), marts (marts and cohort tables), ``kpz prevalence``,
   ``kpz transition`` (when the command exists) and ``kpz report`` each run once as their own
   process: wall time, CPU time, peak resident memory (``measure.py``), rows per second
   (claim lines of the extract / wall time) and the ratio to the bare pass.

Then, over the scales, the growth of each stage's wall time and peak memory is fitted as a
power of the number of claim lines (least squares on logs: exponent 1 = linear), and the
targets of the issue are checked on the largest scale. Everything goes to
``bench/results.json`` and ``bench/summary.md``.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import platform
import shutil
import statistics
import sys
from pathlib import Path

from .. import __version__, config
from ..errors import KpzError
from .measure import Measurement, measure

#: Stages in the order they run; "pipeline" = what the 15-minute / 4x target adds up.
STAGES = ("synth", "ingest", "marts", "prevalence", "transition", "report")
PIPELINE = ("ingest", "marts", "prevalence", "transition", "report")
DEFAULT_SCALES = (0.03, 0.1, 1.0)
SEED = 42

#: Targets of issue 18 (2 cores): checked on the largest scale measured.
TARGET_PIPELINE_S = 15 * 60
TARGET_RATIO = 4.0
TARGET_RSS_GB = 8.0
TARGET_SYNTH_RSS_GB = 2.0
TARGET_EXPONENT = 1.15  # "linear": allow a little noise on a shared machine


def _py(*args: str) -> list[str]:
    return [sys.executable, *args]


def _kpz(*args: str) -> list[str]:
    return _py("-m", "kpz_analytics.cli", *args)


def _has_command(name: str) -> bool:
    """Whether ``kpz NAME`` exists in this version (asked of the command line, not imported)."""
    import subprocess

    done = subprocess.run(_kpz(name, "--help"), capture_output=True, timeout=120)
    return done.returncode == 0


def _machine() -> dict:
    import duckdb

    info = {"cores": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
            "duckdb": duckdb.__version__, "package_version": __version__,
            "duckdb_threads": config.DUCKDB_THREADS, "duckdb_memory_limit": config.DUCKDB_MEMORY_LIMIT,
            "duckdb_marts_memory_limit": config.DUCKDB_MARTS_MEMORY_LIMIT}
    try:
        with open("/proc/meminfo") as fh:
            info["memory_gb"] = round(int(fh.readline().split()[1]) / 1e6, 1)
        with open("/proc/cpuinfo") as fh:
            info["cpu"] = next((line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")), None)
    except OSError:
        pass
    return info


def _load() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def _claim_lines(extract: Path) -> tuple[int, int]:
    """(claim lines in the claims files, rows in all files) from the manifest."""
    from ..extract import spec

    files = json.loads((extract / "manifest.json").read_text(encoding="utf-8"))["files"]
    claims = sum(files[t]["rows"] for t in spec.CLAIMS_TABLES)
    return claims, sum(f["rows"] for f in files.values())


def fit_exponent(xs: list[float], ys: list[float]) -> float | None:
    """Least-squares slope of log(y) on log(x): y ∝ x^b. None with fewer than two usable points."""
    pts = [(math.log(x), math.log(y)) for x, y in zip(xs, ys) if x and y and x > 0 and y > 0]
    if len(pts) < 2 or len({p[0] for p in pts}) < 2:
        return None
    mx = sum(p[0] for p in pts) / len(pts)
    my = sum(p[1] for p in pts) / len(pts)
    sxx = sum((p[0] - mx) ** 2 for p in pts)
    return round(sum((p[0] - mx) * (p[1] - my) for p in pts) / sxx, 3)


def _say(msg: str, progress: bool) -> None:
    if progress:
        stamp = dt.datetime.now().strftime("%H:%M:%S")
        print(f"[{stamp}] {msg}", flush=True)


def _run_stage(name: str, cmd: list[str], logs: Path, tag: str, progress: bool, must_pass: bool = True) -> dict:
    """Run and measure one stage. A failure stops the benchmark when later stages need this one
    (``must_pass``); otherwise it is recorded (status ``failed``, the log's last lines) and the
    run goes on."""
    log = logs / f"{tag}-{name.replace(' ', '-').replace('/', 'of')}.log"
    _say(f"{tag} {name} … (log: {log})", progress)
    m: Measurement = measure(cmd, log_path=log)
    status = "ok" if m.returncode == 0 else "failed"
    _say(f"{tag} {name}: {status}, {m.wall_s:.1f} s wall, {m.cpu_s:.1f} s CPU, {m.peak_rss_gb:.2f} GB peak", progress)
    if m.returncode != 0 and must_pass:
        raise KpzError(f"benchmark stage {name} at {tag} failed (exit {m.returncode}); see {log}:\n{m.tail}")
    if m.returncode != 0:
        return {"status": "failed", "reason": f"exit {m.returncode}: {m.tail.splitlines()[-1] if m.tail else ''}",
                "log": str(log), "failed_after_s": m.wall_s}
    return m.as_dict() | {"status": "ok", "log": str(log)}


def _panel_pass(extract: Path, scratch: Path, logs: Path, tag: str, progress: bool) -> dict:
    """Run and measure the panel pass; add what it reports of itself (rows, parts, its steps)."""
    measured = _run_stage("panel pass", _py("-m", "kpz_analytics.benchmark.stages", "panel", str(extract),
                                            str(scratch)), logs, tag, progress, must_pass=False)
    if measured["status"] == "ok":
        text = Path(measured["log"]).read_text(encoding="utf-8", errors="replace")
        reported = [line for line in text.replace("\r", "\n").splitlines() if line.startswith("panel pass: ")]
        if reported:
            measured |= json.loads(reported[-1][len("panel pass: "):])
    return measured


def _code() -> str:
    """The digest of the package's code and SQL, computed afresh (the result cache keys its
    entries by it: an edit during a run makes later stages recompute what earlier ones cached)."""
    from ..analyses.cache import code_digest

    return code_digest.__wrapped__()


def _wait_for_other_synth(lock: Path, progress: bool, poll_s: float = 15.0) -> None:
    """Wait while another benchmark process generates this extract (its lock file names its pid)."""
    import time

    while lock.exists():
        try:
            pid = int(lock.read_text(encoding="utf-8").strip())
            os.kill(pid, 0)  # raises when that process is gone
        except (ValueError, ProcessLookupError, PermissionError, OSError):
            lock.unlink(missing_ok=True)  # a lock left by a process that died
            return
        _say(f"waiting: process {pid} is generating {lock.name[:-len('.synth.lock')]}", progress)
        time.sleep(poll_s)


def run_scale(scale: float, *, repeats: int, data_dir: Path, work_dir: Path, logs: Path,
              stages: tuple[str, ...], progress: bool, checkpoint=None) -> dict:
    """Every stage at one scale, with the bare passes around them."""
    tag = f"s{scale:g}"
    extract = data_dir / "raw" / f"bench-population-{tag}"
    record = extract.with_name(extract.name + ".synth.json")
    warehouse = data_dir / "processed" / f"bench-population-{tag}.duckdb"
    result: dict = {"scale": scale, "extract": str(extract), "stages": {}}
    lock = extract.with_name(extract.name + ".synth.lock")
    _wait_for_other_synth(lock, progress)
    if (extract / "manifest.json").exists() and record.exists():
        synth = json.loads(record.read_text(encoding="utf-8")) | {"reused": True}
        _say(f"{tag} synth: reusing {extract} (measured {synth.get('measured_at')})", progress)
    else:
        lock.write_text(str(os.getpid()), encoding="utf-8")
        try:
            synth = _run_stage("synth", _kpz("synth", "--out", str(extract), "--seed", str(SEED), "--design",
                                             "population", "--format", "parquet", "--scale", f"{scale:g}"),
                               logs, tag, progress)
            synth["measured_at"] = dt.datetime.now().isoformat(timespec="seconds")
            record.write_text(json.dumps(synth, indent=2), encoding="utf-8")
        finally:
            lock.unlink(missing_ok=True)
        synth["reused"] = False
    result["stages"]["synth"] = synth
    claims, rows = _claim_lines(extract)
    result |= {"claim_lines": claims, "rows": rows,
               "extract_bytes": sum(p.stat().st_size for p in extract.glob("*.parquet"))}

    bare_runs: list[dict] = []
    scratch = work_dir / f"bare-{tag}.duckdb"
    code = _code()

    def bare() -> None:
        bare_runs.append(_run_stage(f"bare pass {len(bare_runs) + 1}/{repeats}",
                                    _py("-m", "kpz_analytics.benchmark.stages", "bare", str(extract), str(scratch)),
                                    logs, tag, progress))

    bare()
    result["panel_pass"] = _panel_pass(extract, work_dir / f"panel-{tag}.duckdb", logs, tag, progress)
    out = work_dir / tag
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    commands = {
        "ingest": _py("-m", "kpz_analytics.benchmark.stages", "ingest", str(extract), str(warehouse)),
        "marts": _py("-m", "kpz_analytics.benchmark.stages", "marts", str(warehouse)),
        "prevalence": _kpz("prevalence", str(warehouse), "--out", str(out / "prevalence")),
        "transition": _kpz("transition", str(warehouse), "--out", str(out / "transition")),
        "report": _kpz("report", str(warehouse), "--out", str(out / "reports")),
    }
    for name in PIPELINE:
        if name not in stages:
            continue
        if name == "transition" and not _has_command("transition"):
            result["stages"][name] = {"status": "not available",
                                      "reason": "no `kpz transition` command in this version"}
            _say(f"{tag} transition: skipped (no `kpz transition` command in this version)", progress)
            continue
        try:
            result["stages"][name] = _run_stage(name, commands[name], logs, tag, progress,
                                                must_pass=name in ("ingest", "marts"))
        except KpzError as exc:  # keep what was measured at this scale, then stop
            result["stages"][name] = {"status": "failed", "reason": str(exc).splitlines()[0]}
            if checkpoint is not None:
                _summarise_scale(result, bare_runs, claims, rows, warehouse)
                checkpoint(result | {"partial": True})
            raise
        if "code_changed_after" not in result and _code() != code:
            result["code_changed_after"] = name
            _say(f"{tag} warning: the package's code changed during the run (noticed after {name}); "
                 "later stages may recompute what earlier ones cached: run this scale again", progress)
        if name == "marts" and len(bare_runs) < repeats:
            bare()
        if checkpoint is not None:  # a long run that is stopped keeps the stages it finished
            _summarise_scale(result, bare_runs, claims, rows, warehouse)
            checkpoint(result | {"partial": True})
    while len(bare_runs) < repeats:
        bare()
    _summarise_scale(result, bare_runs, claims, rows, warehouse)
    result.pop("partial", None)
    return result


def _summarise_scale(result: dict, bare_runs: list[dict], claims: int, rows: int, warehouse: Path) -> None:
    """Bare-pass medians, every stage's ratios and rows per second, and the pipeline totals."""
    bare_wall = statistics.median(b["wall_s"] for b in bare_runs)
    bare_cpu = statistics.median(b["cpu_s"] for b in bare_runs)
    result["bare_pass"] = {"runs": bare_runs, "median_wall_s": round(bare_wall, 3),
                           "median_cpu_s": round(bare_cpu, 3),
                           "max_peak_rss_gb": max(b["peak_rss_gb"] for b in bare_runs)}
    for name, s in result["stages"].items():
        if "wall_s" in s:
            s["ratio_to_bare"] = round(s["wall_s"] / bare_wall, 2)
            s["cpu_ratio_to_bare"] = round(s["cpu_s"] / bare_cpu, 2) if bare_cpu else None
            s["rows_per_s"] = round(claims / s["wall_s"]) if name != "synth" else round(rows / s["wall_s"])
    done = [result["stages"][n] for n in PIPELINE if "wall_s" in result["stages"].get(n, {})]
    result["pipeline"] = {
        "stages": [n for n in PIPELINE if "wall_s" in result["stages"].get(n, {})],
        "wall_s": round(sum(s["wall_s"] for s in done), 1),
        "cpu_s": round(sum(s["cpu_s"] for s in done), 1),
        "peak_rss_gb": max((s["peak_rss_gb"] for s in done), default=None),
    }
    result["pipeline"]["ratio_to_bare"] = round(result["pipeline"]["wall_s"] / bare_wall, 2) if done else None
    result["pipeline"]["cpu_ratio_to_bare"] = (round(result["pipeline"]["cpu_s"] / bare_cpu, 2)
                                               if done and bare_cpu else None)
    result["pipeline"]["failed"] = [n for n in PIPELINE if result["stages"].get(n, {}).get("status") == "failed"]
    panel = result.get("panel_pass", {})
    if "wall_s" in panel:
        panel["ratio_to_bare"] = round(panel["wall_s"] / bare_wall, 2)
        panel["cpu_ratio_to_bare"] = round(panel["cpu_s"] / bare_cpu, 2) if bare_cpu else None
        panel["rows_per_s"] = round(claims / panel["wall_s"])
        if done:  # how many panel passes the pipeline takes
            result["pipeline"]["ratio_to_panel"] = round(result["pipeline"]["wall_s"] / panel["wall_s"], 2)
    result["warehouse_bytes"] = warehouse.stat().st_size if warehouse.exists() else None


def _growth(results: list[dict]) -> dict:
    lines = [r["claim_lines"] for r in results]
    growth = {}
    for name in (*STAGES, "pipeline", "bare_pass", "panel_pass"):
        if name == "pipeline":
            if len({tuple(r["pipeline"]["stages"]) for r in results}) > 1:
                continue  # not the same stages at every scale: no growth to fit
            series = [r["pipeline"] for r in results]
        elif name == "bare_pass":
            series = [{"wall_s": r["bare_pass"]["median_wall_s"], "cpu_s": r["bare_pass"]["median_cpu_s"],
                       "peak_rss_gb": r["bare_pass"]["max_peak_rss_gb"]} for r in results]
        elif name == "panel_pass":
            series = [r.get("panel_pass", {}) for r in results]
        else:
            series = [r["stages"].get(name, {}) for r in results]
        # the scales at which this stage was measured (a stopped run leaves some out)
        pts = [(n, s) for n, s in zip(lines, series) if s.get("wall_s") is not None]
        if len(pts) >= 2:
            xs = [n for n, _ in pts]
            growth[name] = {"wall_exponent": fit_exponent(xs, [s["wall_s"] for _, s in pts]),
                            "cpu_exponent": fit_exponent(xs, [s.get("cpu_s") for _, s in pts]),
                            "rss_exponent": fit_exponent(xs, [s.get("peak_rss_gb") for _, s in pts]),
                            "scales": len(pts)}
    return growth


def _targets(results: list[dict], growth: dict) -> list[dict]:
    """The issue's targets: time and ratio on the largest scale with a complete run, peak memory
    of every stage at every scale (the largest value), growth over the scales."""
    complete = [r for r in results if r.get("pipeline", {}).get("stages") and not r.get("partial")]
    top = max(complete or results, key=lambda r: r["scale"])
    p = top["pipeline"]
    checks = [(f"stage {n} runs", "exit 0", "failed", False) for n in p.get("failed", [])]
    if p["stages"]:
        checks += [
            (f"pipeline wall time ({' + '.join(p['stages'])}) at scale {top['scale']:g}", f"≤ {TARGET_PIPELINE_S} s",
             p["wall_s"], p["wall_s"] <= TARGET_PIPELINE_S),
            (f"pipeline / bare pass at scale {top['scale']:g}", f"≤ {TARGET_RATIO:g}x", p["ratio_to_bare"],
             p["ratio_to_bare"] <= TARGET_RATIO),
        ]
    for name in STAGES:
        peaks = [(r["stages"][name]["peak_rss_gb"], r["scale"]) for r in results
                 if "peak_rss_gb" in r["stages"].get(name, {})]
        if peaks:
            peak, at = max(peaks)
            limit = TARGET_SYNTH_RSS_GB if name == "synth" else TARGET_RSS_GB
            checks.append((f"peak RSS {name} (largest, at scale {at:g})", f"≤ {limit:g} GB", peak, peak <= limit))
    for name, g in growth.items():
        # CPU time: on a shared machine wall time also measures the neighbours
        if name in PIPELINE + ("pipeline",) and g.get("cpu_exponent") is not None and p["stages"]:
            checks.append((f"growth of {name} CPU time (exponent)", f"≤ {TARGET_EXPONENT:g}",
                           g["cpu_exponent"], g["cpu_exponent"] <= TARGET_EXPONENT))
    return [{"target": t, "limit": lim, "measured": v, "met": bool(ok), "scale": top["scale"]}
            for t, lim, v, ok in checks]


def summary_markdown(doc: dict) -> str:
    """The readable summary of a results document (``bench/summary.md``)."""
    m = doc["machine"]
    lines = [
        "# Benchmark (issue 18)", "",
        f"Run {doc['started_at']} – {doc['finished_at']}"
        + (f" (scales from earlier runs: {', '.join(sorted({str(r.get('run_started_at')) for r in doc['results']} - {doc['started_at']}))})"
           if any(r.get("run_started_at", doc["started_at"]) != doc["started_at"] for r in doc["results"]) else "")
        + f", seed {SEED}, `population` design, Parquet. "
        f"Machine: {m.get('cores')} cores, {m.get('memory_gb')} GB, {m.get('cpu')}; Python {m.get('python')}, "
        f"DuckDB {m.get('duckdb')} ({m.get('duckdb_threads')} threads, memory_limit {m.get('duckdb_memory_limit')}"
        + (f", {m['duckdb_marts_memory_limit']} for the marts" if m.get("duckdb_marts_memory_limit") else "") + "). "
        f"Load average at start {doc.get('load_start')}, at end {doc.get('load_end')} (a shared machine: read the "
        "ratios, which compare runs made in the same session on the same files).", "",
        "Ratios are stage wall time / median wall time of the bare pass at the same scale "
        f"({doc['repeats']} bare passes spread over the run), and the same for CPU time (less "
        "sensitive to other programs on the machine). Each stage ran once. Peak RSS is the peak memory of "
        "the stage's whole process tree: proportional set sizes added up, sampled every 0.5 s "
        "(`benchmark/measure.py`). The **panel pass** (`benchmark/panel.py`) is the least work that builds "
        "the person-month panel the analyses read: the columns it needs copied once from the files, typed, "
        "and the pipeline's own panel SQL on that copy, in the same parts, with no validation, netting or "
        "other table. The pipeline's row says how many panel passes its wall time is.", "",
        "| scale | claim lines | stage | wall s | CPU s | peak RSS GB | lines/s | × bare (wall) | × bare (CPU) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in doc["results"]:
        b = r["bare_pass"]
        lines.append(f"| {r['scale']:g} | {r['claim_lines']:,} | **bare pass** (median) | {b['median_wall_s']:.1f} | "
                     f"{b['median_cpu_s']:.1f} | {b['max_peak_rss_gb']:.2f} | {round(r['claim_lines'] / b['median_wall_s']):,} | 1 | 1 |")
        pp = r.get("panel_pass", {})
        if "wall_s" in pp:
            split = (f" (copy {pp['copy_s']:.0f} s + panel {pp['panel_s']:.0f} s, {pp['parts']} part"
                     f"{'s' if pp['parts'] != 1 else ''}, {pp['rows']:,} rows)" if "panel_s" in pp else "")
            cpu_ratio = pp.get("cpu_ratio_to_bare")
            lines.append(f"| {r['scale']:g} | | **panel pass**{split} | {pp['wall_s']:.1f} | {pp['cpu_s']:.1f} | "
                         f"{pp['peak_rss_gb']:.2f} | {pp['rows_per_s']:,} | {pp['ratio_to_bare']:.1f} | "
                         f"{'' if cpu_ratio is None else f'{cpu_ratio:.1f}'} |")
        elif pp:
            lines.append(f"| {r['scale']:g} | | panel pass | – | – | – | – | {pp.get('status')}: {pp.get('reason', '')} | |")
        for name in STAGES:
            s = r["stages"].get(name)
            if s is None:
                continue
            if "wall_s" not in s:
                lines.append(f"| {r['scale']:g} | | {name} | – | – | – | – | {s.get('status')}: "
                             f"{s.get('reason', '')} | |")
                continue
            note = " (reused extract)" if s.get("reused") else ""
            cpu_ratio = s.get("cpu_ratio_to_bare")
            lines.append(f"| {r['scale']:g} | | {name}{note} | {s['wall_s']:.1f} | {s['cpu_s']:.1f} | "
                         f"{s['peak_rss_gb']:.2f} | {s['rows_per_s']:,} | {s['ratio_to_bare']:.1f} | "
                         f"{'' if cpu_ratio is None else f'{cpu_ratio:.1f}'} |")
        if r.get("code_changed_after"):
            lines.append(f"| {r['scale']:g} | | (the package's code changed during this run, noticed after "
                         f"{r['code_changed_after']}: later stages may have recomputed cached results; "
                         "run this scale again) | | | | | | |")
        if r.get("partial"):
            lines.append(f"| {r['scale']:g} | | (run stopped or still running: later stages not measured) | | | | | | |")
        p = r["pipeline"]
        if p["stages"]:
            per_panel = f"; {p['ratio_to_panel']:.1f} panel passes" if p.get("ratio_to_panel") else ""
            lines.append(f"| {r['scale']:g} | | **pipeline** ({' + '.join(p['stages'])}{per_panel}) | "
                         f"{p['wall_s']:.1f} | {p['cpu_s']:.1f} | {p['peak_rss_gb']:.2f} | | {p['ratio_to_bare']:.1f} | "
                         f"{p.get('cpu_ratio_to_bare') or ''} |")
    lines += ["", "## Growth with the data (fitted exponent of claim lines; 1 = linear)", "",
              "| stage | wall time | CPU time | peak RSS |", "|---|---|---|---|"]
    for name, g in doc["growth"].items():
        show = lambda v: "–" if v is None else f"{v:.2f}"  # noqa: E731
        lines.append(f"| {name} ({g.get('scales', len(doc['results']))} scales) | {show(g['wall_exponent'])} | "
                     f"{show(g.get('cpu_exponent'))} | {show(g['rss_exponent'])} |")
    lines += ["", "## Targets", "", "| target | limit | measured | met |", "|---|---|---|---|"]
    for t in doc["targets"]:
        lines.append(f"| {t['target']} | {t['limit']} | {t['measured']} | {'yes' if t['met'] else '**no**'} |")
    return "\n".join(lines) + "\n"


def run_benchmark(scales=DEFAULT_SCALES, *, repeats: int = 3, out_dir: Path | None = None,
                  data_dir: Path | None = None, stages: tuple[str, ...] = STAGES,
                  progress: bool = True) -> dict:
    """Run the benchmark; write ``results.json`` and ``summary.md`` to ``out_dir`` (default ``bench/``).

    Parameters
    ----------
    scales : population scales (1 = national); extracts are generated once and reused.
    repeats : bare passes per scale (the ratio uses their median).
    out_dir : where results, logs and stage outputs go (default ``<repo>/bench``).
    data_dir : where extracts and warehouses go (default ``<repo>/data``: ``raw/bench-*``,
        ``processed/bench-*``).
    stages : stages to run (synth always runs or is reused: the others need its extract).
    """
    scales = sorted({float(s) for s in scales})
    if not scales or scales[0] <= 0:
        raise KpzError("--scales must be positive numbers, e.g. 0.1,0.3,1")
    if repeats < 1:
        raise KpzError("--repeats must be 1 or more")
    unknown = [s for s in stages if s not in STAGES]
    if unknown:
        raise KpzError(f"unknown stage(s) {', '.join(unknown)} (known: {', '.join(STAGES)})")
    out_dir = Path(out_dir or config.REPO_ROOT / "bench")
    data_dir = Path(data_dir or config.REPO_ROOT / "data")
    logs, work = out_dir / "logs", data_dir / "processed" / "bench-work"
    for d in (logs, work, data_dir / "raw", data_dir / "processed"):
        d.mkdir(parents=True, exist_ok=True)
    doc = {"issue": 18, "started_at": dt.datetime.now().isoformat(timespec="seconds"), "load_start": _load(),
           "machine": _machine(), "repeats": repeats, "scales": scales, "results": []}
    for scale in scales:
        def checkpoint(partial: dict) -> None:
            _write(doc | {"results": doc["results"] + [partial | {"run_started_at": doc["started_at"]}]}, out_dir)

        result = run_scale(scale, repeats=repeats, data_dir=data_dir, work_dir=work, logs=logs,
                           stages=tuple(stages), progress=progress, checkpoint=checkpoint)
        result["run_started_at"] = doc["started_at"]
        doc["results"].append(result)
        _write(doc, out_dir)  # partial results survive an interrupted run
    doc["finished_at"] = dt.datetime.now().isoformat(timespec="seconds")
    doc["load_end"] = _load()
    return _write(doc, out_dir)


def _merged(doc: dict, out_dir: Path) -> dict:
    """This run's results plus those of other scales already in ``out_dir/results.json``.

    So ``kpz bench --scales 1`` adds the national scale to an earlier run of the smaller ones
    (each result keeps ``run_started_at``; ratios always compare runs of one scale in one run).
    """
    path = out_dir / "results.json"
    merged = dict(doc)
    ours = {r["scale"] for r in doc["results"]}
    earlier = []
    if path.exists():
        try:
            earlier = [r for r in json.loads(path.read_text(encoding="utf-8")).get("results", [])
                       if r.get("scale") not in ours and r.get("bare_pass")]
        except (OSError, ValueError):
            earlier = []
    merged["results"] = sorted(doc["results"] + earlier, key=lambda r: r["scale"])
    merged["scales"] = [r["scale"] for r in merged["results"]]
    return merged


def summarise(out_dir: Path | None = None) -> dict:
    """Recompute growth and targets from ``results.json`` and rewrite ``summary.md`` (no run)."""
    out_dir = Path(out_dir or config.REPO_ROOT / "bench")
    path = out_dir / "results.json"
    if not path.exists():
        raise KpzError(f"{path} does not exist: run `kpz bench` first")
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["results"] = []  # _write merges them back from the file
    return _write(doc, out_dir)


def _write(doc: dict, out_dir: Path) -> dict:
    merged = _merged(doc, out_dir)
    if merged["results"]:
        merged["growth"] = _growth(merged["results"])
        merged["targets"] = _targets(merged["results"], merged["growth"])
    merged.setdefault("finished_at", "(running)")
    (out_dir / "results.json").write_text(json.dumps(merged, indent=2) + "\n", encoding="utf-8")
    if "targets" in merged:
        (out_dir / "summary.md").write_text(summary_markdown(merged), encoding="utf-8")
    return merged
