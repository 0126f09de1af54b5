"""The `kpz` command line. Thin: each command parses options and calls one package function."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from . import __version__, config
from .errors import KpzError

app = typer.Typer(
    help="kpz-analytics: claims analytics for paediatric palliative care (Kenniscentrum "
    "Kinderpalliatieve Zorg).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"kpz-analytics {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """kpz-analytics command line."""


def _parse_years(years: str) -> tuple[int, int]:
    try:
        first, last = (int(y) for y in years.split("-"))
    except ValueError:
        raise KpzError(f"--years must look like 2015-2024, got {years!r}") from None
    if first > last:
        raise KpzError(f"--years: first year {first} is after last year {last}")
    return first, last


def _one_line(text: str) -> str:
    lines = [line.strip() for line in str(text).strip().splitlines() if line.strip()]
    return lines[0] if lines else ""


def _run(func, *args, **kwargs):
    """Call a package function; every error becomes one line on stderr, never a traceback.

    A KpzError (bad input or parameters) exits with code 2. Anything else is not the user's
    fault but must not drown them in a traceback either: one line naming the kind of error,
    exit code 3 (``KPZ_DEBUG=1`` re-raises it, for developers). A file-system error names the
    path and the cause (code 2).
    """
    import os

    try:
        return func(*args, **kwargs)
    except KpzError as exc:
        typer.echo(f"error: {_one_line(exc)}", err=True)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        typer.echo("error: interrupted", err=True)
        raise typer.Exit(130) from None
    except (typer.Exit, typer.Abort, SystemExit):
        raise
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename else ""
        typer.echo(f"error: {exc.strerror or _one_line(exc) or type(exc).__name__}{where}", err=True)
        raise typer.Exit(2) from None
    except Exception as exc:  # noqa: BLE001 - the last line of defence against tracebacks
        if os.environ.get("KPZ_DEBUG"):
            raise
        typer.echo(f"error: unexpected {type(exc).__name__}: {_one_line(exc)[:300]} "
                   "(a bug: please report it with the command that caused it; KPZ_DEBUG=1 shows the traceback)",
                   err=True)
        raise typer.Exit(3) from None


@app.command()
def synth(
    out: Path = typer.Option(..., "--out", help="Directory to write the extract to."),
    seed: int = typer.Option(config.DEFAULT_SEED, help="Random seed: same seed and options give identical files."),
    design: str = typer.Option("cohort_sample", help="cohort_sample or population."),
    format: str = typer.Option("csv", "--format", help="csv or parquet."),
    scale: float = typer.Option(1.0, help="Population scale: 1 = national (about 3.8 million aged 0-19)."),
    years: str = typer.Option("2015-2024", help="Calendar years covered, e.g. 2015-2024."),
    faults: bool = typer.Option(False, "--faults", help="Sprinkle malformed rows of every quarantine reason."),
    capture_scenario: str = typer.Option(
        "base", help="Capture model: base, heterogeneous or time_varying (validation scenarios)."),
    scenario: Optional[str] = typer.Option(
        None, help="A generator scenario (anticipation, respite_gap; docs/synthetic.md); default none."),
) -> None:
    """Write a synthetic spec-v1 extract with planted truth in OUT/_truth/."""
    period = _run(_parse_years, years)
    from .synthetic import write_extract

    manifest = _run(
        write_extract, out, seed=seed, design=design, fmt=format, scale=scale,
        years=period, faults=faults, capture_scenario=capture_scenario, scenario=scenario,
    )
    typer.echo(f"wrote extract {manifest['extract_id']} to {out}")


@app.command()
def ingest(
    extract_dir: Path = typer.Argument(..., help="Extract directory with manifest.json."),
    warehouse: Optional[Path] = typer.Option(
        None, help="Warehouse file (default data/processed/<extract_id>.duckdb)."
    ),
    max_bad_share: Optional[float] = typer.Option(
        None, help="Stop when more than this share of a file is quarantined (default 0.05)."
    ),
) -> None:
    """Validate an extract and build its DuckDB warehouse (staging, core, marts)."""
    from .warehouse.ingest import ingest as run_ingest

    if not config.SQL_DIR.is_dir():
        typer.echo(f"error: no SQL models in {config.SQL_DIR}: kpz-analytics runs from a checkout of its "
                   "repository (make setup), or set KPZ_HOME to one", err=True)
        raise typer.Exit(2)

    result = _run(run_ingest, extract_dir, warehouse=warehouse, max_bad_share=max_bad_share)
    typer.echo(f"warehouse written: {result.warehouse}")


@app.command()
def realism(
    warehouse: Path = typer.Argument(..., help="Warehouse built by `kpz ingest`."),
    year: Optional[int] = typer.Option(None, help="Year to describe (default: last full year)."),
) -> None:
    """Print the primer's reference figures computed from an extract, next to their reference values."""
    from .reporting.realism import realism_table

    table = _run(realism_table, warehouse, year=year)
    typer.echo(table.to_string(index=False))


