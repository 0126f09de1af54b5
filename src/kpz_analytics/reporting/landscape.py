"""The care-landscape report in Dutch: summary sentences, figures and table views.

Functions take the tables of :mod:`kpz_analytics.analyses.landscape` *after* disclosure control
(:func:`kpz_analytics.reporting.publish.protect_landscape`: hidden values are NaN with a
``<column>_status``; they are drawn as gaps, never as zeros) and return matplotlib figures or
labelled DataFrames; the notebook ``04_care_landscape`` only calls them.
"""

from __future__ import annotations

import math
import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..methods.funnel import funnel_limits
from . import labels as L
from .publish import TOTAL
from .transition import NUMBER_AXIS, PERCENT_AXIS, nl_number

LAW_COLOURS = {"zvw": "#2563eb", "wlz": "#7c3aed", "wmo": "#059669", "jeugdwet": "#c2410c",
               "three_laws": "#111827", "three_streams": "#6b7280"}
DOMAIN_COLOURS = {"zvw_home": "#2563eb", "wlz": "#7c3aed", "wmo": "#059669", "jeugdwet": "#c2410c"}


def _value(x) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return float("nan")
    return v


def _indicator_text(value: float, low: float, high: float, unit: str, confidence: int) -> str:
    if not math.isfinite(value):
        return "niet te tonen (minder dan 10 personen)"
    decimals = 0 if unit == "percent" and value >= 10 else 1
    suffix = "%" if unit == "percent" else f" {L.UNIT_INDICATOR.get(unit, unit)}"
    return (f"**{nl_number(value, decimals)}{suffix}** ({confidence}%-BI {nl_number(low, decimals)}–"
            f"{nl_number(high, decimals)})")


def summary_nl(indicators: pd.DataFrame, confidence: int = 95) -> str:
    """The plain-language summary of the last year, from the *published* indicator table.

    A hidden or missing indicator is said to be not shown, never given as a number.
    """
    year = int(indicators["jaar"].max())
    last = indicators[indicators["jaar"] == year].set_index("indicator")

    def text(name: str) -> str:
        if name not in last.index:
            return "niet beschikbaar"
        r = last.loc[name]
        return _indicator_text(_value(r["value"]), _value(r["ci_low"]), _value(r["ci_high"]), r["unit"], confidence)

    def sentence(name: str, shown_text: str, hidden_text: str) -> str:
        value = _value(last.loc[name, "value"]) if name in last.index else float("nan")
        return shown_text.format(text(name)) if math.isfinite(value) else hidden_text

    parts = [
        sentence("three_laws_0_17", f"In {year} kreeg {{}} van de kinderen (0–17 jaar) met een levensbeperkende "
                 "aandoening zorg uit drie of meer van de vier financieringswetten (Zvw, Wlz, Wmo, Jeugdwet).",
                 f"Het aandeel kinderen met zorg uit drie of meer wetten in {year} is niet te tonen."),
        sentence("pgb_support", "Van de kinderen en jongvolwassenen met thuis- of maatschappelijke ondersteuning "
                 "had {} (een deel van) die zorg via een persoonsgebonden budget.",
                 "Het aandeel met een pgb is niet te tonen."),
        sentence("respite_0_17", "Logeeropvang (kortdurend verblijf) gebruikten {} kinderen met een LBA.",
                 "Het gebruik van logeeropvang door kinderen is niet te tonen."),
        sentence("respite_18_25", "Bij jongvolwassenen van 18–25 jaar was dat {}.",
                 "Het gebruik van logeeropvang door jongvolwassenen is niet te tonen (minder dan 10 personen)."),
        sentence("eol_high_intensity", f"Van wie in {year} overleed, kreeg {{}} in de laatste 30 dagen "
                 "hoog-intensieve ziekenhuiszorg (IC, herhaalde SEH-bezoeken of opnames).",
                 f"Hoeveel van de in {year} overledenen in de laatste 30 dagen hoog-intensieve ziekenhuiszorg "
                 "kregen, is niet te tonen (minder dan 10 personen)."),
    ]
    return " ".join(parts)


def indicator_view(indicators: pd.DataFrame) -> pd.DataFrame:
    """The indicator set as a wide table: one row per indicator, one column per year (value only)."""
    d = indicators.copy()
    d["label"] = d["indicator"].map(lambda i: L.INDICATOR.get(i, i))
    d["cell"] = [v if isinstance(v, str) else (round(_value(v), 1) if math.isfinite(_value(v)) else np.nan)
                 for v in d["value"]]
    order = list(dict.fromkeys(d["label"]))
    wide = d.pivot_table(index="label", columns="jaar", values="cell", aggfunc="first", dropna=False)
    wide = wide.reindex(order)
    wide.columns = [str(c) for c in wide.columns]
    return wide.reset_index().rename(columns={"label": "indicator"})


