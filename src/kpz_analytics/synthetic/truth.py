"""Planted truth, written to ``OUT/_truth/`` (never in the manifest, never read by the pipeline).

Counting convention for year Y (the prevalence code uses the same): a person counts in Y
when they have the LLC (onset on or before that day) on at least one day of Y on which they
are alive and insured; their age in Y is the completed years on 1 July of Y from the 15th of
the birth month, floored at 0. Deaths are counted by year of death and age at death, for
deaths while insured in the period (as ``personen.overlijdensdatum`` records them).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from . import parameters as P
from . import eol_truth as EOL
from . import transition_truth as TT
from .planted import load_planted, planted_path
from .care import ChunkCare
from .conditions import STRATA, SOURCES, LlcYears, available_sources
from .population import NEVER, Persons, age_on, day, month_of, month_start, year_of

AGE_GROUPS = ("<1", "1-4", "5-9", "10-14", "15-19", "20-25")
AGE_EDGES = np.array([1, 5, 10, 15, 20, 26])
MEASURES = ("llc_alive_insured", "llc_nonstable", "deaths_all", "deaths_llc")
GROUPS = list(P.GROUP_SHARES)


def day_1july(years: np.ndarray) -> np.ndarray:
    """Day number of 1 July of each year."""
    return month_start((np.asarray(years, dtype="int64") - 1970) * 12 + 6)


#: Column types of persons.parquet (fixed, so the chunks appended one by one share one schema).
PERSONS_SCHEMA = pa.schema([("persoon_id", pa.string()), ("llc", pa.int64()), ("diagnostic_group", pa.string()),
                            ("onset_date", pa.string()), ("death", pa.string()), ("in_extract", pa.int64())])


class _Spool:
    """A table written to CSV or Parquet chunk by chunk (the same text as writing it whole).

    The Parquet schema is ``schema`` or that of the first chunk with rows (a chunk without rows
    cannot tell the type of a text column); later chunks are cast to it.
    """

    def __init__(self, path: Path, schema: pa.Schema | None = None):
        self.path, self.schema = path, schema
        self._writer: pq.ParquetWriter | None = None
        self._rows = 0
        self._empty: pd.DataFrame | None = None  # columns to write if no chunk has rows

    def append(self, df: pd.DataFrame) -> None:
        if df.empty:
            if self._empty is None:
                self._empty = df
            return
        if self.path.suffix == ".csv":
            df.to_csv(self.path, mode="a", header=self._rows == 0, index=False)
        else:
            table = pa.Table.from_pandas(df, preserve_index=False)
            if self._writer is None:
                self.schema = self.schema or table.schema
                self._writer = pq.ParquetWriter(self.path, self.schema)
            self._writer.write_table(table.cast(self.schema))
        self._rows += len(df)

    def close(self) -> None:
        if self._rows == 0 and self._empty is not None:  # no rows at all: the columns alone
            if self.path.suffix == ".csv":
                self._empty.to_csv(self.path, index=False)
            else:
                self._empty.to_parquet(self.path, index=False)
        if self._writer is not None:
            self._writer.close()
            self._writer = None


def age_group(age: np.ndarray) -> np.ndarray:
    """Index into AGE_GROUPS; 6 = older than 25."""
    return np.searchsorted(AGE_EDGES, age, side="right")


class Truth:
    """Accumulates the truth over chunks and writes it at the end."""

    def __init__(self, years: tuple[int, int], spool: Path, capture_scenario: str = "base"):
        self.years = years
        self.capture_scenario = capture_scenario
        ny = years[1] - years[0] + 1
        self.agg = np.zeros((ny, len(AGE_GROUPS) + 1, len(MEASURES)), dtype=np.int64)
        self.patterns: dict[tuple, int] = {}
        # persons.* (a row for every person in the extract: 7.6 million in a national population
        # extract) and transition_persons.* (every person with an 18th birthday in the period:
        # 2.2 million) are appended to disk chunk by chunk so that memory does not grow with the
        # scale; only the supported persons' few columns that truth.json's summary needs stay.
        fmt = spool.suffix.lstrip(".")
        self.persons = _Spool(spool, PERSONS_SCHEMA)
        self.transition = _Spool(spool.with_name(f"transition_persons.{fmt}"))
        self.tr_supported: list[pd.DataFrame] = []
        self.tr_cohort_n: dict[str, int] = {}
        self.person_years: list[pd.DataFrame] = []
        self.gap = np.zeros((2, 2), dtype=np.int64)  # [llc, sample-or-population] x [supported, gap]
        self.delays: list[np.ndarray] = []
        self.tr_at_risk = np.zeros((len(TT.COHORTS), TT.N_MONTHS), np.int64)
        self.tr_using = np.zeros((len(TT.COHORTS), TT.N_MONTHS, len(TT.OUTCOMES)), np.int64)
        #: NIK region (province default) per province index; set by write_extract
        self.province_region: np.ndarray = np.array([], dtype=str)
        self.respite: list[pd.DataFrame] = []
        self.eol: list[pd.DataFrame] = []

    def add(self, persons: Persons, universe: np.ndarray, ly: LlcYears, in_extract: np.ndarray,
            in_sample: np.ndarray, pids: np.ndarray, care: ChunkCare, design: str) -> None:
        y0, y1 = self.years
        P0, P1 = day(y0), day(y1, 12, 31)
        yi = ly.year - y0
        ag = age_group(ly.age)
        np.add.at(self.agg, (yi, ag, 0), 1)
        np.add.at(self.agg, (yi, ag, 1), (ly.phase > 0).astype(np.int64))
        dead = universe & persons.died_insured & (persons.death >= P0) & (persons.death <= P1)
        d = np.flatnonzero(dead)
        dy = year_of(persons.death[d]) - y0
        dag = age_group(np.maximum(age_on(persons.birth_month[d], persons.death[d]), 0))
        np.add.at(self.agg, (dy, dag, 2), 1)
        llc_dead = persons.llc[d] & (persons.onset[d] <= persons.death[d])
        np.add.at(self.agg, (dy, dag, 3), llc_dead.astype(np.int64))
        # realised capture patterns per year and stratum
        code = ly.captured.astype(np.int64) @ (1 << np.arange(4))
        key = yi * 1000 + ly.post2023 * 100 + ly.under18 * 10
        uk, cnt = np.unique(key * 100 + code, return_counts=True)
        for k, c in zip(uk.tolist(), cnt.tolist()):
            self.patterns[k] = self.patterns.get(k, 0) + c
        # person-level truth: every person in the extract and every LLC person who counts
        counted = np.zeros(len(persons.index), bool)
        counted[ly.person] = True
        keep = np.flatnonzero(in_extract | counted)
        onset = persons.onset[keep]
        death = np.where(dead[keep], persons.death[keep], -1)
        self.persons.append(pd.DataFrame({
            "persoon_id": pids[keep],
            "llc": persons.llc[keep].astype(int),
            "diagnostic_group": np.where(persons.group[keep] >= 0,
                                         np.array(GROUPS + [""])[persons.group[keep]], ""),
            "onset_date": _date_text(np.where(persons.llc[keep], onset, -1)),
            "death": _date_text(death),
            "in_extract": in_extract[keep].astype(int),
        }))
        self.person_years.append(_person_years(persons, ly, pids, self.years))
        self._gap(persons, in_extract, in_sample, care.support, design)
        self.delays.append(care.successor_delay_days)
        tr = TT.chunk_truth(persons, in_extract, in_sample, care, design, self.years, pids)
        self.transition.append(tr.persons)
        self.tr_supported.append(TT.supported(tr.persons))
        for cohort, k in tr.persons["cohort"].value_counts().items():
            self.tr_cohort_n[cohort] = self.tr_cohort_n.get(cohort, 0) + int(k)
        self.tr_at_risk += tr.at_risk
        self.respite.append(self._respite(persons, ly, in_extract, care))
        self.eol.append(EOL.chunk_truth(persons, in_extract, care, self.years, pids))
        self.tr_using += tr.using

    def _gap(self, persons, in_extract, in_sample, support, design):
        """Realised share with >=3 months without home/social support after 18.

        Persons in the extract whose months M18-6 ... M18+11 (M18 = 18th-birthday month) lie
        in the period while alive and insured; supported before = any support line active
        in M18-6 ... M18-1; gap = 3 or more consecutive months in M18 ... M18+11 without any.
        """
        P0, P1 = day(self.years[0]), day(self.years[1], 12, 31)
        m18 = persons.birth_month + 216
        first, last = month_start(m18 - 6), month_start(m18 + 12) - 1
        ok = in_extract & (first >= P0) & (last <= P1) & (persons.ins_start <= first) & (persons.ins_end >= last)
        if not ok.any():
            return
        act = np.zeros((len(persons.index), 18), bool)
        sp, ss, se = support[:3]
        r0 = month_of(ss) - m18[sp]
        r1 = month_of(se) - m18[sp]
        for m in range(-6, 12):
            hit = (r0 <= m) & (r1 >= m)
            act[sp[hit], m + 6] = True
        before = act[:, :6].any(axis=1)
        after = act[:, 6:]
        gap = np.zeros(len(persons.index), bool)
        for i in range(10):
            gap |= ~after[:, i] & ~after[:, i + 1] & ~after[:, i + 2]
        for row, who in enumerate((persons.llc, in_sample if design == "cohort_sample" else np.ones_like(ok))):
            sel = ok & who & before
            self.gap[row, 0] += sel.sum()
            self.gap[row, 1] += (sel & gap).sum()

    def _respite(self, persons, ly, in_extract, care) -> pd.DataFrame:
        """Per year x age band x NIK region: LLC person-years of extract persons aged 0-25 on
        1 July (the counting convention), those with a respite line (kortdurend verblijf /
        logeren, Jeugdwet or Wmo) active in the year as generated (``n_respite_default``) and as
        written (``n_respite``: after the ``respite_gap`` scenario, if any)."""
        y0, y1 = self.years
        P0, P1 = day(y0), day(y1, 12, 31)
        rp, rs, re_, kept = care.respite
        fy, ly_ = year_of(np.maximum(rs, P0)), year_of(np.minimum(re_, P1))
        n = np.maximum(ly_ - fy + 1, 0)
        rep = np.repeat(np.arange(len(rp)), n)
        yr = fy[rep] + np.arange(len(rep)) - np.repeat(np.cumsum(n) - n, n)
        key = rp[rep] * 10_000 + yr
        any_key = np.unique(key)
        kept_key = np.unique(key[kept[rep]])
        sel = in_extract[ly.person] & (ly.age <= 25)
        lkey = ly.person[sel] * 10_000 + ly.year[sel]
        df = pd.DataFrame({
            "jaar": ly.year[sel], "age_band": np.where(ly.age[sel] < 18, "0-17", "18-25"),
            "nik_region": self.province_region[persons.province[ly.person[sel]]],
            "n_llc": 1, "n_respite_default": np.isin(lkey, any_key).astype(np.int64),
            "n_respite": np.isin(lkey, kept_key).astype(np.int64)})
        return df.groupby(["jaar", "age_band", "nik_region"], as_index=False).sum()

    def respite_table(self, scenario: str | None) -> pd.DataFrame:
        """``respite_by_region.csv``: the respite counts of :meth:`_respite` over all chunks, and
        ``expected_respite``: the planted expectation given the default draws (× the planted
        ratio in the white-spot region of the ``respite_gap`` scenario)."""
        keys = ["jaar", "age_band", "nik_region"]
        t = pd.concat(self.respite, ignore_index=True).groupby(keys, as_index=False).sum()
        gap = (t["nik_region"] == P.RESPITE_GAP_REGION) & (scenario == "respite_gap")
        t["expected_respite"] = t["n_respite_default"] * np.where(gap, P.RESPITE_GAP_RATIO, 1.0)
        t["white_spot"] = gap.astype(int)
        return t.sort_values(keys).reset_index(drop=True)

    # ------------------------------------------------------------------------- write
    def write(self, out: Path, fmt: str, manifest: dict, scale: float, seed: int,
              scenario: str | None = None) -> dict:
        tdir = out / "_truth"
        tdir.mkdir(parents=True, exist_ok=True)
        rows = []
        for yi in range(self.agg.shape[0]):
            for gi, g in enumerate(AGE_GROUPS):
                rows.append({"jaar": self.years[0] + yi, "age_group": g,
                             **{m: int(self.agg[yi, gi, k]) for k, m in enumerate(MEASURES)}})
        by_age = pd.DataFrame(rows)
        by_age.to_csv(tdir / "by_year_age.csv", index=False)
        person_year = pd.concat(self.person_years, ignore_index=True)
        curves = TT.curves_table(self.tr_at_risk, self.tr_using)
        curves.to_csv(tdir / "transition_curves.csv", index=False)
        self.transition.close()
        self.persons.close()
        if fmt == "parquet":
            person_year.to_parquet(tdir / "person_year.parquet", index=False)
        else:
            person_year.to_csv(tdir / "person_year.csv", index=False)
        pat_rows = []
        for k, c in sorted(self.patterns.items()):
            code = k % 100
            pat_rows.append({"jaar": self.years[0] + k // 100000, "post2023": (k // 10000) % 10,
                             "under18": (k // 1000) % 10,
                             **{f"captured_{s}": (code >> j) & 1 for j, s in enumerate(SOURCES)},
                             "n": c})
        pd.DataFrame(pat_rows).to_csv(tdir / "capture_patterns.csv", index=False)
        summary = self._summary(by_age, manifest, scale, seed)
        summary["scenario"] = scenario
        summary["transition"] = TT.summary(pd.concat(self.tr_supported, ignore_index=True), self.tr_cohort_n)
        frames = [f for f in self.eol if not f.empty]  # chunks without decedents add nothing
        eol = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=EOL.COLUMNS)
        eol.sort_values(["window_days", "persoon_id"]).to_csv(tdir / "end_of_life.csv", index=False)
        respite = self.respite_table(scenario)
        respite.to_csv(tdir / "respite_by_region.csv", index=False)
        summary["respite"] = {
            "definition": "LLC person-years (counting convention) of extract persons aged 0-25 on 1 July, "
                          "per NIK region (province default); respite = a Jeugdwet or Wmo line of product "
                          "group kortdurend_verblijf (reference/productcategorieen.csv) active in the year",
            "white_spot_region": P.RESPITE_GAP_REGION if scenario == "respite_gap" else None,
            "planted_rate_ratio": P.RESPITE_GAP_RATIO if scenario == "respite_gap" else 1.0,
            "realised": {f"{band}|{white}": {"n_llc": int(g["n_llc"].sum()), "n_respite": int(g["n_respite"].sum()),
                                             "n_respite_default": int(g["n_respite_default"].sum())}
                         for (band, white), g in respite.groupby(
                             ["age_band", np.where(respite["white_spot"] == 1, "white_spot", "rest")])}}
        planted = load_planted(self.years, scenario)
        if planted is not None:
            summary["transition"]["planted"] = {
                "source": f"synthetic/planted/{planted_path(self.years, scenario).name}",
                "definition": planted["definition"], "seeds": [planted["seeds"][0], planted["seeds"][-1]],
                "scale": planted["scale"], "values": planted["values"]}
        (tdir / "truth.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
        (tdir / "README.md").write_text(README)
        return summary

    def _summary(self, by_age, manifest, scale, seed):
        kids = by_age[by_age.age_group != "20-25"].groupby("jaar")[list(MEASURES)].sum()
        under1 = by_age[by_age.age_group == "<1"].set_index("jaar")
        strata = []
        for (post, under), ((patterns, prob), intercept) in STRATA.items():
            avail = [SOURCES[j] for j in available_sources(post, under)]
            strata.append({
                "post2023": post, "under18": under, "sources": avail,
                "main_effects": {s: P.LOGLINEAR_MAIN[s] for s in avail},  # pall: given the base pattern
                "interactions": {f"{a}:{b}": u for (a, b), u in P.LOGLINEAR_PAIRS.items()
                                 if a in avail and b in avail},
                "capture_probability": {s: float(prob[patterns[:, SOURCES.index(s)] == 1].sum()) for s in avail},
                "p_uncaptured": float(prob[patterns.sum(axis=1) == 0].sum()),
                "phase_intercept": intercept, "phase_log_odds_per_source": P.PHASE_WEIGHTS,
                "palliative_phase_log_odds_ratio": P.PALLIATIVE_PHASE_LOG_OR,
            })
        delays = np.concatenate(self.delays) if self.delays else np.array([])
        q = (lambda p: float(np.quantile(delays, p)) / 30.44 if len(delays) else None)
        return {
            "extract_id": manifest["extract_id"], "seed": seed, "scale": scale,
            "design": manifest["design"], "period": [manifest["period_start"], manifest["period_end"]],
            "counting_convention": "a person counts in year Y if they have the LLC (onset <= that day) on at least one day of Y on which they are alive and insured; age = completed years on 1 July of Y (15th of birth month), floored at 0",
            "per_year_0_19": {
                str(y): {"llc_alive_insured": int(r.llc_alive_insured), "need_palliative_care": int(r.llc_nonstable),
                         "deaths_all": int(r.deaths_all), "deaths_llc": int(r.deaths_llc),
                         "deaths_under1": int(under1.loc[y, "deaths_all"])}
                for y, r in kids.iterrows()},
            "capture_model": {"scenario": self.capture_scenario, "sources": list(SOURCES),
                              "persistence": P.CAPTURE_PERSISTENCE,
                              "palliative_from_year": P.PALLIATIVE_FROM_YEAR, "strata": strata},
            "llc_model": {"lifelong": True, "probability_birth_year_2010": P.LLC_PROBABILITY,
                          "trend_per_birth_year": P.LLC_TREND, "group_shares": P.GROUP_SHARES,
                          "onset_at_birth": P.ONSET_AT_BIRTH},
            "drop_at_18": {
                "hospital_specialism": f"kindergeneeskunde (0316) on {P.PAEDIATRICS_UNDER18:.0%} of lines before 18, 0% from 18 (adult specialisms)",
                "intensive_care": "paediatric IC codes before 18, adult IC codes from 18",
                "emergency_visits": f"LLC emergency visit rate x {P.EMERGENCY_AFTER_18} from 18",
                "intensieve_kindzorg_mkv": "stops at the 18th birthday (law); successor wijkverpleging for "
                                           f"{P.WIJK_SUCCESSOR:.0%} of IKZ users, lognormal delay median {P.WIJK_DELAY_MEDIAN_MONTHS} months",
                "jeugdwet": f"stops at 18 except an extension for {P.JW_EXTENSION:.0%} of users (up to 23)",
                "wmo": f"successor for {P.WMO_SUCCESSOR:.0%} of Jeugdwet users at 18 after the delay below",
                "wlz": "indication stays valid at 18 (no drop)",
            },
            "successor_delay": {
                "distribution": "lognormal, days after the 18th birthday (or after the end of a Jeugdwet extension)",
                "median_months": P.WMO_DELAY_MEDIAN_MONTHS, "log_sd": P.WMO_DELAY_SIGMA,
                "realised_n": int(len(delays)),
                "realised_quantiles_months": {"p25": q(0.25), "p50": q(0.5), "p75": q(0.75)},
            },
            "gap_after_18": {
                "definition": "persons whose months M18-6..M18+11 lie in the period while alive and insured, supported (wijkverpleging, IKZ/MKV, Wlz, Wmo or Jeugdwet line active) in M18-6..M18-1; gap = >=3 consecutive months in M18..M18+11 without any such line",
                "llc": _share(self.gap[0]),
                "comparison": _share(self.gap[1]),
                "comparison_is": "random sample (in_steekproef)" if manifest["design"] == "cohort_sample" else "whole population",
            },
            "simplifications": [
                "an LLC is lifelong once started (no remission)",
                "persons without an LLC (and LLC persons before onset) never get an LLC ICD-10 code, a palliative activity, IKZ/MKV or a severe (EMB) Wlz profile",
                "one insured period per person (immigration and emigration, no return)",
                "source claims of a captured year lie inside that calendar year",
            ],
        }


def _share(v):
    return {"supported_before": int(v[0]), "with_gap": int(v[1]),
            "share": (float(v[1]) / float(v[0])) if v[0] else None}


def _date_text(days: np.ndarray) -> np.ndarray:
    d = np.asarray(days, dtype=np.int64)
    txt = np.where(d >= 0, np.maximum(d, 0).astype("datetime64[D]").astype(str), "")
    return np.where(d >= NEVER, "", txt)


def _person_years(persons: Persons, ly: LlcYears, pids: np.ndarray, years) -> pd.DataFrame:
    """LLC persons x years in which they are alive with the LLC on some day.

    ``alive_insured`` = 1 when the year counts (alive *and insured* with the LLC on some day);
    phase and capture flags are only defined for counting years (empty otherwise).
    """
    who = np.unique(ly.person)
    rows_p, rows_y = [], []
    for y in range(years[0], years[1] + 1):
        s = np.maximum.reduce([persons.onset[who], persons.birth_day[who], np.full(len(who), day(y))])
        e = np.minimum(persons.death[who], day(y, 12, 31))
        ok = s <= e
        rows_p.append(who[ok])
        rows_y.append(np.full(ok.sum(), y))
    p = np.concatenate(rows_p)
    y = np.concatenate(rows_y)
    order = np.lexsort((y, p))
    p, y = p[order], y[order]
    key = p * 10_000 + y
    lkey = ly.person * 10_000 + ly.year
    srt = np.argsort(lkey)
    pos = np.minimum(np.searchsorted(lkey[srt], key), max(len(lkey) - 1, 0))
    hit = lkey[srt][pos] == key
    row = srt[pos]
    bm = persons.birth_month[p]
    df = pd.DataFrame({
        "persoon_id": pids[p], "jaar": y,
        "age_1july": np.maximum(y - (bm // 12 + 1970) - ((bm % 12 + 1) >= 7), 0),
        "phase": np.where(hit, np.array(P.PHASES)[ly.phase[row]], ""),
        "alive_insured": hit.astype(int),
        # alive and insured on 1 July of the year with the LLC that year (point-prevalence basis)
        "alive_insured_1july": (hit & (persons.ins_start[p] <= day_1july(y))
                                & (persons.ins_end[p] >= day_1july(y))).astype(int),
        # an LLC day alive and insured before the 18th birthday (capture-recapture stratum)
        "under18_in_year": np.where(hit, ly.under18[row], False).astype(int),
    })
    for j, s in enumerate(SOURCES):
        df[f"captured_{s}"] = pd.array(np.where(hit, ly.captured[row, j], 0), dtype="Int64")
        df.loc[~hit, f"captured_{s}"] = pd.NA
    return df


README = """# Planted truth of a synthetic extract

