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


def _run(func, *args, **kwargs):
    """Call a package function; turn a KpzError into a one-line message and exit code 2."""
    try:
        return func(*args, **kwargs)
    except KpzError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


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
) -> None:
    """Write a synthetic spec-v1 extract with planted truth in OUT/_truth/."""
    period = _run(_parse_years, years)
    from .synthetic import write_extract

    manifest = _run(
        write_extract, out, seed=seed, design=design, fmt=format, scale=scale,
        years=period, faults=faults, capture_scenario=capture_scenario,
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
) -> None:
    """Render the Dutch HTML reports (all notebooks/NN_*.ipynb) on a warehouse."""
    from .reporting.render import render_reports

    for html in _run(render_reports, warehouse, out_dir=out, only=only):
        typer.echo(f"rapport: {html}")


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

    params = CaseParams(
        years=_run(_parse_years, years) if years else None, age_min=age_min, age_max=age_max,
        lookback=lookback,
        sources=tuple(s.strip() for s in sources.split(",") if s.strip()) if sources else SOURCES,
        basis=basis,
    )
    result = _run(run_prevalence, warehouse, out, params, criterion=criterion, need_accuracy=need_accuracy)
    for note in result.warnings:
        typer.echo(f"note: {note}", err=True)
    typer.echo(result.headline["sentence_en"])
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


def main_entry() -> None:  # pragma: no cover - python -m kpz_analytics
    app(prog_name="kpz")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main_entry())