def indicator_figure(indicators: pd.DataFrame, ncols: int = 3, confidence: int = 95) -> plt.Figure:
    """Small multiples: each indicator per year with its interval (hidden years are gaps)."""
    names = list(dict.fromkeys(indicators["indicator"]))
    years = pd.to_numeric(indicators["jaar"])
    nrows = max(1, math.ceil(len(names) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.4 * ncols, 3.0 * nrows), squeeze=False)
    for ax, name in zip(axes.flat, names):
        d = indicators[indicators["indicator"] == name].sort_values("jaar")
        y, lo, hi = (pd.to_numeric(d[c], errors="coerce") for c in ("value", "ci_low", "ci_high"))
        ax.fill_between(d["jaar"], lo, hi, color="#2563eb", alpha=0.2, linewidth=0)
        ax.plot(d["jaar"], y, color="#2563eb", marker="o", markersize=3)
        ax.set_title("\n".join(textwrap.wrap(L.INDICATOR.get(name, name), 42)), fontsize=8.5)
        ax.set_xlim(years.min() - 0.5, years.max() + 0.5)
        ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True, nbins=5))
        if y.notna().any():
            ax.yaxis.set_major_formatter(NUMBER_AXIS)
            ax.set_ylim(bottom=0, top=float(np.nanmax(hi.to_numpy(dtype=float))) * 1.1 or 1)
        else:
            ax.set_yticks([])
            ax.text(0.5, 0.5, "onderdrukt of niet beschikbaar", ha="center", va="center", transform=ax.transAxes,
                    fontsize=8, color="#6b7280")
    for ax in list(axes.flat)[len(names):]:
        ax.set_visible(False)
    fig.suptitle(f"Jaarlijkse indicatoren van het zorglandschap ({confidence}%-BI; gat: onderdrukt)", fontsize=11)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    return fig


def upset_figure(combinations: pd.DataFrame, year: int, age_band: str, top: int = 10) -> plt.Figure:
    """UpSet-style figure: the most frequent combinations of laws in one year and age band.

    Bars: share of the case-years with exactly that combination (shown cells only); dots below:
    which laws the combination holds.
    """
    d = combinations[(combinations["jaar"] == year) & (combinations["age_band"] == age_band)
                     & (combinations["combination"] != TOTAL)].copy()
    d["share_v"] = pd.to_numeric(d["share"], errors="coerce")
    d = d[d["share_v"].notna()].sort_values("share_v", ascending=False).head(top)
    laws = ["zvw", "wlz", "wmo", "jeugdwet"]
    fig, (ax, dots) = plt.subplots(2, 1, figsize=(8, 4.6), sharex=True, gridspec_kw={"height_ratios": [3, 1.3]})
    x = np.arange(len(d))
    ax.bar(x, d["share_v"], color="#374151")
    for xi, v in zip(x, d["share_v"]):
        ax.annotate(nl_number(100 * v) + "%", (xi, v), ha="center", va="bottom", fontsize=8,
                    xytext=(0, 2), textcoords="offset points")
    ax.yaxis.set_major_formatter(PERCENT_AXIS)
    ax.set_ylabel("aandeel van de kinderen")
    ax.set_title(f"Combinaties van financieringswetten, {year}, {age_band} jaar (alleen getoonde cellen)")
    for j, law in enumerate(laws):
        used = [law in str(c).split("+") for c in d["combination"]]
        dots.scatter(x, np.full(len(x), j), s=60, c=["#111827" if u else "#e5e7eb" for u in used], zorder=3)
    for xi, c in zip(x, d["combination"]):
        idx = [laws.index(w) for w in str(c).split("+") if w in laws]
        if len(idx) > 1:
            dots.plot([xi, xi], [min(idx), max(idx)], color="#111827", linewidth=1.5, zorder=2)
    dots.set_yticks(range(len(laws)), [L.LANDSCAPE_LAW[w] for w in laws])
    dots.set_ylim(-0.6, len(laws) - 0.4)
    dots.set_xticks([])
    dots.invert_yaxis()
    for side in ("top", "right", "bottom"):
        dots.spines[side].set_visible(False)
    fig.tight_layout()
    return fig