Written by `kpz synth`; never listed in `manifest.json` and never read by the pipeline. Use it
to check that analyses recover what was planted. Details: `docs/synthetic.md`.

Counting convention for year Y: a person counts in Y if they have the LLC (onset on or before
that day) on at least one day of Y on which they are alive and insured; age in Y = completed
years on 1 July of Y counted from the 15th of the birth month, floored at 0.

- `truth.json` — summary: per-year totals aged 0-19 (LLC alive and insured, need for
  palliative care = non-stable phase, deaths all / LLC / under 1), capture model per stratum
  (sources, log-linear main effects and interactions, capture probabilities), planted drop per
  care domain at 18, successor-care delay (planted and realised), realised share with a gap
  of >=3 months without home or social support after 18, documented simplifications.
- `by_year_age.csv` — jaar, age_group (<1, 1-4, 5-9, 10-14, 15-19, 20-25; age on 1 July for
  the LLC counts, age at death for deaths): llc_alive_insured, llc_nonstable, deaths_all,
  deaths_llc (whole simulated population, also persons not written in a cohort_sample).
- `capture_patterns.csv` — realised counts of capture patterns per year and stratum
  (post2023, under18 = has an LLC day before the 18th birthday in the year).
- `persons.csv|parquet` — every person in the extract and every LLC person who counts in some
  year: persoon_id, llc (0/1), diagnostic_group (Fraser/Hain group), onset_date, death (date
  of death while insured in the period, as in personen), in_extract (0/1).
