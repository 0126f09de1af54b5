"""Synthetic spec-v1 extracts of a synthetic Netherlands, with planted truth (`kpz synth`).

:func:`write_extract` simulates the population in chunks of persons (memory stays bounded at
any scale), draws latent life-limiting conditions, their phases and the case-finding sources
that see them, generates care for the persons written to the extract, adds realistic dirt,
and writes the extract plus ``_truth/``. Same seed and options give identical bytes.
See ``docs/synthetic.md``.

The generator writes the contract, so it imports ``extract.spec`` and nothing else of the
pipeline (plus ``errors`` and ``refdata`` for the code vocabularies): estimators must recover
its truth without sharing its code.
"""

from __future__ import annotations

import ctypes
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from tqdm import tqdm

from ..extract import spec
from ..errors import KpzError
from ..refdata import load_codelist, load_reference
from . import parameters as P
from .care import Codes, generate, icd_forms
from .conditions import llc_years
from .dirt import fault_rows, finish_activities, finish_claims
from .population import Cohorts, age_1july, birthday, day, simulate
from .truth import Truth
from .writer import FORMATS as COLUMN_FORMATS
from .writer import NULL_DAY, TableWriter, pseudonyms, strings_table, to_arrow

FORMATS = ("csv", "parquet")
ORDINARY_ICD = ["J18.9", "S06.0", "R10.4", "J06.9", "A09.9", "K35.8", "S52.5", "R50.9",
                "J45.9", "H66.9", "N39.0", "L03.1", "J21.9", "R56.0", "T78.4", "S42.0",
                "K59.0", "B34.9", "J35.0", "F84.0"]

__all__ = ["write_extract", "extract_id"]
#: Third element of the seed sequence of a scenario's own random stream.
SCENARIO_STREAM = 1_000_003


def extract_id(seed: int, design: str, scale: float, scenario: str | None = None,
               capture_scenario: str = "base") -> str:
    """``synthetic-seed42-cohort_sample-s1`` (scale written without trailing zeros; a scenario
    is appended: ``...-s1-anticipation``; so is a capture scenario other than ``base``:
    ``...-s0.05-heterogeneous``)."""
    return (f"synthetic-seed{seed}-{design}-s{scale:g}" + (f"-{scenario}" if scenario else "")
            + ("" if capture_scenario == "base" else f"-{capture_scenario}"))


def _codes() -> Codes:
    llc = load_codelist("llc_fraser_v1")
    groups = list(P.GROUP_SHARES)
    by_group = []
    for g in groups:
        codes = llc.loc[llc["diagnostic_group"] == g, "code_norm"].tolist()
        if not codes:
            raise KpzError(f"llc_fraser_v1 has no code of diagnostic group {g!r}")
        by_group.append(icd_forms(sorted(codes)))
    prefixes = tuple(llc["code_norm"].str.upper())
    ordinary = [c for c in ORDINARY_ICD if not c.replace(".", "").startswith(prefixes)]
    acts = load_reference("zorgactiviteiten")
    palliative = np.array(sorted(acts.loc[acts["category"] == "palliative_care", "zorgactiviteit_code"]))
    if len(palliative) < 3:
        raise KpzError("reference/zorgactiviteiten.csv needs 3 palliative_care codes")
    provinces = list(P.PROVINCE_SHARES)
    institutions = [f"I1000{k + 1:02d}" for k in range(7)] + ["I200001"] + [
        f"I3{p:02d}{k + 1:03d}" for p in range(len(provinces)) for k in range(4)]
    cats = load_reference("productcategorieen")
    respite = {law: np.array(sorted(cats.loc[(cats["law"] == law) & (cats["product_group"] == "kortdurend_verblijf"),
                                             "productcategorie"])) for law in ("jeugdwet", "wmo")}
    regions = load_reference("regions")
    default = regions[regions["gemeente_code"].fillna("") == ""].set_index("provincie_code")["nik_region"]
    return Codes(by_group, icd_forms(ordinary), palliative,
                 [np.array(P.GEMEENTEN[p]) for p in provinces], np.array(provinces),
                 institutions=np.array(institutions), respite=respite,
                 province_region=np.array([default[p] for p in provinces]))