def laws_by_age_figure(by_group: pd.DataFrame, year: int, confidence: int = 95) -> plt.Figure:
    """Share using each law by age on 1 July in the reference year: the mix around 18."""
    d = by_group[by_group["leeftijd"].astype(str) != TOTAL] if "leeftijd" in by_group else by_group
    d = d.assign(age=pd.to_numeric(d["leeftijd"], errors="coerce")).dropna(subset=["age"])
    fig, ax = plt.subplots(figsize=(8, 3.8))
    for law in ("zvw", "wlz", "wmo", "jeugdwet", "three_laws"):
        part = d[d["measure"] == law].sort_values("age")
        y = pd.to_numeric(part["share"], errors="coerce")
        ax.plot(part["age"], y, marker="o", markersize=3, color=LAW_COLOURS[law], label=L.LANDSCAPE_LAW[law])
    ax.axvline(17.5, color="grey", linestyle="--", linewidth=1)
    ax.yaxis.set_major_formatter(PERCENT_AXIS)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("leeftijd op 1 juli")
    ax.set_ylabel("aandeel met zorg uit de wet")
    ax.set_title(f"Zorg per financieringswet naar leeftijd, {year} (stippellijn: 18 jaar; gat: onderdrukt)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    fig.tight_layout()
    return fig


def pgb_figure(pgb: pd.DataFrame, confidence: int = 95) -> plt.Figure:
    """pgb share per domain over the years, with intervals."""
    fig, ax = plt.subplots(figsize=(8, 3.8))
    for domain, part in pgb.groupby("domain", sort=False):
        part = part.sort_values("jaar")
        y, lo, hi = (pd.to_numeric(part[c], errors="coerce") for c in ("share", "ci_low", "ci_high"))
        ax.fill_between(part["jaar"], lo, hi, color=DOMAIN_COLOURS.get(domain), alpha=0.15, linewidth=0)
        ax.plot(part["jaar"], y, marker="o", markersize=3, color=DOMAIN_COLOURS.get(domain),
                label=L.PGB_DOMAIN.get(domain, domain))
    ax.yaxis.set_major_formatter(PERCENT_AXIS)
    ax.set_ylim(bottom=0)
    ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True, nbins=6))
    ax.set_xlabel("jaar")
    ax.set_ylabel("aandeel met pgb")
    ax.set_title(f"Aandeel pgb onder gebruikers per domein ({confidence}%-BI)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    fig.tight_layout()
    return fig


def end_of_life_figure(eol: pd.DataFrame, confidence: int = 95) -> plt.Figure:
    """Share of LLC decedents with each kind of care per window before death (all ages)."""
    d = eol[eol["age_band"].astype(str) == TOTAL]
    windows = sorted(d["window_days"].unique())
    measures = list(dict.fromkeys(d["measure"]))
    fig, ax = plt.subplots(figsize=(8, 0.42 * len(measures) + 1.6))
    height = 0.8 / max(len(windows), 1)
    colours = ["#c2410c", "#2563eb", "#059669"]
    for k, w in enumerate(windows):
        part = d[d["window_days"] == w].set_index("measure").reindex(measures)
        y = np.arange(len(measures)) + (k - (len(windows) - 1) / 2) * height
        share, lo, hi = (pd.to_numeric(part[c], errors="coerce") for c in ("share", "ci_low", "ci_high"))
        ax.barh(y, share, height=height * 0.95, color=colours[k % 3], alpha=0.85,
                label=f"laatste {w} dagen")
        ax.errorbar(share, y, xerr=[share - lo, hi - share], fmt="none", ecolor="black", capsize=2, linewidth=1)
    ax.set_yticks(np.arange(len(measures)), [L.EOL_MEASURE.get(m, m) for m in measures])
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(PERCENT_AXIS)
    ax.set_xlim(0, 1)
    ax.set_xlabel(f"aandeel van de overleden kinderen en jongvolwassenen met een LBA ({confidence}%-BI)")
    ax.set_title("Zorg in de laatste levensmaanden (maanden die het venster raken)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12 - 0.4 / max(len(measures), 1)), ncol=len(windows),
              frameon=False)
    fig.tight_layout()
    return fig


def funnel_figure(region: pd.DataFrame, funnel_level: float) -> plt.Figure:
    """Funnel plot per age band: respite per 1,000 against the number of LLC persons per region.

    Lines: the national rate and the 95 % and ``funnel_level`` control limits (exact binomial);
    points: regions whose count may be shown (hidden regions are left out, and said so).
    """
    bands = list(dict.fromkeys(region["age_band"]))
    fig, axes = plt.subplots(1, len(bands), figsize=(5.2 * len(bands), 4), squeeze=False)
    for ax, band in zip(axes.flat, bands):
        d = region[region["age_band"] == band]
        regions = d[(d["nik_region"] != TOTAL) & (d["nik_region"] != "unknown")]
        rate = float(d["national_rate_per_1000"].iloc[0]) / 1000
        n_max = max(float(pd.to_numeric(regions["n_persons"], errors="coerce").max() or 10), 10) * 1.15
        grid = np.unique(np.round(np.linspace(10, n_max, 200)))
        if 0 < rate < 1:
            for level, style in ((0.95, ":"), (funnel_level, "--")):
                lo, hi = funnel_limits(grid, rate, level)
                label = f"{nl_number(100 * level, 1 if level * 100 % 1 else 0)}%-grenzen"
                ax.plot(grid, 1000 * lo, color="grey", linestyle=style, linewidth=1, label=label)
                ax.plot(grid, 1000 * hi, color="grey", linestyle=style, linewidth=1)
            ax.axhline(1000 * rate, color="black", linewidth=1, label="landelijk")
        shown = regions[pd.to_numeric(regions["rate_per_1000"], errors="coerce").notna()]
        flags = shown["flag"].astype(str) if "flag" in shown else pd.Series("within", index=shown.index)
        colours = ["#c2410c" if f == "below" else "#2563eb" for f in flags]
        ax.scatter(pd.to_numeric(shown["n_persons"]), pd.to_numeric(shown["rate_per_1000"]), c=colours, zorder=3)
        for _, r in shown.iterrows():
            ax.annotate(str(r["nik_region"]), (float(r["n_persons"]), float(r["rate_per_1000"])), fontsize=7,
                        xytext=(3, 3), textcoords="offset points")
        hidden = len(regions) - len(shown)
        ax.set_title(f"{band} jaar" + (f" ({hidden} regio's onderdrukt)" if hidden else ""), fontsize=10)
        ax.set_xlabel("personen met een LBA in de regio")
        ax.set_ylabel("met logeeropvang, per 1.000")
        ax.yaxis.set_major_formatter(NUMBER_AXIS)
        ax.set_ylim(bottom=0)
        ax.legend(loc="upper right", fontsize=7, frameon=False)
    fig.suptitle("Logeeropvang per NIK-regio tegen het landelijke cijfer (trechterplot)", fontsize=11)
    fig.tight_layout(rect=(0, 0, 1, 0.94))
    return fig


def hospital_type_figure(hospital: pd.DataFrame, confidence: int = 95) -> plt.Figure:
    """Share of LLC case-years with hospital care per institution type, over the years (all ages)."""
    d = hospital[hospital["age_band"].astype(str) == TOTAL]
    fig, ax = plt.subplots(figsize=(10, 4))
    colours = {"umc": "#7c3aed", "algemeen": "#059669", "categoraal": "#c2410c", "palliative_umc": "#7c3aed",
               "palliative_algemeen": "#059669", "palliative_categoraal": "#c2410c"}
    for measure, part in d.groupby("measure", sort=False):
        part = part.sort_values("jaar")
        y = pd.to_numeric(part["share"], errors="coerce")
        style = "--" if measure.startswith("palliative_") else "-"
        ax.plot(part["jaar"], y, style, marker="o", markersize=3, color=colours.get(measure),
                label=L.INSTITUTION_TYPE.get(measure, measure))
    ax.yaxis.set_major_formatter(PERCENT_AXIS)
    ax.set_ylim(0, 1.02)
    ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True, nbins=6))
    ax.set_xlabel("jaar")
    ax.set_ylabel("aandeel")
    ax.set_title("Type ziekenhuis (lijn: alle ziekenhuiszorg; gestreept: palliatieve zorgactiviteiten)",
                 fontsize=10)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


