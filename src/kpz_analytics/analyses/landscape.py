"""The care landscape of LLC children and young adults (issue 17): the estimates of ``kpz landscape``.

Starts from :mod:`kpz_analytics.cohorts.landscape` (LLC case-years aged 0–25, their care per
versioned measure, the decedents' care before death, hospital type) and returns tidy tables with
English column names and codes (``docs/landscape.md`` has every definition):

* **care across the four laws** (Zvw, Wlz, Wmo, Jeugdwet): per year and age band the share using
  each law, three or more laws, three or more financing streams (law × in kind/pgb), the
  combinations of laws (UpSet-style), the same by age, diagnostic group, NIK region and
  palliative need in the reference year, and the pgb share per domain over the years;
* **the last months of life**: per window (30/90 days before death) and measure the share of
  LLC decedents with that care, a high-intensity end-of-life indicator and hospital care in the
  month of death;
* **respite per region** for children (0–17) and young adults (18–25): persons with kortdurend
  verblijf / logeren per 1,000 LLC persons with exact intervals, and a funnel against the
  national rate that flags regions credibly below it;
* **hospital type**: the share of LLC case-years with hospital care at a UMC, a general or a
  categorical hospital, and the paediatric palliative care activities per type since 2023;
* **the yearly indicator set** (``codelists/landscape_indicators_v1.csv``): one row per year ×
  indicator with numerator, denominator, value and interval.

Every count is of persons (a person counts once per year, or once as a decedent); the tables are
published only through the disclosure control of the reporting layer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from tqdm import tqdm

from .. import provenance
from ..cohorts import landscape as C
from ..cohorts.cases import LLC_CODELIST, SOURCE_DEFINITIONS, CaseParams
from ..errors import KpzError
from ..methods.funnel import funnel_table
from ..methods.rates import poisson_ci
from ..methods.summaries import proportion_ci
from ..refdata import load_codelist
from ..warehouse.connect import connect, extract_meta
from . import cache as result_cache
from .prevalence import denominators

INDICATOR_DEFINITION = "landscape_indicators_v1"
#: Measures of care across the laws, in the order of the tables.
LAW_MEASURES: tuple[str, ...] = ("zvw", "wlz", "wmo", "jeugdwet", "three_laws", "three_streams")
#: pgb domains: (users measure, pgb measure) of landscape_measures_v1.
PGB_DOMAINS: dict[str, tuple[str, str]] = {
    "zvw_home": ("home_zvw", "home_zvw_pgb"), "wlz": ("law_wlz", "stream_wlz_pgb"),
    "wmo": ("law_wmo", "stream_wmo_pgb"), "jeugdwet": ("law_jeugdwet", "stream_jeugdwet_pgb")}
STREAMS: tuple[str, ...] = tuple(f"stream_{law}_{f}" for law in C.LAWS for f in ("zin", "pgb"))
#: End-of-life measures of landscape_measures_v1 (group ``eol``), in the order of the tables.
EOL_MEASURES: tuple[str, ...] = ("hospital", "admissions", "intensive_care", "emergency", "palliative_activity",
                                 "wijkverpleging", "ikz_mkv", "wlz")
#: High-intensity end-of-life care in the shortest window (after Kassam et al., JCO 2017: ICU
#: admission, more than one emergency visit or more than one hospital admission in the last 30
#: days): a measure reaching its minimum.
HIGH_INTENSITY: dict[str, float] = {"intensive_care": 1, "emergency": 2, "admissions": 2}
GROUP_BY: tuple[str, ...] = ("age_band", "leeftijd", "diagnostic_group", "nik_region", "palliative_need")
INSTITUTION_TYPES: tuple[str, ...] = ("umc", "algemeen", "categoraal")
#: Windows (days) of the end-of-life indicators of ``landscape_indicators_v1`` (high intensity in
#: the last 30 days, palliative activity in the last 90): fixed by the definition, not by the run.
EOL_INDICATOR_WINDOWS: tuple[int, int] = (30, 90)
#: First year in which hospitals can claim paediatric palliative care activities (NZa).
PALLIATIVE_FROM = 2023


@dataclass
class LandscapeResult:
    """Tables of one landscape run and what produced them.

    Attributes
    ----------
    tables : name → tidy DataFrame (``landscape_<name>.csv`` when written).
    metadata : parameters, definition versions, extract id and checksum, package version, git commit.
    cohort : the cohort (person level: never written, never published).
    warnings : notes for the reader.
    """

    tables: dict[str, pd.DataFrame]
    metadata: dict
    cohort: C.LandscapeCohort
    warnings: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- helpers
def share_table(frame: pd.DataFrame, keys: list[str], flags: list[str], alpha: float,
                denominators: dict[str, str] | None = None, method: str = "wilson") -> pd.DataFrame:
    """Per ``keys`` × measure: persons (``n_persons``), persons with the flag, share and interval.

    ``frame`` has one row per person (or person-year) with 0/1 columns ``flags``; a measure in
    ``denominators`` counts only among rows whose column ``denominators[measure]`` is 1 (e.g. the
    pgb share among users of the domain); every group of ``frame`` gets a row (0 persons when
    none of it is in the denominator). Output columns: ``*keys, measure, n_persons, n_using,
    share, ci_low, ci_high`` (Wilson, or Clopper–Pearson with ``method="beta"``).
    """
    denominators = denominators or {}
    parts = []
    for flag in flags:
        base = frame if flag not in denominators else frame[frame[denominators[flag]] == 1]
        if keys:  # every group of the frame gets a row, also when no row of it is in the denominator
            index = pd.MultiIndex.from_frame(frame[keys].drop_duplicates())
            g = base.groupby(keys, observed=True)[flag].agg(["size", "sum"])
            g = g.reindex(index, fill_value=0).reset_index() if len(keys) > 1 else \
                g.reindex(index.get_level_values(0), fill_value=0).rename_axis(keys[0]).reset_index()
        else:
            g = pd.DataFrame({"size": [len(base)], "sum": [base[flag].sum()]})
        parts.append(g.rename(columns={"size": "n_persons", "sum": "n_using"}).assign(measure=flag))
    out = pd.concat(parts, ignore_index=True)
    out["n_persons"] = out["n_persons"].astype(int)
    out["n_using"] = out["n_using"].astype(int)
    share, lo, hi = proportion_ci(out["n_using"], out["n_persons"], alpha, method=method)
    out["share"], out["ci_low"], out["ci_high"] = share, lo, hi
    return out[[*keys, "measure", "n_persons", "n_using", "share", "ci_low", "ci_high"]]


def person_years(cohort: C.LandscapeCohort) -> pd.DataFrame:
    """One row per LLC case-year with 0/1 use of every measure and the derived law flags.

    Added to ``cohort.cases``: one column per measure of the definition (1 = used in a month of
    the year), ``zvw``, ``wlz``, ``wmo``, ``jeugdwet`` (the four laws), ``n_laws``,
    ``combination`` (laws used, joined with ``+`` in the order Zvw, Wlz, Wmo, Jeugdwet;
    ``none``), ``n_streams`` (financing streams law × zin/pgb used), ``three_laws``,
    ``three_streams`` (0/1) and ``respite_days``.
    """
    out = cohort.cases.copy()
    used = cohort.care.assign(one=1).pivot_table(index=["persoon_id", "jaar"], columns="measure",
                                                 values="one", aggfunc="max", fill_value=0)
    measures = list(dict.fromkeys(cohort.measures["outcome"]))
    used = used.reindex(columns=measures, fill_value=0).reset_index()
    out = out.merge(used, on=["persoon_id", "jaar"], how="left")
    out[measures] = out[measures].fillna(0).astype(int)
    for law in C.LAWS:
        out[law] = out[f"law_{law}"]
    out["n_laws"] = out[list(C.LAWS)].sum(axis=1)
    names = np.array(C.LAWS, dtype=object)
    flags = out[list(C.LAWS)].to_numpy().astype(bool)
    out["combination"] = ["+".join(names[row]) or "none" for row in flags]
    out["n_streams"] = out[[s for s in STREAMS if s in out]].sum(axis=1)
    out["three_laws"] = (out["n_laws"] >= 3).astype(int)
    out["three_streams"] = (out["n_streams"] >= 3).astype(int)
    respite = cohort.care[cohort.care["measure"] == "respite"].set_index(["persoon_id", "jaar"])["volume"]
    out["respite_days"] = pd.MultiIndex.from_frame(out[["persoon_id", "jaar"]]).map(respite)
    out["respite_days"] = out["respite_days"].fillna(0.0)
    return out


# --------------------------------------------------------------------------- part 1: the four laws
def laws_by_year(py: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Per year × age band (and ``all``): share of LLC case-years using each law, ≥ 3 laws, ≥ 3 streams."""
    both = pd.concat([py, py.assign(age_band="all")], ignore_index=True)
    return share_table(both, ["jaar", "age_band"], list(LAW_MEASURES), alpha)