- `person_year.csv|parquet` — LLC persons x years in which they are alive with the LLC:
  persoon_id, jaar, age_1july, phase (stable, unstable, deteriorating, dying; empty when the
  year does not count), alive_insured (1 = counts in the year), alive_insured_1july (1 = counts
  in the year and is alive and insured on 1 July: the point-prevalence basis), under18_in_year
  (1 = an LLC day alive and insured before the 18th birthday: the capture-recapture stratum),
  captured_<source> for
  hospital_llc_code, palliative_activity, ikz_mkv, wlz_severe (1 = the extract holds a claim
  that puts the person in that source in that year; empty when the year does not count).
- `respite_by_region.csv` — jaar x age_band (0-17, 18-25 on 1 July) x nik_region (province
  default): n_llc (LLC person-years of extract persons), n_respite_default (with a Jeugdwet or Wmo
  kortdurend verblijf line in the year as generated), n_respite (as written: after the
  respite_gap scenario), expected_respite (n_respite_default x the planted ratio in the white
  spot), white_spot (0/1). truth.json -> respite: region, planted rate ratio, totals.
- `end_of_life.csv` — every LLC decedent of the extract (died while insured in the period,
  onset before death, aged 0-25 on 1 July of the death year) x window (30, 90 days): 0/1 per end-of-life measure of
  docs/landscape.md at month resolution (every month touching the window counts in full),
  admissions / IC days / emergency visits in the window, high_intensity, hospital_death_month.
- `faults.csv` — only with `--faults`: file, row_number (1 = first data row), column_name,
  reason of every malformed row.
- `transition_persons.csv|parquet` — every person of the extract whose 18th-birthday month lies
  in the period, with the truth-side transition cohorts of docs/transition.md (default
  parameters): first day of each case-finding source, found event month, cohort steps, cohort
  (llc / comparison / empty), follow-up end and censoring reason, diagnostic group, support /
  Wlz / pgb before 18, gap eligibility and gap, first month of adult successor care and the
  time-to-care columns. Computed from the generator's own lines.
- `transition_curves.csv` — cohort x outcome x event month (-24..23): persons followed and
  persons using the outcome (realised event-time curves of the truth-side cohorts).
- `truth.json` -> `transition`: realised gap shares and Kaplan-Meier quantiles of the time to
  adult successor care per cohort and group, and (when stored for the period) the planted
  expected values from a pooled independent simulation (`planted`: jump at 18 per outcome,
  gap share, KM median; see docs/synthetic.md for their definition and limits); `scenario`.
"""