def table_nl(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Select ``columns`` and give them Dutch names and values (laws, measures, regions, flags…)."""
    out = df[[c for c in columns if c in df.columns]].copy()
    for column, mapping in (("measure", {**L.LANDSCAPE_LAW, **L.EOL_MEASURE, **L.INSTITUTION_TYPE}),
                            ("domain", L.PGB_DOMAIN), ("indicator", L.INDICATOR), ("law", L.LANDSCAPE_LAW), ("unit", L.UNIT_INDICATOR),
                            ("flag", L.FUNNEL_FLAG), ("diagnostic_group", L.DIAGNOSTIC_GROUP),
                            ("palliative_need", {"True": "ja", "False": "nee"}),
                            ("nik_region", {"unknown": "onbekend"}),
                            ("severe", {"yes": "ja", "no": "nee", "unknown": "onbekend"})):
        if column in out:
            out[column] = out[column].map(lambda v, m=mapping: m.get(v, v) if isinstance(v, str) else v)
    if "combination" in out:
        out["combination"] = out["combination"].map(
            lambda c: c if c == TOTAL else " + ".join(L.LANDSCAPE_LAW.get(w, w) for w in str(c).split("+")))
    return out.rename(columns={**L.LANDSCAPE_COLUMNS, **{c: L.LANDSCAPE_GROUP_BY[c] for c in out.columns
                                                           if c in L.LANDSCAPE_GROUP_BY and c != "age_band"}})