def law_combinations(py: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Per year × age band: case-years per combination of laws (the rows of an UpSet figure).

    Columns ``jaar, age_band, combination, n_laws, n_persons`` (case-years in the year and band),
    ``n_using`` (with exactly this combination), ``share`` and interval. Every case-year has
    exactly one combination, so the combinations of a year and band add up to ``n_persons``.
    """
    rows = []
    for (jaar, band), part in py.groupby(["jaar", "age_band"]):
        counts = part["combination"].value_counts()
        for combo, n in counts.items():
            rows.append(dict(jaar=jaar, age_band=band, combination=combo,
                             n_laws=0 if combo == "none" else combo.count("+") + 1,
                             n_persons=len(part), n_using=int(n)))
    out = pd.DataFrame(rows)
    share, lo, hi = proportion_ci(out["n_using"], out["n_persons"], alpha)
    out["share"], out["ci_low"], out["ci_high"] = share, lo, hi
    return out.sort_values(["jaar", "age_band", "n_using"], ascending=[True, True, False]).reset_index(drop=True)


def by_group(frame: pd.DataFrame, groups: pd.DataFrame, year: int, flags: list[str], alpha: float,
             group_by: tuple[str, ...] = GROUP_BY, denominators: dict[str, str] | None = None) -> pd.DataFrame:
    """Shares of ``flags`` in the reference year per group of each grouping in ``group_by``.

    ``frame`` has one row per case-year with the grouping columns; ``diagnostic_group`` comes from
    ``groups`` (a child with several diagnostic groups counts in each: not additive). Columns
    ``group_by, group, measure, n_persons, n_using, share, ci_low, ci_high``.
    """
    ref = frame[frame["jaar"] == year]
    parts = []
    for name in group_by:
        if name == "diagnostic_group":
            part = ref.merge(groups[groups["jaar"] == year][["persoon_id", "diagnostic_group"]], on="persoon_id")
        else:
            part = ref
        part = part.assign(group=part[name].astype("string").fillna("unknown"))
        parts.append(share_table(part, ["group"], flags, alpha, denominators).assign(group_by=name))
    out = pd.concat(parts, ignore_index=True)
    return out[["group_by", "group", *[c for c in out.columns if c not in ("group_by", "group")]]]


def laws_by_group(py: pd.DataFrame, groups: pd.DataFrame, year: int, alpha: float) -> pd.DataFrame:
    """In the reference year: law use by age, age band, diagnostic group, NIK region and need (:func:`by_group`)."""
    return by_group(py, groups, year, list(LAW_MEASURES), alpha)


def pgb_share(py: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Per year × domain: share of the domain's users (case-years) with care paid as a pgb.

    Domains: ``zvw_home`` (wijkverpleging, intensieve kindzorg, medisch kindzorgverblijf), ``wlz``,
    ``wmo``, ``jeugdwet``. Columns ``jaar, domain, n_persons`` (users), ``n_using`` (with a pgb
    line), ``share``, interval.
    """
    frame = py.copy()
    flags, denominators = [], {}
    for domain, (users, pgb) in PGB_DOMAINS.items():
        frame[domain] = frame[pgb]
        flags.append(domain)
        denominators[domain] = users
    out = share_table(frame, ["jaar"], flags, alpha, denominators)
    # every year × domain gets a row (0 users when nobody used the domain that year)
    grid = pd.MultiIndex.from_product([sorted(py["jaar"].unique()), flags], names=["jaar", "measure"])
    out = out.set_index(["jaar", "measure"]).reindex(grid).reset_index()
    out[["n_persons", "n_using"]] = out[["n_persons", "n_using"]].fillna(0).astype(int)
    return out.rename(columns={"measure": "domain"})


# --------------------------------------------------------------------------- part 4: end of life
def decedent_flags(cohort: C.LandscapeCohort) -> pd.DataFrame:
    """One row per LLC decedent × window with 0/1 use and the volume of every end-of-life measure.

    Columns: the decedent's columns, ``window_days``, ``<measure>`` (0/1), ``<measure>_volume``,
    ``high_intensity`` (a measure of :data:`HIGH_INTENSITY` reaching its minimum in the window;
    the literature's window is 30 days) and ``hospital_death_month`` (hospital care —
    a DOT line or a nursing day — in the calendar month of death; the same in every window).
    """
    p = cohort.params
    eol = cohort.end_of_life
    rows = []
    for w in p.windows:
        d = cohort.decedents.assign(window_days=w)
        e = eol[(eol["window_days"] == w) & eol["measure"].isin(EOL_MEASURES)]
        vol = e.pivot_table(index="persoon_id", columns="measure", values="volume", aggfunc="sum")
        hit = e.assign(one=1).pivot_table(index="persoon_id", columns="measure", values="one", aggfunc="max")
        for m in EOL_MEASURES:
            d[m] = d["persoon_id"].map(hit[m] if m in hit else pd.Series(dtype=float)).fillna(0).astype(int)
            d[f"{m}_volume"] = d["persoon_id"].map(vol[m] if m in vol else pd.Series(dtype=float)).fillna(0.0)
        d["high_intensity"] = np.zeros(len(d), dtype=int)
        for m, minimum in HIGH_INTENSITY.items():
            d["high_intensity"] |= (d[f"{m}_volume"] >= minimum).astype(int)
        rows.append(d)
    out = pd.concat(rows, ignore_index=True)
    death_month = eol[eol["in_death_month"] & eol["measure"].isin(["hospital", "admissions"])]
    out["hospital_death_month"] = out["persoon_id"].isin(set(death_month["persoon_id"])).astype(int)
    return out


def end_of_life_table(flags: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Per window × age band at death (and ``all``) × measure: share of LLC decedents with that care.

    Measures: :data:`EOL_MEASURES`, ``high_intensity`` and
    ``hospital_death_month``; ``palliative_activity`` among decedents who died from 2023 on
    (``n_persons`` is then smaller). Columns ``window_days, age_band, measure, n_persons, n_using,
    share, ci_low, ci_high``.
    """
    both = pd.concat([flags, flags.assign(age_band="all")], ignore_index=True)
    parts = []
    for w, part in both.groupby("window_days"):
        measures = [*EOL_MEASURES, "high_intensity", "hospital_death_month"]
        pal = part[part["jaar"] >= PALLIATIVE_FROM]
        parts.append(share_table(part.drop(columns="palliative_activity"), ["age_band"],
                                 [m for m in measures if m != "palliative_activity"], alpha)
                     .assign(window_days=w))
        parts.append(share_table(pal, ["age_band"], ["palliative_activity"], alpha).assign(window_days=w))
    out = pd.concat(parts, ignore_index=True)
    order = {m: i for i, m in enumerate([*EOL_MEASURES, "high_intensity", "hospital_death_month"])}
    out = out.assign(_o=out["measure"].map(order)).sort_values(["window_days", "age_band", "_o"]).drop(columns="_o")
    return out[["window_days", "age_band", "measure", "n_persons", "n_using", "share", "ci_low", "ci_high"]] \
        .reset_index(drop=True)


# --------------------------------------------------------------------------- part 5: respite
def respite_by_year(py: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """National respite rate per year × age band: persons with respite per 1,000 LLC persons (exact CI)."""
    out = share_table(py, ["jaar", "age_band"], ["respite"], alpha, method="beta").drop(columns="measure")
    return _per_1000(out)


def _per_1000(out: pd.DataFrame) -> pd.DataFrame:
    out = out.rename(columns={"share": "rate_per_1000"})
    for c in ("rate_per_1000", "ci_low", "ci_high"):
        out[c] = 1000 * out[c]
    return out


def respite_by_region(py: pd.DataFrame, year: int, alpha: float, funnel_level: float) -> pd.DataFrame:
    """Respite per NIK region × age band in the reference year, with a funnel against the national rate.

    Per region: ``n_persons`` (LLC persons of the band living in the region), ``n_using`` (with
    kortdurend verblijf / logeren under Jeugdwet or Wmo in the year), ``rate_per_1000`` with the
    exact (Clopper–Pearson) interval, and against the national rate of the band
    (``national_rate_per_1000``, all regions pooled): ``expected`` persons, the funnel limits per
    1,000 at 95 % and at ``funnel_level`` (``lower_95``, ``upper_95``, ``lower_flag``,
    ``upper_flag``), the exact one-sided ``p_below`` and ``flag`` (``below`` / ``above`` the
    ``funnel_level`` limits, else ``within``). A row ``nik_region = national`` holds the band's
    national figures; persons without a region are a row ``unknown`` outside the funnel.
    """
    ref = py[py["jaar"] == year]
    rows = []
    for band, part in ref.groupby("age_band"):
        known = part[part["nik_region"].notna()]
        reg = share_table(known.assign(nik_region=known["nik_region"].astype(str)), ["nik_region"],
                          ["respite"], alpha, method="beta").drop(columns="measure")
        nat = share_table(part, [], ["respite"], alpha, method="beta").drop(columns="measure").assign(
            nik_region="national")
        target = nat["n_using"].iloc[0] / nat["n_persons"].iloc[0] if nat["n_persons"].iloc[0] else np.nan
        if 0 < target < 1:
            f = funnel_table(reg["n_using"], reg["n_persons"], target=target, levels=(0.95, funnel_level))
            tag = [c for c in f.columns if c.startswith("lower_") and c != "lower_95"]
            flag_tag = tag[0][len("lower_"):] if tag else "95"
            reg = reg.assign(expected=f["expected"].to_numpy(), lower_95=1000 * f["lower_95"].to_numpy(),
                             upper_95=1000 * f["upper_95"].to_numpy(),
                             lower_flag=1000 * f[f"lower_{flag_tag}"].to_numpy(),
                             upper_flag=1000 * f[f"upper_{flag_tag}"].to_numpy(),
                             p_below=f["p_below"].to_numpy(), flag=f["flag"].to_numpy())
        unknown = part[part["nik_region"].isna()]
        if len(unknown):  # persons without a region: in the national figures, never in the funnel
            reg = pd.concat([reg, share_table(unknown.assign(nik_region="unknown"), ["nik_region"], ["respite"],
                                              alpha, method="beta").drop(columns="measure")], ignore_index=True)
        table = pd.concat([reg, nat], ignore_index=True).assign(age_band=band, jaar=year,
                                                                national_rate_per_1000=1000 * target)
        rows.append(table)
    out = _per_1000(pd.concat(rows, ignore_index=True))
    first = ["jaar", "age_band", "nik_region", "n_persons", "n_using", "rate_per_1000", "ci_low", "ci_high",
             "national_rate_per_1000"]
    return out[first + [c for c in out.columns if c not in first]]


# --------------------------------------------------------------------------- part 3: hospital type
def hospital_flags(cohort: C.LandscapeCohort, py: pd.DataFrame) -> tuple[pd.DataFrame, list[str], dict[str, str]]:
    """Per case-year: hospital care at all, per institution type, palliative activity per type.

    Returns the frame (``py``'s key, age band, region and need columns plus 0/1 ``with_hospital``,
    ``with_palliative``, ``<type>``, ``palliative_<type>``), the flags and their denominators.
    """
    h = cohort.hospital
    frame = py[["persoon_id", "jaar", "age_band", "nik_region", "leeftijd", "palliative_need"]].copy()
    key = pd.MultiIndex.from_frame(frame[["persoon_id", "jaar"]])

    def has(rows: pd.DataFrame) -> np.ndarray:
        return key.isin(pd.MultiIndex.from_frame(rows[["persoon_id", "jaar"]])).astype(int)

    pal = h[h["palliative_activities"] > 0]
    frame["with_hospital"] = has(h)
    frame["with_palliative"] = has(pal)
    flags, denominators = [], {}
    for t in INSTITUTION_TYPES:
        frame[t] = has(h[h["institution_type"] == t])
        frame[f"palliative_{t}"] = has(pal[pal["institution_type"] == t])
        flags += [t, f"palliative_{t}"]
        denominators[t] = "with_hospital"
        denominators[f"palliative_{t}"] = "with_palliative"
    return frame, flags, denominators


def _palliative_years(out: pd.DataFrame) -> pd.DataFrame:
    """Drop the palliative-activity rows of years before they could be claimed."""
    return out[~(out["measure"].str.startswith("palliative_") & (out["jaar"] < PALLIATIVE_FROM))] \
        .reset_index(drop=True)


def hospital_type_table(cohort: C.LandscapeCohort, py: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Per year × age band: among LLC case-years with hospital care, the share with care per type.

    ``measure`` ∈ institution types (``umc``, ``algemeen``, ``categoraal``; a case-year can use
    several) and ``palliative_<type>``: among case-years with a paediatric palliative care
    activity (from 2023), the share with one at that type. Columns ``jaar, age_band, measure,
    n_persons, n_using, share, ci_low, ci_high``.
    """
    frame, flags, denominators = hospital_flags(cohort, py)
    both = pd.concat([frame, frame.assign(age_band="all")], ignore_index=True)
    return _palliative_years(share_table(both, ["jaar", "age_band"], flags, alpha, denominators))


def hospital_type_by_group(cohort: C.LandscapeCohort, py: pd.DataFrame, year: int, alpha: float) -> pd.DataFrame:
    """The hospital-type shares of the reference year per NIK region and diagnostic group (:func:`by_group`)."""
    frame, flags, denominators = hospital_flags(cohort, py)
    if year < PALLIATIVE_FROM:
        flags = [f for f in flags if not f.startswith("palliative_")]
    return by_group(frame, cohort.groups, year, flags, alpha, ("nik_region", "diagnostic_group"), denominators)


# --------------------------------------------------------------------------- part 2: indications
#: Laws (and IKZ/MKV episodes) of the indication tables: measure of landscape_measures_v1.
EPISODE_MEASURES: dict[str, str] = {"jeugdwet": "law_jeugdwet", "wmo": "law_wmo", "wlz": "law_wlz",
                                    "ikz_mkv": "ikz_mkv"}


def _month_index(months: pd.Series) -> np.ndarray:
    m = pd.to_datetime(months)
    return (m.dt.year * 12 + m.dt.month - 1).to_numpy()


def care_episodes(cohort: C.LandscapeCohort) -> pd.DataFrame:
    """Runs of consecutive months with care of a law (or IKZ/MKV) per case person, over the period.

    The marts carry no Wmo or Jeugdwet indication (only the claims under it), so an *episode* is a
    run of calendar months with at least one claim line of the law. Columns ``law, persoon_id,
    start, end`` (month numbers), ``length`` (months), ``complete`` (the run starts after the
    person's first observed month and ends before the last: its length is not cut by the period,
    insurance or death), ``gap_to_next`` (months without care before the person's next episode of
    the law; NaN for the last).
    """
    obs = cohort.observed.set_index("persoon_id")
    first, last = _month_index(obs["first_month"]), _month_index(obs["last_month"])
    first, last = pd.Series(first, index=obs.index), pd.Series(last, index=obs.index)
    rows = []
    for law, measure in EPISODE_MEASURES.items():
        u = cohort.months[cohort.months["measure"] == measure]
        if u.empty:
            continue
        m = pd.DataFrame({"persoon_id": u["persoon_id"].to_numpy(), "m": _month_index(u["month"])})
        m = m.sort_values(["persoon_id", "m"])
        new = (m["persoon_id"] != m["persoon_id"].shift()) | (m["m"] != m["m"].shift() + 1)
        ep = m.assign(ep=new.cumsum()).groupby("ep").agg(persoon_id=("persoon_id", "first"), start=("m", "min"),
                                                         end=("m", "max"))
        ep["length"] = ep["end"] - ep["start"] + 1
        ep["complete"] = (ep["start"] > ep["persoon_id"].map(first)) & (ep["end"] < ep["persoon_id"].map(last))
        ep["gap_to_next"] = ep.groupby("persoon_id")["start"].shift(-1) - ep["end"] - 1
        rows.append(ep.assign(law=law))
    cols = ["law", "persoon_id", "start", "end", "length", "complete", "gap_to_next"]
    return pd.concat(rows, ignore_index=True)[cols] if rows else pd.DataFrame(columns=cols)


def episode_table(episodes: pd.DataFrame, cohort: C.LandscapeCohort) -> pd.DataFrame:
    """Per law (and per law × NIK region): episode lengths and what follows an episode.

    Columns ``law, nik_region`` (``all`` for the whole country; the person's region in the
    reference year, or the last year the person is a case), ``n_persons``, ``n_episodes``,
    ``n_complete`` (episodes not cut by the period, insurance or death), median, 25th and 75th
    percentile of their length in months, ``n_followed`` (episodes followed by another episode of
    the same law: a renewal after a gap) and the median gap in months.
    """
    region = cohort.cases.sort_values("jaar").groupby("persoon_id")["nik_region"].last()
    ep = episodes.assign(nik_region=episodes["persoon_id"].map(region).fillna("unknown").astype(str))
    rows = []
    for (law, reg), e in pd.concat([ep, ep.assign(nik_region="all")]).groupby(["law", "nik_region"]):
        done = e[e["complete"]]
        followed = e[e["gap_to_next"].notna()]
        q = done["length"].quantile([0.25, 0.5, 0.75]) if len(done) else pd.Series([np.nan] * 3, [0.25, 0.5, 0.75])
        rows.append(dict(law=law, nik_region=reg, n_persons=e["persoon_id"].nunique(), n_episodes=len(e),
                         n_complete=len(done), median_length_months=float(q[0.5]),
                         p25_length_months=float(q[0.25]), p75_length_months=float(q[0.75]),
                         n_followed=len(followed),
                         median_gap_months=float(followed["gap_to_next"].median()) if len(followed) else np.nan))
    return pd.DataFrame(rows)


def wlz_indication_table(cohort: C.LandscapeCohort) -> pd.DataFrame:
    """Length and renewal of the Wlz indications (CIZ) of the persons with an LLC case-year.

    Per ``severe`` (``yes``/``no``: zorgprofiel flagged severe multiple disability; ``unknown``
    when the profile is not in the reference data) and ``all``: ``n_persons``, ``n_indications``,
    ``n_complete`` (not cut by the period, insurance or death) with the median, 25th and 75th
    percentile of their length in months (days / 30.44), ``n_followed`` (followed by another
    indication of the person), ``n_seamless`` (the next one starts at most one day after the end)
    and the median gap in months among the followed.
    """
    w = cohort.wlz_indications
    if w.empty:
        return pd.DataFrame()
    sev = w["severe_multiple_disability"].map({True: "yes", False: "no"}).fillna("unknown")
    w = w.assign(severe=sev.astype(str), months=w["length_days"] / 30.44, gap_months=w["gap_days"] / 30.44)
    rows = []
    for severe, e in pd.concat([w, w.assign(severe="all")]).groupby("severe"):
        done = e[e["complete"].astype(bool)]
        followed = e[e["gap_days"].notna()]
        q = done["months"].quantile([0.25, 0.5, 0.75]) if len(done) else pd.Series([np.nan] * 3, [0.25, 0.5, 0.75])
        rows.append(dict(severe=severe, n_persons=e["persoon_id"].nunique(), n_indications=len(e),
                         n_complete=len(done), median_length_months=float(q[0.5]),
                         p25_length_months=float(q[0.25]), p75_length_months=float(q[0.75]),
                         n_followed=len(followed), n_seamless=int((followed["gap_days"] <= 0).sum()),
                         median_gap_months=float(followed["gap_months"].median()) if len(followed) else np.nan))
    return pd.DataFrame(rows)


def renewal_table(cohort: C.LandscapeCohort, py: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Renewal at the turn of the year: how often care of a law resumes late in January.

    Indications (Jeugdwet, Wmo) are mostly for a calendar year. Among LLC case-years Y (not the
    first year of the extract) with care of the law in December of Y−1 and in some month of Y
    (``n_persons``: the care continues), ``n_using`` = those whose first month with care in Y is
    after January (a month or more without care at the renewal: a late renewal), with the
    share and its Wilson interval, per year × age band (and ``all``) × law.
    """
    frame = py[["persoon_id", "jaar", "age_band"]].copy()
    flags = []
    for law, measure in EPISODE_MEASURES.items():
        u = cohort.months[cohort.months["measure"] == measure]
        m = pd.to_datetime(u["month"])
        dec = set(zip(u["persoon_id"][m.dt.month == 12], m.dt.year[m.dt.month == 12] + 1))
        first = pd.DataFrame({"persoon_id": u["persoon_id"], "jaar": m.dt.year, "mo": m.dt.month}) \
            .groupby(["persoon_id", "jaar"])["mo"].min()
        key = list(zip(frame["persoon_id"], frame["jaar"]))
        f = pd.Series(key).map(first).to_numpy()
        frame[f"cont_{law}"] = np.array([k in dec for k in key]) & ~np.isnan(f.astype(float))
        frame[f"cont_{law}"] = frame[f"cont_{law}"].astype(int)
        frame[law] = ((frame[f"cont_{law}"] == 1) & (f.astype(float) > 1)).astype(int)
        flags.append(law)
    frame = frame[frame["jaar"] > cohort.params.years[0]]
    both = pd.concat([frame, frame.assign(age_band="all")], ignore_index=True)
    out = share_table(both, ["jaar", "age_band"], flags, alpha, {law: f"cont_{law}" for law in flags})
    return out.rename(columns={"measure": "law"})


# --------------------------------------------------------------------------- part 6: indicators
def load_indicators(name: str = INDICATOR_DEFINITION) -> pd.DataFrame:
    """The versioned indicator list (``codelists/<name>.csv``): one row per indicator."""
    df = load_codelist(name)
    unknown = sorted(set(df["indicator"]) - set(_INDICATORS))
    if unknown:
        raise KpzError(f"codelists/{name}.csv: no computation for indicator(s) {', '.join(unknown)}")
    return df


def _ratio(num: pd.Series, den: pd.Series, unit: str, alpha: float):
    """Value and interval of ``num/den`` in ``unit`` (percent, per_1000: Wilson/exact; per_10000: Poisson)."""
    num, den = np.asarray(num, float), np.asarray(den, float)
    if unit == "per_10000":  # a rate on the insured population: exact Poisson interval of the count
        lo, hi = poisson_ci(num, alpha)
        with np.errstate(invalid="ignore", divide="ignore"):
            return (np.where(den > 0, 1e4 * num / den, np.nan), np.where(den > 0, 1e4 * lo / den, np.nan),
                    np.where(den > 0, 1e4 * hi / den, np.nan))
    scale = {"percent": 100.0, "per_1000": 1000.0}[unit]
    share, lo, hi = proportion_ci(num, den, alpha, method="beta" if unit == "per_1000" else "wilson")
    return scale * share, scale * lo, scale * hi


def _counts(frame: pd.DataFrame, flag: str, years) -> pd.DataFrame:
    g = frame.groupby("jaar")[flag].agg(["sum", "size"]).reindex(years, fill_value=0)
    return pd.DataFrame({"jaar": g.index, "numerator": g["sum"].astype(int).to_numpy(),
                         "denominator": g["size"].astype(int).to_numpy()})


def _ind_llc(ctx, need: bool):
    py = ctx["py"]
    kids = py[py["leeftijd"] <= 19]
    num = kids.groupby("jaar")["palliative_need" if need else "persoon_id"].agg("sum" if need else "size")
    out = ctx["population"].rename(columns={"population": "denominator"})
    out["numerator"] = out["jaar"].map(num).fillna(0).astype(int)
    return out


_INDICATORS = {
    "llc_0_19": lambda ctx: _ind_llc(ctx, need=False),
    "palliative_need_0_19": lambda ctx: _ind_llc(ctx, need=True),
    "deaths_llc_0_19": lambda ctx: _counts(ctx["py"][ctx["py"]["leeftijd"] <= 19].assign(
        d=lambda x: x["died_in_year"].astype(int)), "d", ctx["years"]),
    "three_laws_0_17": lambda ctx: _counts(ctx["py"][ctx["py"]["age_band"] == ctx["bands"][0]], "three_laws",
                                           ctx["years"]),
    "pgb_support": lambda ctx: _counts(ctx["py"][ctx["py"]["support"] == 1], "pgb_any", ctx["years"]),
    "respite_0_17": lambda ctx: _counts(ctx["py"][ctx["py"]["age_band"] == ctx["bands"][0]], "respite",
                                        ctx["years"]),
    "respite_18_25": lambda ctx: _counts(ctx["py"][ctx["py"]["age_band"] == ctx["bands"][1]], "respite",
                                         ctx["years"]),
    "eol_high_intensity": lambda ctx: _counts(ctx["eol_short"], "high_intensity", ctx["years"]),
    "eol_palliative_activity": lambda ctx: _counts(ctx["eol_long"], "palliative_activity", ctx["years"]).pipe(
        lambda d: d[d["jaar"] >= PALLIATIVE_FROM]),
    "hospital_general_0_17": lambda ctx: _counts(ctx["hosp"][ctx["hosp"]["age_band"] == ctx["bands"][0]],
                                                 "algemeen", ctx["years"]),
}


def indicator_table(cohort: C.LandscapeCohort, py: pd.DataFrame, eol: pd.DataFrame, population: pd.DataFrame,
                    alpha: float, definition: pd.DataFrame | None = None) -> pd.DataFrame:
    """The yearly indicator set: one row per year × indicator of ``landscape_indicators_v1``.

    Columns ``jaar, indicator, numerator, denominator, value, ci_low, ci_high, unit``. Rates on the
    population use exact Poisson intervals; shares in percent the Wilson interval, rates per 1,000
    the exact binomial interval. An indicator that does not exist in a year (palliative care
    activities before 2023) has no row for that year.
    """
    p = cohort.params
    definition = load_indicators() if definition is None else definition
    years = list(range(p.years[0], p.years[1] + 1))
    support_cols = [u for u, _ in PGB_DOMAINS.values()]
    pgb_cols = [g for _, g in PGB_DOMAINS.values()]
    frame = py.assign(support=(py[support_cols].sum(axis=1) > 0).astype(int),
                      pgb_any=(py[pgb_cols].sum(axis=1) > 0).astype(int),
                      palliative_need=py["palliative_need"].astype(int))
    hosp = frame[["persoon_id", "jaar", "age_band"]].merge(
        cohort.hospital.assign(one=1).pivot_table(index=["persoon_id", "jaar"], columns="institution_type",
                                                  values="one", aggfunc="max").reset_index(),
        on=["persoon_id", "jaar"], how="inner")
    hosp["algemeen"] = hosp["algemeen"].fillna(0).astype(int) if "algemeen" in hosp else 0
    ctx = {"py": frame, "years": years, "bands": C.age_bands(p), "population": population,
           "eol_short": eol[eol["window_days"] == EOL_INDICATOR_WINDOWS[0]],
           "eol_long": eol[eol["window_days"] == EOL_INDICATOR_WINDOWS[1]], "hosp": hosp}
    parts = []
    for row in definition.itertuples(index=False):
        d = _INDICATORS[row.indicator](ctx)
        value, lo, hi = _ratio(d["numerator"], d["denominator"], row.unit, alpha)
        parts.append(d.assign(indicator=row.indicator, value=value, ci_low=lo, ci_high=hi, unit=row.unit))
    out = pd.concat(parts, ignore_index=True)
    return out[["jaar", "indicator", "numerator", "denominator", "value", "ci_low", "ci_high", "unit"]] \
        .sort_values(["jaar", "indicator"], key=lambda s: s.map({k: i for i, k in enumerate(definition["indicator"])})
                     if s.name == "indicator" else s).reset_index(drop=True)


def population_0_19(con: duckdb.DuckDBPyConnection, params: C.LandscapeParams) -> pd.DataFrame:
    """Persons aged 0–19 per year on the counting basis of the case definition: ``jaar, population``.

    The prevalence analysis's own denominator (:func:`prevalence.denominators`), so the yearly
    indicators "LLC per 10,000" equal the prevalence report's rates: numerator and denominator on
    one basis (``period`` by default: alive and insured on a day of the year).
    """
    case = params.case_params()
    basis = CaseParams(years=case.years, age_min=0, age_max=19, lookback=case.lookback,
                       sources=case.sources, basis=case.basis)
    return denominators(con, basis)[["jaar", "population"]]


# --------------------------------------------------------------------------- run
def _metadata(con: duckdb.DuckDBPyConnection, p: C.LandscapeParams) -> dict:
    meta = extract_meta(con)
    return {
        "analysis": "landscape",
        "extract_id": meta["extract_id"], "manifest_sha256": meta.get("manifest_sha256"),
        "period": [str(meta["period_start"]), str(meta["period_end"])], "design": meta["design"],
        "parameters": {k: (list(v) if isinstance(v, tuple) else v) for k, v in p.__dict__.items()},
        "definitions": [f"{p.measure_definition}.csv", f"{INDICATOR_DEFINITION}.csv", f"{LLC_CODELIST}.csv",
                        *(f"{SOURCE_DEFINITIONS[s]}.csv" for s in p.sources)],
        "high_intensity": HIGH_INTENSITY,
        "warehouse_git_commit": meta.get("git_commit"),
        **provenance.record(),
    }


def compute_landscape(con: duckdb.DuckDBPyConnection, params: C.LandscapeParams | None = None, *,
                      progress: bool = True, cache: bool | None = None) -> LandscapeResult:
    """Every landscape table on a warehouse connection.

    Parameters
    ----------
    con : warehouse connection (read-only is fine).
    params : :class:`~kpz_analytics.cohorts.landscape.LandscapeParams` (defaults documented there).
    progress : show a progress bar.
    cache : reuse the result of an earlier run on the same warehouse build with the same
        parameters and code (:mod:`kpz_analytics.analyses.cache`); None follows ``KPZ_CACHE``
        (on). A result from the cache keeps ``cohort.params`` and ``cohort.measures`` but none of
        the person-level frames of the cohort.
    """
    params = C.validated_params(con, params)  # bad parameters fail before any work or progress bar
    return result_cache.cached(con, "landscape", {"params": params},
                               lambda: _compute_result(con, params, progress),
                               person_level={"cohort": PERSON_LEVEL}, enabled=cache)


#: The person-level frames of :class:`~kpz_analytics.cohorts.landscape.LandscapeCohort`.
PERSON_LEVEL: tuple[str, ...] = ("cases", "groups", "care", "decedents", "end_of_life", "hospital",
                                 "months", "wlz_indications", "observed")


def _compute_result(con: duckdb.DuckDBPyConnection, params: C.LandscapeParams, progress: bool) -> LandscapeResult:
    definition = load_indicators()
    steps = tqdm(total=5, desc="zorglandschap", unit="stap", disable=not progress, leave=False)
    try:
        cohort = C.build_cohort(con, params, progress=steps.set_postfix_str)
        p = cohort.params
        steps.update()
        steps.set_postfix_str("vier wetten")
        py = person_years(cohort)
        tables = {"cohort": py.groupby(["jaar", "age_band"]).size().rename("n_persons").reset_index(),
                  "laws_by_year": laws_by_year(py, p.alpha),
                  "law_combinations": law_combinations(py, p.alpha),
                  "laws_by_group": laws_by_group(py, cohort.groups, p.reference_year, p.alpha),
                  "pgb_share": pgb_share(py, p.alpha)}
        steps.update()
        steps.set_postfix_str("laatste levensmaanden")
        eol = decedent_flags(cohort)
        tables["end_of_life"] = end_of_life_table(eol, p.alpha)
        tables["decedents"] = eol[eol["window_days"] == min(p.windows)].groupby(["jaar", "age_band"]).size() \
            .rename("n_persons").reset_index()
        steps.update()
        steps.set_postfix_str("logeren per regio, ziekenhuistype")
        tables["respite_by_year"] = respite_by_year(py, p.alpha)
        tables["respite_by_region"] = respite_by_region(py, p.reference_year, p.alpha, p.funnel_level)
        tables["hospital_type"] = hospital_type_table(cohort, py, p.alpha)
        tables["hospital_type_by_group"] = hospital_type_by_group(cohort, py, p.reference_year, p.alpha)
        tables["episodes"] = episode_table(care_episodes(cohort), cohort)
        tables["renewals"] = renewal_table(cohort, py, p.alpha)
        tables["wlz_indications"] = wlz_indication_table(cohort)
        steps.update()
        steps.set_postfix_str("indicatoren")
        tables["indicators"] = indicator_table(cohort, py, eol, population_0_19(con, p), p.alpha, definition)
        steps.update()
    finally:
        steps.close()
    notes = []
    missing = [w for w in EOL_INDICATOR_WINDOWS if w not in p.windows]
    if missing:
        notes.append(f"windows {missing} are not in this run: the end-of-life indicators that use them are empty")
    if cohort.decedents.empty:
        notes.append("no LLC case died in the years of the run: the end-of-life tables are empty")
    return LandscapeResult(tables=tables, metadata=_metadata(con, p), cohort=cohort, warnings=notes)


def write_results(result: LandscapeResult, out_dir: str | Path) -> list[Path]:
    """Write every table as ``landscape_<name>.csv`` plus ``landscape_metadata.json``.

    These are the analysis tables *before* disclosure control: they stay inside the secure
    environment; what leaves it goes through the report and ``kpz export``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, df in result.tables.items():
        path = out / f"landscape_{name}.csv"
        df.to_csv(path, index=False)
        written.append(path)
    meta = dict(result.metadata, warnings=result.warnings, tables=sorted(result.tables))
    path = out / "landscape_metadata.json"
    path.write_text(json.dumps(meta, indent=2, default=str), encoding="utf-8")
    return written + [path]


def run_landscape(warehouse: str | Path, out_dir: str | Path, params: C.LandscapeParams | None = None,
                  **kwargs) -> LandscapeResult:
    """Open ``warehouse`` read-only, compute every table (:func:`compute_landscape`), write CSVs."""
    con = connect(warehouse)
    try:
        result = compute_landscape(con, params, **kwargs)
    finally:
        con.close()
    write_results(result, out_dir)
    return result