def _validate(design, fmt, scale, years, scenario=None, capture_scenario="base"):
    if scenario is not None and scenario not in P.SCENARIOS:
        raise KpzError(f"unknown scenario {scenario!r} (known: {', '.join(P.SCENARIOS)})")
    if capture_scenario not in P.CAPTURE_SCENARIOS:
        raise KpzError(f"unknown capture scenario {capture_scenario!r} "
                       f"(use {', '.join(P.CAPTURE_SCENARIOS)})")
    if design not in spec.DESIGNS:
        raise KpzError(f"unknown design {design!r} (use {' or '.join(spec.DESIGNS)})")
    if fmt not in FORMATS:
        raise KpzError(f"unknown format {fmt!r} (use csv or parquet)")
    if not scale > 0:
        raise KpzError(f"--scale must be > 0, got {scale}")
    if years[0] > years[1]:
        raise KpzError(f"first year {years[0]} is after last year {years[1]}")
    if years[0] < 1990 or years[1] > 2030:
        raise KpzError(f"years {years[0]}-{years[1]} outside the supported range 1990-2030")


def _clear(out: Path) -> None:
    """Remove files of an earlier extract in ``out`` (tables, manifest, truth)."""
    for t in spec.TABLE_ORDER:
        for fmt in FORMATS:
            (out / f"{t}.{fmt}").unlink(missing_ok=True)
    (out / "manifest.json").unlink(missing_ok=True)
    shutil.rmtree(out / "_truth", ignore_errors=True)