@app.command()
def report(
    warehouse: Path = typer.Argument(..., help="Warehouse built by `kpz ingest`."),
    out: Optional[Path] = typer.Option(None, help="Output directory (default reports/<extract_id>/)."),
    only: Optional[list[str]] = typer.Option(None, help="Render only these notebooks (stem, repeatable)."),
    lang: str = typer.Option("nl", "--lang", help="Language of the reports: nl (default) or en."),
) -> None:
    """Render the HTML reports (all notebooks/NN_*.ipynb) on a warehouse, with an index page."""
    from .reporting.render import render_reports

    written = _run(render_reports, warehouse, out_dir=out, only=only, language=lang)
    for html in written[:-1]:
        typer.echo(f"rapport: {html}")
    typer.echo(f"index: {written[-1]}")


@app.command()
def export(
    warehouse: Path = typer.Argument(..., help="Warehouse built by `kpz ingest`."),
    out: Path = typer.Option(..., "--out", help="Directory for the export (CSV, kpz_export.xlsx, audit)."),
    parts: str = typer.Option("prevalence,transition,landscape",
                              help="Comma-separated: prevalence, transition, landscape."),
    threshold: int = typer.Option(10, help="Smallest count of persons that may be shown (default 10)."),
) -> None:
    """Export suppressed tables for policy discussions; refuses anything the attack can recover."""
    from .reporting.exports import export as run_export

    chosen = tuple(p.strip() for p in parts.split(",") if p.strip())
    result = _run(run_export, warehouse, out, threshold=threshold, parts=chosen)
    for line in result.summary_lines():
        typer.echo(line)
    for note in result.notes:
        typer.echo(f"note: {note}", err=True)
    typer.echo(f"export written to {out}")


@app.command()
def prevalence(
    warehouse: Path = typer.Argument(..., help="Warehouse built by `kpz ingest`."),
    out: Path = typer.Option(..., "--out", help="Directory for the result tables (CSV)."),
    years: Optional[str] = typer.Option(None, help="Years to report, e.g. 2018-2024 (default: all)."),
    age_min: int = typer.Option(0, help="Youngest age on 1 July (default 0)."),
    age_max: int = typer.Option(19, help="Oldest age on 1 July (default 19)."),
    lookback: int = typer.Option(2, help="Preceding years in which a source also makes a case (default 2)."),
    sources: Optional[str] = typer.Option(
        None, help="Comma-separated case-finding sources (default all: hospital_llc_code,"
        "palliative_activity,ikz_mkv,wlz_severe)."),
    criterion: str = typer.Option(
        "full", help="Capture-recapture model: full (all two-way interactions, default), or selection by aic or bic."),
    basis: str = typer.Option(
        "period", help="Counting basis of numerator and denominator: period (alive and insured on a day "
        "of the year, default) or point (on 1 July, as populatie)."),
    need_accuracy: Optional[Path] = typer.Option(
        None, help="CSV with PPV and sensitivity of the need definitions from a validation sample "
        "(default: the synthetic calibration, which applies to synthetic extracts only)."),
) -> None:
    """LLC prevalence and need for palliative care per year, with capture-recapture."""
    from .cohorts.cases import SOURCES, CaseParams
    from .analyses.prevalence import run_prevalence

    params = _run(
        CaseParams,
        years=_run(_parse_years, years) if years else None, age_min=age_min, age_max=age_max,
        lookback=lookback,
        sources=tuple(s.strip() for s in sources.split(",") if s.strip()) if sources else SOURCES,
        basis=basis,
    )
    _run(params.check)  # before the warehouse is opened: a bad parameter is named first
    result = _run(run_prevalence, warehouse, out, params, criterion=criterion, need_accuracy=need_accuracy)
    for note in result.warnings:
        typer.echo(f"note: {note}", err=True)
    typer.echo(result.headline["sentence_en"])
    typer.echo(f"tables written to {out}")


