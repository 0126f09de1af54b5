"""Tables for policy discussions: ``kpz export WAREHOUSE --out DIR``.

What leaves the research environment here is exactly what the reports show, protected the
same way (:mod:`kpz_analytics.reporting.publish`, :func:`~kpz_analytics.methods.disclosure.protect`):
the prevalence tables (by year, age, sex, province, NIK region, diagnostic group, …) and the
transition tables (jump at 18, zorgval shares, care use per month around 18) and the care-landscape
tables with the yearly indicator set (`landscape_indicators`).

An export directory holds

- ``<table>.csv`` — tidy, machine-readable: codes, values (empty where suppressed) and a
  ``<column>_status`` column per protected value (``shown``, ``zero``, ``primary``,
  ``secondary``, ``derived``, ``dominance``), plus provenance columns;
- ``kpz_export.xlsx`` — the same tables for people, in Dutch: one sheet per table with markers
  ("<10", "•") in hidden cells, a ``toelichting`` sheet (definitions, sources, provenance,
  the rules) and an ``onderdrukking`` sheet (the audit);
- ``audit.csv`` (cells per table, column and status, with the share suppressed and the
  rule), ``suppressed_cells.csv`` (every hidden cell and why), ``attack.csv`` (the feasible
  interval an attacker can reach for every hidden cell; no true value) and
  ``provenance.json``.

Before anything is written to ``DIR`` the export attacks itself: the CSV files as written
are read back, their status columns are joined to the true values, every shown value is
checked against the truth and every hidden one for being empty, and the linear programme of
:func:`~kpz_analytics.methods.disclosure.attack` bounds every hidden cell using everything in
the export. If any interval is narrower than the threshold demands, nothing is written.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from .. import provenance
from ..errors import KpzError
from ..methods.disclosure import DEFAULT_THRESHOLD, SUPPRESSED, ProtectedSet, Rules, TableSpec, attack
from ..warehouse.connect import connect, extract_meta
from . import header
from . import labels as L
from .publish import Published, protect_prevalence, shown

PARTS = ("prevalence", "transition", "landscape")
WORKBOOK = "kpz_export.xlsx"
#: Sheet names (at most 31 characters) and a sentence on what each table holds.
SHEETS = {
    "prevalence_by_year": ("prevalentie per jaar", "Kinderen met een levensbeperkende aandoening (LBA) en "
                           "met behoefte aan palliatieve zorg per jaar, per 10.000 verzekerde kinderen."),
    "prevalence_by_age_group": ("naar leeftijd", "Als per jaar, naar leeftijdsgroep op 1 juli."),
    "prevalence_by_sex": ("naar geslacht", "Als per jaar, naar geslacht."),
    "prevalence_by_province": ("naar provincie", "Als per jaar, naar provincie van de woonplaats."),
    "prevalence_by_nik_region": ("naar NIK-regio", "Als per jaar, naar regio van de Netwerken Integrale "
                                 "Kindzorg (benadering via provincie en gemeente)."),
    "prevalence_by_diagnostic_group": ("naar diagnosegroep", "Als per jaar, naar diagnosegroep (Fraser/Hain); "
                                       "een kind telt mee in elke groep waarvan het een code heeft."),
    "prevalence_standardised": ("gestandaardiseerd", "Naar leeftijd en geslacht gestandaardiseerd "
                                "(Europese standaardbevolking 2013)."),
    "prevalence_trend": ("trend", "Jaarlijkse procentuele verandering (regressiemodel over de jaren met een "
                         "volledige terugkijkperiode); modeluitkomst, geen aantallen."),
    "prevalence_lookback": ("terugkijkperiode", "Aantal kinderen met een LBA bij andere terugkijkperiodes "
                            "(de standaard staat in 'prevalentie per jaar')."),
    "deaths_among_cases": ("overlijden", "Overleden kinderen onder de kinderen met een LBA, naar leeftijdsgroep."),
    "palliative_need_sensitivity": ("gevoeligheid behoefte", "Aantal met behoefte aan palliatieve zorg bij "
                                    "andere keuzes van de markers."),
    "attrition": ("selectiestappen", "Aantallen bij elke stap van de casusdefinities."),
    "capture_recapture": ("capture-recapture", "Kinderen gezien in het jaar en het geschatte totaal inclusief "
                          "de kinderen die geen bron ziet (log-lineaire modellen)."),
    "capture_recapture_strata": ("capture-recapture per stratum", "Als capture-recapture, per stratum (jonger "
                                 "dan 18 op een dag van het jaar; het hele jaar 18 of ouder), met de gebruikte "
                                 "bronnen en de status van de schatting."),
    "palliative_need_corrected": ("behoefte gecorrigeerd", "Behoefte aan palliatieve zorg: gemarkeerde kinderen "
                                  "en het aantal gecorrigeerd voor misclassificatie (x PPV / sensitiviteit) met "
                                  "interval; het getal van de kernboodschap."),
    "palliative_need_change": ("behoefte verandering", "Verandering van de gecorrigeerde behoefte ten opzichte "
                               "van het jaar ervoor, met interval; verborgen waar een van beide jaren verborgen is."),
    "prevalence_e84_variant": ("indeling E84", "Kinderen die van diagnosegroep wisselen als taaislijmziekte "
                               "(E84) onder luchtwegen valt in plaats van metabool."),
    "prevalence_ccc": ("CCC (Feudtner)", "Kinderen met een complexe chronische aandoening (Feudtner CCC v2, "
                       "diagnosecodes), per 10.000."),
    "llc_ccc_overlap": ("overlap LBA en CCC", "Kinderen met een LBA (alle bronnen), met CCC, beide of een van "
                        "beide."),
    "llc_ccc_overlap_hospital_code": ("overlap LBA-code en CCC", "Als de overlap, tegenover de kinderen met een "
                                      "LBA-code in het ziekenhuis."),
}
TRANSITION_SHEETS = {
    "event_time": "18: zorg per maand", "gap": "18: zorgval", "rd": "18: sprong bij 18",
    "rate_ratio": "18: verhouding na-voor", "hospital": "18: ziekenhuiszorg", "episodes": "18: episodes",
    "jeugdwet_wmo": "18: Jeugdwet en Wmo", "pgb": "18: pgb", "respite_region": "18: logeren per regio",
    "followup": "18: follow-up", "attrition": "18: selectiestappen", "time_to_care": "18: tijd tot zorg",
    "km_curves": "18: Kaplan-Meier", "cuminc": "18: cumulatieve incidentie", "cox": "18: Cox-model",
    "cox_ph": "18: Cox PH-toets",
}


@dataclass
class ExportResult:
    """What ``kpz export`` wrote and what the audit found."""

    out: Path
    files: list[Path]
    audit: pd.DataFrame
    attack: pd.DataFrame
    parts: tuple[str, ...]
    notes: list[str] = field(default_factory=list)

    def summary_lines(self) -> list[str]:
        """One line per table: cells, cells suppressed, share."""
        a = self.audit[self.audit["status"] == "suppressed"]
        lines = [f"{r.part}/{r.table}: {r.n_cells} of {r.n_cells_column} cells suppressed ({r.share:.1%})"
                 for r in a.itertuples()]
        atk = self.attack
        if len(atk):
            lines.append(f"attack: {len(atk)} hidden cells, every one protected; narrowest feasible "
                         f"interval of a count {int(atk['width'].min())} persons")
        else:
            lines.append("attack: no hidden cells to attack")
        return lines


# --------------------------------------------------------------------------- building
def publications(con, parts=PARTS, threshold: int = DEFAULT_THRESHOLD, progress: bool = True
                 ) -> tuple[dict[str, Published], dict, list[str]]:
    """Compute and protect the publications of ``parts``; also their parameters and notes."""
    from ..analyses import prevalence as P

    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        raise KpzError(f"unknown export part(s) {', '.join(unknown)}; choose from {', '.join(PARTS)}")
    out: dict[str, Published] = {}
    parameters: dict[str, dict] = {}
    notes: list[str] = []
    steps = tqdm(list(parts), desc="export", unit="deel", disable=not progress)
    for part in steps:
        steps.set_postfix_str(part)
        if part == "prevalence":
            result = P.compute_prevalence(con, cr_by_age=False, progress=progress)
            out[part] = protect_prevalence(result, threshold=threshold)
            parameters[part] = {k: v for k, v in result.metadata.items()
                                if k not in ("generated_at", "package_version", "extract_id", "manifest_sha256")}
            if result.warnings:
                notes.append(f"prevalence: {len(result.warnings)} technical note(s) of the analysis "
                             "(see the report's results directory)")
        elif part == "landscape":
            from ..analyses.landscape import compute_landscape
            from ..cohorts.landscape import LandscapeParams
            from .publish import protect_landscape

            result = compute_landscape(con, LandscapeParams(), progress=progress)
            out[part] = protect_landscape(result, threshold=threshold)
            parameters[part] = {k: (list(v) if isinstance(v, tuple) else v)
                                for k, v in result.metadata["parameters"].items()}
        else:
            try:
                from ..analyses.transition import compute_transition
                from ..cohorts.transition import TransitionParams
                from .publish import protect_transition
            except ImportError as exc:
                raise KpzError(f"the transition analysis is not available in this version ({exc}); "
                               "export with --parts prevalence") from None
            params = TransitionParams()
            result = compute_transition(con, params, progress=progress)
            out[part] = protect_transition(result, threshold=threshold)
            parameters[part] = {k: (list(v) if isinstance(v, tuple) else v)
                                for k, v in vars(params).items()}
    return out, parameters, notes


def _csv_frame(df: pd.DataFrame, stamp: dict) -> pd.DataFrame:
    """A published table as written to CSV: provenance columns added where missing."""
    out = df.copy()
    for k, v in stamp.items():
        if k not in out.columns:
            out[k] = v
    return out


def _sheet_frame(part: str, name: str, df: pd.DataFrame) -> pd.DataFrame:
    """A published table for people: markers in hidden cells, Dutch names, no provenance columns."""
    from . import landscape as LS
    from . import transition as R
    from .publish import PROVENANCE_COLUMNS

    view = shown(df)
    view = view[[c for c in view.columns if c not in PROVENANCE_COLUMNS]]
    if part == "prevalence":
        return L.labelled(view, list(view.columns))
    if part == "landscape":
        return LS.table_nl(view, list(view.columns))
    return R.table_nl(view, list(view.columns))


def _check_written(spec: TableSpec, written: pd.DataFrame, part: str) -> TableSpec:
    """The spec with the status columns read back from the file; shown values must be true."""
    data = spec.data.reset_index(drop=True)
    what = f"{part}/{spec.name}.csv"
    if len(written) != len(data):
        raise KpzError(f"{what}: {len(written)} rows written, {len(data)} protected")
    for d in spec.dim_list:
        if list(written[d.name].astype(str)) != list(data[d.name].astype(str)):
            raise KpzError(f"{what}: rows of the file are not the protected rows (column {d.name})")
    statuses = {}
    for col in [*spec.protected_columns, *spec.derived]:
        st = written[f"{col}_status"].astype(str).to_numpy()
        hidden = np.isin(st, list(SUPPRESSED))
        value = pd.to_numeric(written[col], errors="coerce").to_numpy(dtype=float)
        truth = pd.to_numeric(data[col], errors="coerce").to_numpy(dtype=float)
        if np.isfinite(value[hidden]).any():
            raise KpzError(f"{what}: a suppressed value of {col} is in the file")
        ok = np.isclose(value[~hidden], truth[~hidden], rtol=1e-9, atol=1e-9, equal_nan=True)
        if not ok.all():
            raise KpzError(f"{what}: a shown value of {col} differs from the protected table")
        statuses[f"{col}_status"] = st
    return TableSpec(spec.name, data.assign(**statuses), dims=spec.dims, counts=spec.counts,
                     derived=spec.derived, denominators=spec.denominators, magnitudes=spec.magnitudes,
                     quantities=spec.quantities, total_code=spec.total_code, passthrough=spec.passthrough)


def attack_written(directory: Path, published: dict[str, Published]) -> pd.DataFrame:
    """Attack the export as written in ``directory``; raise if any hidden cell is exposed.

    Returns one row per hidden cell that needs protection with the feasible interval an
    attacker reaches from everything in the export (no true value).
    """
    rows = []
    for part, pub in published.items():
        ps = pub.protected
        specs = []
        for spec in ps.specs:
            written = pd.read_csv(directory / part / f"{spec.name}.csv", keep_default_na=True)
            specs.append(_check_written(spec, written, part))
        rules = ps.rules
        replay = ProtectedSet.from_status_columns(
            specs, threshold=rules.threshold, show_zeros=rules.show_zeros, min_width=rules.min_width,
            nk_n=rules.nk_n, nk_k=rules.nk_k, p_ratio=rules.p_ratio)
        result = attack(replay)
        bad = result[~result["protected"]]
        if len(bad):
            r = bad.iloc[0]
            raise KpzError(f"refusing to export: {part}/{r['table']} cell {r['cell']} ({r['column']}) "
                           f"can be narrowed to {r['feasible_min']:g}-{r['feasible_max']:g}")
        result = result.drop(columns=["true_value"]).assign(part=part)
        result["width"] = result["feasible_max"] - result["feasible_min"]
        rows.append(result)
    if not rows:
        return pd.DataFrame(columns=["part", "table", "cell", "column", "status", "feasible_min",
                                     "feasible_max", "width", "required", "protected"])
    out = pd.concat(rows, ignore_index=True)
    return out[["part", "table", "cell", "column", "status", "feasible_min", "feasible_max", "width",
                "required", "protected"]]


def _toelichting(meta: dict, parameters: dict, published: dict[str, Published], attack_df: pd.DataFrame,
                 threshold: int, rec: dict) -> pd.DataFrame:
    t = header.TEXT["nl"]
    rows = [("inhoud", "Tabellen van kpz-analytics (Kenniscentrum Kinderpalliatieve Zorg) voor beleidsoverleg. "
                       "Alleen geaggregeerde aantallen; elke cel is door de openbaarmakingscontrole gegaan."),
            (t["extract"], meta.get("extract_id")), (t["checksum"], meta.get("manifest_sha256")),
            (t["period"], f"{meta.get('period_start')} – {meta.get('period_end')}"),
            (t["design"], L.DESIGN.get(meta.get("design"), meta.get("design"))),
            (t["data"], t["synthetic"] if header.is_synthetic(meta) else t["real"])]
    if header.is_synthetic(meta):
        rows.append(("LET OP", t["banner"]))
    rows += [("kpz-analytics", rec["package_version"]), (t["commit"], rec["git_commit"] or t["not_a_checkout"]),
             (t["libraries"], f"Python {rec['python']}; " + ", ".join(f"{k} {v}" for k, v in rec["libraries"].items() if v)),
             (t["run"], rec["generated_at"])]
    for part, pars in parameters.items():
        for k, v in pars.items():
            rows.append((f"parameter {part}: {k}", json.dumps(v, default=str, ensure_ascii=False)))
    lists = header.definition_versions(["llc_fraser_v1", "palliative_need_v2", "palliative_need_plus_activity_v1",
                                        "need_accuracy_synthetic_v1", "ccc_feudtner_v1", "llc_group_variants_v1",
                                        "source_hospital_llc_code_v1",
                                        "source_palliative_activity_v1", "source_ikz_mkv_v1",
                                        "source_wlz_severe_v1", "transition_outcomes_v1", "landscape_measures_v1",
                                        "landscape_indicators_v1", "regions"])
    for k, v in lists.items():
        rows.append((f"code-lijst {k}", v))
    rows += [("openbaarmakingscontrole",
              f"Aantallen personen van 1 tot {threshold - 1} zijn onderdrukt (marker <{threshold}); een echte nul "
              "wordt getoond. Cijfers die van een onderdrukt aantal zijn afgeleid (percentages, per 10.000, "
              "intervallen) en aanvullend onderdrukte cellen zijn gemarkeerd met •. Aanvullende onderdrukking "
              "zorgt dat geen verborgen cel uit totalen, andere tabellen in deze export of een noemer terug te "
              "rekenen is. Regels als ACRO 1.0.2 (drempel, (n,k)-dominantie, p-ratio)."),
             ("aanval", f"Voor elke verborgen cel is met lineaire programmering (HiGHS) over alle tabellen van de "
                        f"export het kleinste en grootste mogelijke getal bepaald: {len(attack_df)} cellen, alle "
                        "beschermd" + (f"; smalste interval {int(attack_df['width'].min())} personen"
                                       if len(attack_df) else "") + ". Zie attack.csv.")]
    for part, pub in published.items():
        for name in pub.tables:
            sheet = SHEETS.get(name, (None, ""))[1] if part == "prevalence" else ""
            rows.append((f"tabel {_sheet_name(part, name)}", sheet or name))
    return pd.DataFrame(rows, columns=["onderwerp", "toelichting"])


def _sheet_name(part: str, name: str) -> str:
    if part == "prevalence":
        return SHEETS.get(name, (name[:31], ""))[0]
    if part == "landscape":
        return f"zl {name}"[:31]
    return TRANSITION_SHEETS.get(name, f"18 {name}")[:31]


def _audit_nl(audit: pd.DataFrame) -> pd.DataFrame:
    a = audit[["part", "table", "column", "role", "status", "rule", "n_cells", "n_cells_column", "share"]].copy()
    a["status"] = a["status"].map(lambda s: L.STATUS.get(s, s))
    return a.rename(columns={"part": "deel", "table": "tabel", "column": "kolom", "role": "rol",
                             "rule": "regel", "n_cells": "cellen", "n_cells_column": "cellen in kolom",
                             "share": "aandeel"})


def export(warehouse: str | Path, out: str | Path, threshold: int = DEFAULT_THRESHOLD,
           parts=PARTS, progress: bool = True) -> ExportResult:
    """Write the protected tables of ``parts`` to ``out`` as CSV and one Excel workbook.

    Parameters
    ----------
    warehouse : a warehouse built by ``kpz ingest``.
    out : directory to write (created; files of an earlier export there are replaced).
    threshold : smallest person count shown (default 10).
    parts : any of ``prevalence``, ``transition`` and ``landscape`` (the care landscape with its
        yearly indicator set).
    progress : show progress.

    Raises
    ------
    KpzError
        Person-level input, an undeclared column, or an export whose hidden cells the attack
        can narrow too far; then nothing is written.
    """
    Rules(threshold=threshold)  # a bad threshold is refused before minutes of computing
    con = connect(warehouse)
    try:
        meta = extract_meta(con)
        published, parameters, notes = publications(con, tuple(parts), threshold, progress)
    finally:
        con.close()
    return write_export(published, meta, parameters, out, threshold, notes)


def write_export(published: dict[str, Published], meta: dict, parameters: dict, out: str | Path,
                 threshold: int = DEFAULT_THRESHOLD, notes: list[str] | None = None) -> ExportResult:
    """Write protected publications to ``out`` after attacking them as written (see module doc).

    ``published`` maps a part name to its :class:`~kpz_analytics.reporting.publish.Published`;
    ``meta`` is the warehouse's ``meta_extract`` row, ``parameters`` the run's parameters per
    part. Nothing is written to ``out`` unless every check passes.
    """
    out = Path(out)
    notes = list(notes or [])
    for part, pub in published.items():
        if pub.protected is None:
            raise KpzError(f"{part}: not a protected publication (no disclosure control record)")
    rec = provenance.record()
    stamp = {"extract_id": meta.get("extract_id"), "manifest_sha256": meta.get("manifest_sha256"),
             "package_version": rec["package_version"], "git_commit": rec["git_commit"],
             "generated_at": rec["generated_at"]}
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for part, pub in published.items():
            (tmp / part).mkdir()
            for name, df in pub.tables.items():
                _csv_frame(df, stamp).to_csv(tmp / part / f"{name}.csv", index=False)
        attack_df = attack_written(tmp, published)
        audit = pd.concat([pub.audit.assign(part=part) for part, pub in published.items()], ignore_index=True)
        audit.to_csv(tmp / "audit.csv", index=False)
        cells = pd.concat([pub.protected.cell_log().assign(part=part) for part, pub in published.items()],
                          ignore_index=True)
        cells.to_csv(tmp / "suppressed_cells.csv", index=False)
        attack_df.to_csv(tmp / "attack.csv", index=False)
        (tmp / "provenance.json").write_text(json.dumps(
            {**stamp, "period": [str(meta.get("period_start")), str(meta.get("period_end"))],
             "design": meta.get("design"), "synthetic": header.is_synthetic(meta),
             "python": rec["python"], "libraries": rec["libraries"], "parameters": parameters,
             "threshold": threshold, "parts": list(published), "notes": notes},
            indent=2, default=str, ensure_ascii=False) + "\n", encoding="utf-8")
        with pd.ExcelWriter(tmp / WORKBOOK, engine="openpyxl") as xl:
            _toelichting(meta, parameters, published, attack_df, threshold, rec).to_excel(
                xl, sheet_name="toelichting", index=False)
            _audit_nl(audit).to_excel(xl, sheet_name="onderdrukking", index=False)
            for part, pub in published.items():
                for name, df in pub.tables.items():
                    _sheet_frame(part, name, df).to_excel(xl, sheet_name=_sheet_name(part, name), index=False)
            for ws in xl.book.worksheets:
                ws.column_dimensions["A"].width = 28
                if ws.title == "toelichting":
                    ws.column_dimensions["B"].width = 120
        out.mkdir(parents=True, exist_ok=True)
        files = []
        for path in sorted(tmp.rglob("*")):
            if path.is_file():
                target = out / path.relative_to(tmp)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(str(path), target)
                files.append(target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return ExportResult(out=out, files=files, audit=audit, attack=attack_df, parts=tuple(published),
                        notes=notes)