def write_extract(out: Path, *, seed: int = 42, design: str = "cohort_sample", fmt: str = "csv",
                  scale: float = 1.0, years: tuple[int, int] = (2015, 2024),
                  faults: bool = False, progress: bool = True, scenario: str | None = None,
                  capture_scenario: str = "base") -> dict:
    """Write a synthetic spec-v1 extract to ``out`` and its planted truth to ``out/_truth``.

    Parameters
    ----------
    out : directory to write (created; earlier extract files in it are replaced).
    seed : random seed; the same seed and options give byte-identical files.
    design : ``cohort_sample`` (LLC selection + Bernoulli sample of ``SAMPLE_FRACTION`` of all
        other persons) or ``population`` (everyone).
    fmt : ``csv`` or ``parquet``.
    scale : persons relative to the Netherlands (1 = about 3.8 million aged 0-19).
    years : first and last calendar year of the period.
    faults : append malformed rows of every quarantine reason (listed in ``_truth/faults.csv``).
    scenario : ``None`` (default) or one of ``parameters.SCENARIOS``: a mechanism that breaks an
        estimator's assumption on purpose (``docs/synthetic.md``); drawn from its own random
        stream, so everything else equals the default extract of the seed.
    capture_scenario : ``base`` (capture-recapture correctly specified), ``heterogeneous`` or
        ``time_varying`` (violations for validation; ``parameters.CAPTURE_SCENARIOS``).

    Returns
    -------
    dict : the manifest written to ``out/manifest.json``.
    """
    _validate(design, fmt, scale, years, scenario, capture_scenario)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    _clear(out)
    codes = _codes()
    cohorts = Cohorts.build(years, scale)
    n = cohorts.n_persons
    if n == 0:
        raise KpzError(f"--scale {scale} is too small: no persons to simulate")
    P0, P1 = day(years[0]), day(years[1], 12, 31)
    ny = years[1] - years[0] + 1
    gem_counts = np.array([len(g) for g in codes.gemeenten])
    writers = {t: TableWriter(out, t, fmt) for t in spec.TABLE_ORDER}
    counters = {t: 1 for t in spec.CLAIMS_TABLES} | {"wlz_indicaties": 1}
    pop = np.zeros(ny * 26 * 3 * 12, dtype=np.int64)
    # The truth's person table is written chunk by chunk (bounded memory at any scale).
    (out / "_truth").mkdir(parents=True, exist_ok=True)
    truth = Truth(years, spool=out / "_truth" / f"persons.{fmt}", capture_scenario=capture_scenario)
    truth.province_region = codes.province_region
    templates: dict[str, dict] = {}
    chunks = range(0, n, P.CHUNK_PERSONS)
    for ci, lo in enumerate(tqdm(chunks, desc="kpz synth", unit="chunk", disable=not progress)):
        hi = min(lo + P.CHUNK_PERSONS, n)
        rng = np.random.default_rng([seed, ci])
        persons = simulate(rng, cohorts, lo, hi, gem_counts)
        # populatie: everyone insured on 1 July, aged 0-25 (all simulated persons)
        for yi, y in enumerate(range(years[0], years[1] + 1)):
            j = day(y, 7, 1)
            age = age_1july(persons.birth_month, y)
            ok = (persons.ins_start <= j) & (persons.ins_end >= j) & (age <= 25)
            cell = ((yi * 26 + age[ok]) * 3 + persons.sex[ok]) * 12 + persons.province[ok]
            pop += np.bincount(cell, minlength=len(pop))
        # extract universe: alive and insured in the period on a day while aged 0-25
        b26 = birthday(persons.birth_month, 26)
        universe = np.maximum(persons.ins_start, P0) <= np.minimum.reduce(
            [persons.ins_end, np.full(len(b26), P1), b26 - 1])
        persons.llc &= universe  # LLC outside the universe is never observed
        ly = llc_years(rng, persons, years, capture_scenario)
        selected = np.zeros(len(universe), bool)
        selected[ly.person[ly.captured.any(axis=1)]] = True
        if design == "population":
            in_sample = np.zeros(len(universe), bool)
            in_extract = universe
        else:
            in_sample = universe & ~selected & (rng.random(len(universe)) < P.SAMPLE_FRACTION)
            in_extract = selected | in_sample
        ext = np.flatnonzero(in_extract)
        scenario_rng = np.random.default_rng([seed, ci, SCENARIO_STREAM]) if scenario else None
        care = generate(rng, persons, ext, ly, years, codes, scenario, scenario_rng)
        pids = np.asarray(pseudonyms(persons.index, seed).to_numpy(zero_copy_only=False))
        _write_people(writers, persons, ext, in_sample, P1, seed, templates)
        tables = care.tables
        for t in spec.CLAIMS_TABLES:
            tables[t] = finish_claims(rng, t, tables[t], counters)
        tables["dot_zorgactiviteiten"] = finish_activities(tables["dot_zorgactiviteiten"], tables["dot"])
        wi = tables["wlz_indicaties"]
        order = np.lexsort((wi["begindatum"], wi["persoon_id"]))
        wi = {k: v[order] for k, v in wi.items()}
        wi["indicatie_id"] = counters["wlz_indicaties"] + np.arange(len(order))
        counters["wlz_indicaties"] += len(order)
        tables["wlz_indicaties"] = wi
        for t in (*spec.CLAIMS_TABLES, "wlz_indicaties", "dot_zorgactiviteiten"):
            cols = tables[t]
            if "persoon_id" in cols:
                cols["persoon_id"] = persons.index[cols["persoon_id"]]
            arrow = to_arrow(t, cols, seed)
            _remember_template(templates, t, arrow)
            writers[t].write(arrow)
        truth.add(persons, universe, ly, in_extract, in_sample, pids, care, design)
        del persons, care, tables, ly, pids, arrow
        _release_memory()
    _write_populatie(writers["populatie"], pop, years)
    fault_list = _write_faults(writers, templates, counters, years) if faults else None
    files = {t: w.close() for t, w in writers.items()}
    manifest = {
        "spec_version": spec.SPEC_VERSION,
        "extract_id": extract_id(seed, design, scale, scenario, capture_scenario),
        "period_start": f"{years[0]}-01-01",
        "period_end": f"{years[1]}-12-31",
        "design": design,
        "sample_fraction": P.SAMPLE_FRACTION if design == "cohort_sample" else None,
        "files": files,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    truth.write(out, fmt, manifest, scale, seed, scenario)
    if fault_list is not None:
        fault_list.to_csv(out / "_truth" / "faults.csv", index=False)
    return manifest


def _release_memory() -> None:
    """Give the memory a chunk freed back to the operating system before the next chunk.

    Freed memory stays with the process otherwise (glibc's heap, Arrow's pool), fragmented, and
    the resident size crept up chunk by chunk: 1.5 GB at scale 0.03 (2 chunks) but 2.03 GB at
    scale 1 (63 chunks) for the same chunk size. Changes no data.
    """
    pa.default_memory_pool().release_unused()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to trim this way
        pass


def _write_people(writers, persons, ext, in_sample, P1, seed, templates) -> None:
    sex = np.array(list(P.SEX_SHARES))
    prov = np.array(list(P.PROVINCE_SHARES))
    gem = np.full(len(persons.index), "", dtype="<U6")
    for pi, gl in enumerate(P.GEMEENTEN.values()):
        sel = (persons.province == pi) & (persons.gemeente >= 0)
        gem[sel] = np.array(gl)[persons.gemeente[sel]]
    death_known = persons.died_insured[ext] & (persons.death[ext] <= P1)
    cols = dict(
        persoon_id=persons.index[ext], geboortemaand=persons.birth_month[ext], geslacht=sex[persons.sex[ext]],
        overlijdensdatum=np.where(death_known, persons.death[ext], NULL_DAY),
        provincie_code=prov[persons.province[ext]], gemeente_code=gem[ext],
        in_steekproef=np.where(in_sample[ext], "1", "0"))
    arrow = to_arrow("personen", cols, seed)
    _remember_template(templates, "personen", arrow)
    writers["personen"].write(arrow)
    cols = dict(persoon_id=persons.index[ext], begindatum=persons.ins_start[ext],
                einddatum=np.where(persons.ins_end[ext] <= P1, persons.ins_end[ext], NULL_DAY))
    arrow = to_arrow("verzekeringsperioden", cols, seed)
    _remember_template(templates, "verzekeringsperioden", arrow)
    writers["verzekeringsperioden"].write(arrow)


def _write_populatie(writer, pop, years) -> None:
    ny = years[1] - years[0] + 1
    idx = np.arange(len(pop))
    prov, rest = idx % 12, idx // 12
    sex, rest = rest % 3, rest // 3
    age, yi = rest % 26, rest // 26
    cols = dict(jaar=years[0] + yi, leeftijd=age, geslacht=np.array(list(P.SEX_SHARES))[sex],
                provincie_code=np.array(list(P.PROVINCE_SHARES))[prov], aantal=pop)
    assert yi.max() == ny - 1
    writer.write(to_arrow("populatie", cols, 0))


def _remember_template(templates: dict, table: str, arrow) -> None:
    """Keep the first clean, non-credit row of each file as a template for fault rows."""
    if table in templates or arrow.num_rows == 0:
        return
    rows = arrow.slice(0, 200).to_pylist()
    for r in rows:
        if not r.get("credit_voor_id"):
            templates[table] = r
            return


def _write_faults(writers, templates, counters, years) -> pd.DataFrame:
    """Append malformed rows (one quarantine reason each) and list them."""
    listed = []
    prefix = {t: k[3:] for t, f in COLUMN_FORMATS.items()
              for c, k in f.items() if c in ("declaratie_id", "indicatie_id")}
    for t in ("personen", "verzekeringsperioden", *spec.CLAIMS_TABLES, "wlz_indicaties", "dot_zorgactiviteiten"):
        if t not in templates:
            continue
        w = writers[t]
        fresh_counter = {"n": 0}

        def fresh_key(t=t):
            if t == "personen":
                fresh_counter["n"] += 1
                return f"Q{fresh_counter['n']:012d}"
            counters[t] += 1
            return f"{prefix[t]}{counters[t] - 1:010d}"

        orphan = f"{prefix.get(t, 'X')}{counters.get(t, 0) + 10**9:010d}"
        rows, lst = fault_rows(t, templates[t], w.rows, fresh_key, years, orphan)
        qty = {"zvw_overig": "aantal", "wlz_declaraties": "aantal", "wmo": "volume", "jeugdwet": "volume"}.get(t)
        for (off, col, reason) in lst:
            if reason == "orphan_credit" and qty and rows[off].get(qty):
                rows[off][qty] = "-" + rows[off][qty]
            listed.append({"file": t, "row_number": w.rows + off + 1, "column_name": col, "reason": reason})
        if rows:
            w.write(strings_table(t, rows))
    return pd.DataFrame(listed, columns=["file", "row_number", "column_name", "reason"])