@app.command()
def transition(
    warehouse: Path = typer.Argument(..., help="Warehouse built by `kpz ingest`."),
    out: Path = typer.Option(..., "--out", help="Directory for the result tables (CSV)."),
    months_before: int = typer.Option(24, help="Event months before the 18th-birthday month in the panel."),
    months_after: int = typer.Option(24, help="Event months from the 18th-birthday month on (0 … N-1)."),
    found_by: int = typer.Option(-6, help="Latest event month of LLC case finding (-6 = age 17½)."),
    support_window: int = typer.Option(6, help="Months -N … -1 in which support before 18 is looked for."),
    gap_window: int = typer.Option(12, help="Months 0 … N-1 in which a gap after 18 is looked for."),
    gap_length: int = typer.Option(3, help="Consecutive months without support that make a gap."),
    rate_window: int = typer.Option(12, help="Months before and after 18 compared in rate ratios and shares."),
    comparison_size: int = typer.Option(20_000, help="At most this many comparison persons (seeded subset)."),
    seed: int = typer.Option(1, help="Seed of the comparison subset."),
    outcomes: Optional[str] = typer.Option(None, help="Comma-separated outcomes (default: all of "
                                           "codelists/transition_outcomes_v1.csv)."),
    rd_outcomes: Optional[str] = typer.Option(None, help="Outcomes whose jump at 18 is estimated: comma-"
                                              "separated, 'all', or empty for the report's main outcomes."),
    sources: Optional[str] = typer.Option(None, help="Comma-separated LLC case-finding sources (default all)."),
    alpha: float = typer.Option(0.05, help="1 - confidence level of every interval."),
) -> None:
    """Care around the 18th birthday and the zorgval: event-time panel, jump at 18, gaps, time to adult care."""
    from .analyses.transition import run_transition
    from .cohorts.cases import SOURCES
    from .cohorts.transition import RD_OUTCOMES, TransitionParams

    def _list(value):
        return tuple(v.strip() for v in value.split(",") if v.strip()) if value else None

    params = _run(
        TransitionParams,
        months_before=months_before, months_after=months_after, found_by=found_by,
        support_window=support_window, gap_window=gap_window, gap_length=gap_length,
        rate_window=rate_window, comparison_size=comparison_size, seed=seed,
        outcomes=_list(outcomes), sources=_list(sources) or SOURCES, alpha=alpha,
        rd_outcomes=None if rd_outcomes == "all" else (_list(rd_outcomes) or RD_OUTCOMES),
    )
    result = _run(run_transition, warehouse, out, params)
    for note in result.warnings:
        typer.echo(f"note: {note}", err=True)
    h = result.headline
    if "gap_share" in h:
        typer.echo(
            f"LLC cohort: {h['n_supported']} persons with home or social support before 18; "
            f"{h['gap_share']:.1%} (95% CI {h['gap_ci_low']:.1%}-{h['gap_ci_high']:.1%}) had a gap "
            f"of >= {params.gap_length} months without it after 18")
    typer.echo(f"tables written to {out}")


@app.command()
def landscape(
    warehouse: Path = typer.Argument(..., help="Warehouse built by `kpz ingest`."),
    out: Path = typer.Option(..., "--out", help="Directory for the result tables (CSV)."),
    years: Optional[str] = typer.Option(None, help="Years, e.g. 2018-2024 (default: every year of the extract)."),
    reference_year: Optional[int] = typer.Option(None, help="Year of the tables by group and region (default: last year)."),
    age_min: int = typer.Option(0, help="Youngest age on 1 July (default 0)."),
    age_max: int = typer.Option(25, help="Oldest age on 1 July (default 25)."),
    lookback: int = typer.Option(2, help="Case-definition lookback in years (default 2)."),
    sources: Optional[str] = typer.Option(None, help="Comma-separated LLC case-finding sources (default all)."),
    windows: str = typer.Option("30,90", help="End-of-life windows in days before death, comma-separated."),
    funnel_level: float = typer.Option(0.998, help="Level of the funnel limits that flag a region (default 0.998)."),
    alpha: float = typer.Option(0.05, help="1 - confidence level of every interval."),
) -> None:
    """The care landscape: the four laws per child, pgb, last months of life, respite per region, indicators."""
    from .analyses.landscape import run_landscape
    from .cohorts.cases import SOURCES
    from .cohorts.landscape import LandscapeParams

    try:
        days = tuple(int(w) for w in windows.split(",") if w.strip())
    except ValueError:
        typer.echo(f"error: --windows must be whole numbers of days separated by commas, got {windows!r}", err=True)
        raise typer.Exit(2) from None
    params = LandscapeParams(
        years=_run(_parse_years, years) if years else None, reference_year=reference_year,
        age_min=age_min, age_max=age_max, lookback=lookback,
        sources=tuple(s.strip() for s in sources.split(",") if s.strip()) if sources else SOURCES,
        windows=days, funnel_level=funnel_level, alpha=alpha)
    result = _run(run_landscape, warehouse, out, params)
    for note in result.warnings:
        typer.echo(f"note: {note}", err=True)
    ind = result.tables["indicators"]
    last = ind[ind["jaar"] == ind["jaar"].max()]
    for row in last.itertuples(index=False):
        typer.echo(f"{row.jaar} {row.indicator}: {row.numerator}/{row.denominator} = {row.value:.1f} {row.unit} "
                   f"(95% CI {row.ci_low:.1f}-{row.ci_high:.1f})".replace("95%", f"{100 * (1 - alpha):g}%"))
    typer.echo(f"tables written to {out}")


@app.command("capture-recapture")
def capture_recapture(
    table: Path = typer.Argument(..., help="CSV with 0/1 source columns and a count column (n, count or freq)."),
    criterion: str = typer.Option("aic", help="Model selection criterion: aic or bic."),
    out: Optional[Path] = typer.Option(
        None, "--out", help="Directory for capture_recapture.csv and capture_recapture_models.csv."
    ),
) -> None:
    """Estimate the population size from overlapping sources with log-linear models."""
    from .methods.capture_recapture import format_result, run_capture_recapture

    result = _run(run_capture_recapture, table, criterion=criterion, out_dir=out)
    typer.echo(format_result(result))
    if out is not None:
        typer.echo(f"wrote {out / 'capture_recapture.csv'} and {out / 'capture_recapture_models.csv'}")


@app.command()
def bench(
    scales: str = typer.Option("0.03,0.1,1", help="Comma-separated population scales (1 = national)."),
    repeats: int = typer.Option(3, help="Bare passes per scale; ratios use their median."),
    stages: Optional[str] = typer.Option(
        None, help="Comma-separated stages (default all: synth,ingest,marts,prevalence,transition,report)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Results directory (default bench/)."),
    summary_only: bool = typer.Option(False, "--summary-only", help="Only rewrite summary.md from results.json."),
) -> None:
    """Measure every stage at several scales against the bare and the panel pass (bench/results.json, summary.md)."""
    from .benchmark.run import STAGES, run_benchmark, summarise

    if summary_only:
        _run(summarise, out)
        typer.echo(f"summary: {(out or config.REPO_ROOT / 'bench') / 'summary.md'}")
        return

    try:
        scale_list = [float(s) for s in scales.split(",") if s.strip()]
    except ValueError:
        raise typer.BadParameter(f"--scales must be numbers separated by commas, got {scales!r}") from None
    chosen = tuple(s.strip() for s in stages.split(",") if s.strip()) if stages else STAGES
    doc = _run(run_benchmark, scale_list, repeats=repeats, stages=chosen, out_dir=out)
    typer.echo(f"results: {(out or config.REPO_ROOT / 'bench') / 'results.json'}")
    for t in doc["targets"]:
        typer.echo(f"{'met    ' if t['met'] else 'NOT MET'}  {t['target']}: {t['measured']} ({t['limit']})")


def main_entry() -> None:  # pragma: no cover - python -m kpz_analytics
    app(prog_name="kpz")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main_entry())
