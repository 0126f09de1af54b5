"""The care-landscape report in Dutch or English: summary sentences, figures and table views.

Functions take the tables of :mod:`kpz_analytics.analyses.landscape` *after* disclosure control
(:func:`kpz_analytics.reporting.publish.protect_landscape`: hidden values are NaN with a
``<column>_status``; they are drawn as gaps, never as zeros) and return matplotlib figures or
labelled DataFrames; the notebook ``04_care_landscape`` only calls them. Every function that shows
text takes ``language`` (``"nl"``, the default, or ``"en"``).
"""

from __future__ import annotations

import math
import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..methods.funnel import funnel_limits
from . import figures
from . import labels as L
from .publish import TOTAL
from .transition import labels, number

LAW_COLOURS = {"zvw": "#2563eb", "wlz": "#7c3aed", "wmo": "#059669", "jeugdwet": "#c2410c",
               "three_laws": "#111827", "three_streams": "#6b7280"}
DOMAIN_COLOURS = {"zvw_home": "#2563eb", "wlz": "#7c3aed", "wmo": "#059669", "jeugdwet": "#c2410c"}


def _value(x) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return float("nan")
    return v


#: Sentences of the report that code prints (the summary, the lines above tables), per language.
TEXT = {
    "nl": {
        "ci": "{confidence}%-BI",
        "hidden": "niet te tonen (minder dan 10 personen)",
        "unavailable": "niet beschikbaar",
        "three_laws": ("In {year} kreeg {{}} van de kinderen (0–17 jaar) met een levensbeperkende aandoening zorg "
                       "uit drie of meer van de vier financieringswetten (Zvw, Wlz, Wmo, Jeugdwet).",
                       "Het aandeel kinderen met zorg uit drie of meer wetten in {year} is niet te tonen."),
        "pgb": ("Van de kinderen en jongvolwassenen met thuis- of maatschappelijke ondersteuning had {{}} (een deel "
                "van) die zorg via een persoonsgebonden budget.",
                "Het aandeel met een pgb is niet te tonen."),
        "respite_child": ("Logeeropvang (kortdurend verblijf) gebruikten {{}} kinderen met een LBA.",
                          "Het gebruik van logeeropvang door kinderen is niet te tonen."),
        "respite_adult": ("Bij jongvolwassenen van 18–25 jaar was dat {{}}.",
                          "Het gebruik van logeeropvang door jongvolwassenen is niet te tonen (minder dan 10 "
                          "personen)."),
        "eol": ("Van wie in {year} overleed, kreeg {{}} in de laatste 30 dagen hoog-intensieve ziekenhuiszorg (IC, "
                "herhaalde SEH-bezoeken of opnames).",
                "Hoeveel van de in {year} overledenen in de laatste 30 dagen hoog-intensieve ziekenhuiszorg kregen, "
                "is niet te tonen (minder dan 10 personen)."),
        "cohort": "Onderzoeksgroep: kinderen en jongvolwassenen met een LBA volgens de prevalentiedefinitie (een "
                  "declaratie van een van de vier bronnen in het jaar of de twee jaren ervoor), per kalenderjaar. "
                  "Getallen onder de {threshold} personen worden niet getoond (<{threshold}); daarvan afgeleide "
                  "aandelen en intervallen evenmin (•).",
        "indicators_year": "Teller, noemer en interval in {year}:",
        "laws_by_year": "**Aandeel met zorg uit elke wet, per jaar en leeftijdsgroep:**",
        "combinations": "**Combinaties van wetten in {year}:**",
        "by_group": "**Naar {group}, {year}:**",
        "decedents": "**Overledenen per jaar en leeftijdsgroep (leeftijd bij overlijden):**",
        "respite_by_year": "**Landelijk per jaar:**",
        "jeugdwet_region": "**Jeugdwet naar NIK-regio** (regio van de persoon in het laatste jaar):",
        "wlz_indications": "**Wlz-indicaties (CIZ)**: duur van indicaties die helemaal in beeld zijn, en hoe vaak een "
                           "nieuwe indicatie volgt:",
        "renewals": "**Te late verlenging rond de jaarwisseling** (Jeugdwet en Wmo):",
    },
    "en": {
        "ci": "{confidence}% CI",
        "hidden": "not shown (fewer than 10 persons)",
        "unavailable": "not available",
        "three_laws": ("In {year}, {{}} of the children (aged 0–17) with a life-limiting condition received care "
                       "under three or more of the four financing laws (Zvw, Wlz, Wmo, Jeugdwet).",
                       "The share of children with care under three or more laws in {year} cannot be shown."),
        "pgb": ("Of the children and young adults with home or social support, {{}} received (part of) that care "
                "through a personal budget (pgb).",
                "The share with a personal budget (pgb) cannot be shown."),
        "respite_child": ("Respite care (short stay) was used by {{}} children with a life-limiting condition.",
                          "The use of respite care by children cannot be shown."),
        "respite_adult": ("Among young adults aged 18–25 it was {{}}.",
                          "The use of respite care by young adults cannot be shown (fewer than 10 persons)."),
        "eol": ("Of those who died in {year}, {{}} received high-intensity hospital care in the last 30 days "
                "(intensive care, repeated emergency visits or admissions).",
                "How many of those who died in {year} received high-intensity hospital care in the last 30 days "
                "cannot be shown (fewer than 10 persons)."),
        "cohort": "Study group: children and young adults with a life-limiting condition (LLC) by the prevalence "
                  "definition (a claim from one of the four sources in the year or the two years before), per "
                  "calendar year. Counts below {threshold} persons are not shown (<{threshold}); nor are shares and "
                  "intervals derived from them (•).",
        "indicators_year": "Numerator, denominator and interval in {year}:",
        "laws_by_year": "**Share with care under each law, by year and age group:**",
        "combinations": "**Combinations of laws in {year}:**",
        "by_group": "**By {group}, {year}:**",
        "decedents": "**Deaths by year and age group (age at death):**",
        "respite_by_year": "**National, by year:**",
        "jeugdwet_region": "**Jeugdwet by NIK region** (region of the person in the last year):",
        "wlz_indications": "**Wlz indications (CIZ)**: length of indications that are fully observed, and how often "
                           "a new indication follows:",
        "renewals": "**Late renewal around the turn of the year** (Jeugdwet and Wmo):",
    },
}


def text(key: str, language: str = "nl", **values) -> str:
    """A fixed sentence of the report (the line above a table) in ``language``, filled with ``values``."""
    return TEXT[language][key].format(**values)


def _indicator_text(value: float, low: float, high: float, unit: str, confidence: int,
                    language: str = "nl") -> str:
    t = TEXT[language]
    if not math.isfinite(value):
        return t["hidden"]
    decimals = 0 if unit == "percent" and value >= 10 else 1
    suffix = "%" if unit == "percent" else f" {labels('UNIT_INDICATOR', language).get(unit, unit)}"
    return (f"**{number(value, decimals, language)}{suffix}** ({t['ci'].format(confidence=confidence)} "
            f"{number(low, decimals, language)}–{number(high, decimals, language)})")


def summary(indicators: pd.DataFrame, confidence: int = 95, language: str = "nl") -> str:
    """The plain-language summary of the last year, from the *published* indicator table.

    A hidden or missing indicator is said to be not shown, never given as a number.
    """
    t = TEXT[language]
    year = int(indicators["jaar"].max())
    last = indicators[indicators["jaar"] == year].set_index("indicator")

    def value_text(name: str) -> str:
        if name not in last.index:
            return t["unavailable"]
        r = last.loc[name]
        return _indicator_text(_value(r["value"]), _value(r["ci_low"]), _value(r["ci_high"]), r["unit"], confidence,
                               language)

    def sentence(name: str, key: str) -> str:
        shown_text, hidden_text = (x.format(year=year) for x in t[key])
        value = _value(last.loc[name, "value"]) if name in last.index else float("nan")
        return shown_text.format(value_text(name)) if math.isfinite(value) else hidden_text

    return " ".join([sentence("three_laws_0_17", "three_laws"), sentence("pgb_support", "pgb"),
                     sentence("respite_0_17", "respite_child"), sentence("respite_18_25", "respite_adult"),
                     sentence("eol_high_intensity", "eol")])


def summary_nl(indicators: pd.DataFrame, confidence: int = 95) -> str:
    """The Dutch summary: :func:`summary` with ``language="nl"``."""
    return summary(indicators, confidence, "nl")


#: Titles, axes and legends of the figures, per language.
FIGURE_TEXT = {
    "nl": {
        "hidden": "onderdrukt of niet beschikbaar",
        "indicators": "Jaarlijkse indicatoren van het zorglandschap ({ci}; gat: onderdrukt)",
        "share_children": "aandeel van de kinderen",
        "upset": "Combinaties van financieringswetten, {year}, {band} jaar (alleen getoonde cellen)",
        "age": "leeftijd op 1 juli", "share_law": "aandeel met zorg uit de wet",
        "by_age": "Zorg per financieringswet naar leeftijd, {year} (stippellijn: 18 jaar; gat: onderdrukt)",
        "year": "jaar", "share_pgb": "aandeel met pgb",
        "pgb": "Aandeel pgb onder gebruikers per domein ({ci})",
        "last_days": "laatste {days} dagen",
        "eol_axis": "aandeel van de overleden kinderen en jongvolwassenen met een LBA ({ci})",
        "eol": "Zorg in de laatste levensmaanden (maanden die het venster raken)",
        "limits": "{level}%-grenzen", "national": "landelijk",
        "band": "{band} jaar", "hidden_regions": " ({n} regio's onderdrukt)",
        "persons_region": "personen met een LBA in de regio", "respite_rate": "met logeeropvang, per 1.000",
        "funnel": "Logeeropvang per NIK-regio tegen het landelijke cijfer (trechterplot)",
        "share": "aandeel",
        "hospital": "Type ziekenhuis (lijn: alle ziekenhuiszorg; gestreept: palliatieve zorgactiviteiten)",
    },
    "en": {
        "hidden": "suppressed or not available",
        "indicators": "Annual indicators of the care landscape ({ci}; gap: suppressed)",
        "share_children": "share of the children",
        "upset": "Combinations of financing laws, {year}, aged {band} (shown cells only)",
        "age": "age on 1 July", "share_law": "share with care under the law",
        "by_age": "Care per financing law by age, {year} (dashed line: age 18; gap: suppressed)",
        "year": "year", "share_pgb": "share with pgb",
        "pgb": "Share with a personal budget (pgb) among users, per domain ({ci})",
        "last_days": "last {days} days",
        "eol_axis": "share of the deceased children and young adults with an LLC ({ci})",
        "eol": "Care in the last months of life (months touching the window)",
        "limits": "{level}% limits", "national": "national",
        "band": "aged {band}", "hidden_regions": " ({n} regions suppressed)",
        "persons_region": "persons with an LLC in the region", "respite_rate": "with respite care, per 1,000",
        "funnel": "Respite care per NIK region against the national rate (funnel plot)",
        "share": "share",
        "hospital": "Type of hospital (solid: all hospital care; dashed: palliative care activities)",
    },
}


def _figure_text(language: str, confidence: int = 95) -> dict:
    ci = TEXT[language]["ci"].format(confidence=confidence)
    return {k: v.replace("{ci}", ci) for k, v in FIGURE_TEXT[language].items()}


def _total(value, language: str):
    """The total row's marker (``Totaal``) in ``language``; other values unchanged."""
    return "Total" if language == "en" and value == TOTAL else value


def indicator_view(indicators: pd.DataFrame, language: str = "nl") -> pd.DataFrame:
    """The indicator set as a wide table: one row per indicator, one column per year (value only)."""
    names = labels("INDICATOR", language)
    d = indicators.copy()
    d["label"] = d["indicator"].map(lambda i: names.get(i, i))
    d["cell"] = [v if isinstance(v, str) else (round(_value(v), 1) if math.isfinite(_value(v)) else np.nan)
                 for v in d["value"]]
    order = list(dict.fromkeys(d["label"]))
    wide = d.pivot_table(index="label", columns="jaar", values="cell", aggfunc="first", dropna=False)
    wide = wide.reindex(order)
    wide.columns = [str(c) for c in wide.columns]
    return wide.reset_index().rename(columns={"label": "indicator"})


def indicator_figure(indicators: pd.DataFrame, ncols: int = 3, confidence: int = 95,
                     language: str = "nl") -> plt.Figure:
    """Small multiples: each indicator per year with its interval (hidden years are gaps)."""
    f, names_ = _figure_text(language, confidence), labels("INDICATOR", language)
    names = list(dict.fromkeys(indicators["indicator"]))
    years = pd.to_numeric(indicators["jaar"])
    nrows = max(1, math.ceil(len(names) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.4 * ncols, 3.0 * nrows), squeeze=False)
    for ax, name in zip(axes.flat, names):
        d = indicators[indicators["indicator"] == name].sort_values("jaar")
        y, lo, hi = (pd.to_numeric(d[c], errors="coerce") for c in ("value", "ci_low", "ci_high"))
        ax.fill_between(d["jaar"], lo, hi, color="#2563eb", alpha=0.2, linewidth=0)
        ax.plot(d["jaar"], y, color="#2563eb", marker="o", markersize=3)
        ax.set_title("\n".join(textwrap.wrap(names_.get(name, name), 42)), fontsize=8.5)
        ax.set_xlim(years.min() - 0.5, years.max() + 0.5)
        ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True, nbins=5))
        if y.notna().any():
            ax.yaxis.set_major_formatter(figures.number_axis(language))
            ax.set_ylim(bottom=0, top=float(np.nanmax(hi.to_numpy(dtype=float))) * 1.1 or 1)
        else:
            ax.set_yticks([])
            ax.text(0.5, 0.5, f["hidden"], ha="center", va="center", transform=ax.transAxes,
                    fontsize=8, color="#6b7280")
    for ax in list(axes.flat)[len(names):]:
        ax.set_visible(False)
    fig.suptitle(f["indicators"], fontsize=11)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    return fig


def upset_figure(combinations: pd.DataFrame, year: int, age_band: str, top: int = 10,
                 language: str = "nl") -> plt.Figure:
    """UpSet-style figure: the most frequent combinations of laws in one year and age band.

    Bars: share of the case-years with exactly that combination (shown cells only); dots below:
    which laws the combination holds.
    """
    f, law_names = _figure_text(language), labels("LANDSCAPE_LAW", language)
    d = combinations[(combinations["jaar"] == year) & (combinations["age_band"] == age_band)
                     & (combinations["combination"] != TOTAL)].copy()
    d["share_v"] = pd.to_numeric(d["share"], errors="coerce")
    d = d[d["share_v"].notna()].sort_values("share_v", ascending=False).head(top)
    laws = ["zvw", "wlz", "wmo", "jeugdwet"]
    fig, (ax, dots) = plt.subplots(2, 1, figsize=(8, 4.6), sharex=True, gridspec_kw={"height_ratios": [3, 1.3]})
    x = np.arange(len(d))
    ax.bar(x, d["share_v"], color="#374151")
    for xi, v in zip(x, d["share_v"]):
        ax.annotate(number(100 * v, 0, language) + "%", (xi, v), ha="center", va="bottom", fontsize=8,
                    xytext=(0, 2), textcoords="offset points")
    ax.yaxis.set_major_formatter(figures.percent_axis(language))
    ax.set_ylabel(f["share_children"])
    ax.set_title(f["upset"].format(year=year, band=age_band))
    for j, law in enumerate(laws):
        used = [law in str(c).split("+") for c in d["combination"]]
        dots.scatter(x, np.full(len(x), j), s=60, c=["#111827" if u else "#e5e7eb" for u in used], zorder=3)
    for xi, c in zip(x, d["combination"]):
        idx = [laws.index(w) for w in str(c).split("+") if w in laws]
        if len(idx) > 1:
            dots.plot([xi, xi], [min(idx), max(idx)], color="#111827", linewidth=1.5, zorder=2)
    dots.set_yticks(range(len(laws)), [law_names[w] for w in laws])
    dots.set_ylim(-0.6, len(laws) - 0.4)
    dots.set_xticks([])
    dots.invert_yaxis()
    for side in ("top", "right", "bottom"):
        dots.spines[side].set_visible(False)
    fig.tight_layout()
    return fig


def laws_by_age_figure(by_group: pd.DataFrame, year: int, confidence: int = 95, language: str = "nl") -> plt.Figure:
    """Share using each law by age on 1 July in the reference year: the mix around 18."""
    f, law_names = _figure_text(language, confidence), labels("LANDSCAPE_LAW", language)
    d = by_group[by_group["leeftijd"].astype(str) != TOTAL] if "leeftijd" in by_group else by_group
    d = d.assign(age=pd.to_numeric(d["leeftijd"], errors="coerce")).dropna(subset=["age"])
    fig, ax = plt.subplots(figsize=(8, 3.8))
    for law in ("zvw", "wlz", "wmo", "jeugdwet", "three_laws"):
        part = d[d["measure"] == law].sort_values("age")
        y = pd.to_numeric(part["share"], errors="coerce")
        ax.plot(part["age"], y, marker="o", markersize=3, color=LAW_COLOURS[law], label=law_names[law])
    ax.axvline(17.5, color="grey", linestyle="--", linewidth=1)
    ax.yaxis.set_major_formatter(figures.percent_axis(language))
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(f["age"])
    ax.set_ylabel(f["share_law"])
    ax.set_title(f["by_age"].format(year=year))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    fig.tight_layout()
    return fig


def pgb_figure(pgb: pd.DataFrame, confidence: int = 95, language: str = "nl") -> plt.Figure:
    """pgb share per domain over the years, with intervals."""
    f, domains = _figure_text(language, confidence), labels("PGB_DOMAIN", language)
    fig, ax = plt.subplots(figsize=(8, 3.8))
    for domain, part in pgb.groupby("domain", sort=False):
        part = part.sort_values("jaar")
        y, lo, hi = (pd.to_numeric(part[c], errors="coerce") for c in ("share", "ci_low", "ci_high"))
        ax.fill_between(part["jaar"], lo, hi, color=DOMAIN_COLOURS.get(domain), alpha=0.15, linewidth=0)
        ax.plot(part["jaar"], y, marker="o", markersize=3, color=DOMAIN_COLOURS.get(domain),
                label=domains.get(domain, domain))
    ax.yaxis.set_major_formatter(figures.percent_axis(language))
    ax.set_ylim(bottom=0)
    ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True, nbins=6))
    ax.set_xlabel(f["year"])
    ax.set_ylabel(f["share_pgb"])
    ax.set_title(f["pgb"])
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    fig.tight_layout()
    return fig


def end_of_life_figure(eol: pd.DataFrame, confidence: int = 95, language: str = "nl") -> plt.Figure:
    """Share of LLC decedents with each kind of care per window before death (all ages)."""
    f, measure_names = _figure_text(language, confidence), labels("EOL_MEASURE", language)
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
                label=f["last_days"].format(days=w))
        ax.errorbar(share, y, xerr=[share - lo, hi - share], fmt="none", ecolor="black", capsize=2, linewidth=1)
    ax.set_yticks(np.arange(len(measures)), [measure_names.get(m, m) for m in measures])
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(figures.percent_axis(language))
    ax.set_xlim(0, 1)
    ax.set_xlabel(f["eol_axis"])
    ax.set_title(f["eol"])
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12 - 0.4 / max(len(measures), 1)), ncol=len(windows),
              frameon=False)
    fig.tight_layout()
    return fig


def funnel_figure(region: pd.DataFrame, funnel_level: float, language: str = "nl") -> plt.Figure:
    """Funnel plot per age band: respite per 1,000 against the number of LLC persons per region.

    Lines: the national rate and the 95 % and ``funnel_level`` control limits (exact binomial);
    points: regions whose count may be shown (hidden regions are left out, and said so).
    """
    f = _figure_text(language)
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
                label = f["limits"].format(level=number(100 * level, 1 if level * 100 % 1 else 0, language))
                ax.plot(grid, 1000 * lo, color="grey", linestyle=style, linewidth=1, label=label)
                ax.plot(grid, 1000 * hi, color="grey", linestyle=style, linewidth=1)
            ax.axhline(1000 * rate, color="black", linewidth=1, label=f["national"])
        shown = regions[pd.to_numeric(regions["rate_per_1000"], errors="coerce").notna()]
        flags = shown["flag"].astype(str) if "flag" in shown else pd.Series("within", index=shown.index)
        colours = ["#c2410c" if f_ == "below" else "#2563eb" for f_ in flags]
        ax.scatter(pd.to_numeric(shown["n_persons"]), pd.to_numeric(shown["rate_per_1000"]), c=colours, zorder=3)
        for _, r in shown.iterrows():
            ax.annotate(str(r["nik_region"]), (float(r["n_persons"]), float(r["rate_per_1000"])), fontsize=7,
                        xytext=(3, 3), textcoords="offset points")
        hidden = len(regions) - len(shown)
        ax.set_title(f["band"].format(band=band) + (f["hidden_regions"].format(n=hidden) if hidden else ""),
                     fontsize=10)
        ax.set_xlabel(f["persons_region"])
        ax.set_ylabel(f["respite_rate"])
        ax.yaxis.set_major_formatter(figures.number_axis(language))
        ax.set_ylim(bottom=0)
        ax.legend(loc="upper right", fontsize=7, frameon=False)
    fig.suptitle(f["funnel"], fontsize=11)
    fig.tight_layout(rect=(0, 0, 1, 0.94))
    return fig


def hospital_type_figure(hospital: pd.DataFrame, confidence: int = 95, language: str = "nl") -> plt.Figure:
    """Share of LLC case-years with hospital care per institution type, over the years (all ages)."""
    f, types = _figure_text(language, confidence), labels("INSTITUTION_TYPE", language)
    d = hospital[hospital["age_band"].astype(str) == TOTAL]
    fig, ax = plt.subplots(figsize=(10, 4))
    colours = {"umc": "#7c3aed", "algemeen": "#059669", "categoraal": "#c2410c", "palliative_umc": "#7c3aed",
               "palliative_algemeen": "#059669", "palliative_categoraal": "#c2410c"}
    for measure, part in d.groupby("measure", sort=False):
        part = part.sort_values("jaar")
        y = pd.to_numeric(part["share"], errors="coerce")
        style = "--" if measure.startswith("palliative_") else "-"
        ax.plot(part["jaar"], y, style, marker="o", markersize=3, color=colours.get(measure),
                label=types.get(measure, measure))
    ax.yaxis.set_major_formatter(figures.percent_axis(language))
    ax.set_ylim(0, 1.02)
    ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True, nbins=6))
    ax.set_xlabel(f["year"])
    ax.set_ylabel(f["share"])
    ax.set_title(f["hospital"], fontsize=10)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


#: Values of the small yes/no/unknown columns, per language.
VALUES = {"nl": {"palliative_need": {"True": "ja", "False": "nee"}, "nik_region": {"unknown": "onbekend"},
                 "severe": {"yes": "ja", "no": "nee", "unknown": "onbekend"}},
          "en": {"palliative_need": {"True": "yes", "False": "no"}, "nik_region": {"unknown": "unknown"},
                 "severe": {"yes": "yes", "no": "no", "unknown": "unknown"}}}


def table(df: pd.DataFrame, columns: list[str], language: str = "nl") -> pd.DataFrame:
    """Select ``columns`` and give them names and values in ``language`` (laws, measures, regions, flags…)."""
    out = df[[c for c in columns if c in df.columns]].copy()
    measures = {**labels("LANDSCAPE_LAW", language), **labels("EOL_MEASURE", language),
                **labels("INSTITUTION_TYPE", language)}
    values = VALUES[language]
    for column, mapping in (("measure", measures), ("domain", labels("PGB_DOMAIN", language)),
                            ("indicator", labels("INDICATOR", language)), ("law", labels("LANDSCAPE_LAW", language)),
                            ("unit", labels("UNIT_INDICATOR", language)), ("flag", labels("FUNNEL_FLAG", language)),
                            ("diagnostic_group", labels("DIAGNOSTIC_GROUP", language)),
                            ("palliative_need", values["palliative_need"]), ("nik_region", values["nik_region"]),
                            ("severe", values["severe"])):
        if column in out:
            out[column] = out[column].map(lambda v, m=mapping: m.get(v, v) if isinstance(v, str) else v)
    if "combination" in out:
        law_names = labels("LANDSCAPE_LAW", language)
        out["combination"] = out["combination"].map(
            lambda c: c if c == TOTAL else " + ".join(law_names.get(w, w) for w in str(c).split("+")))
    if language != "nl":
        out = out.apply(lambda col: col.map(lambda v: _total(v, language)) if col.dtype == object else col)
    group_by = labels("LANDSCAPE_GROUP_BY", language)
    return out.rename(columns={**labels("LANDSCAPE_COLUMNS", language),
                               **{c: group_by[c] for c in out.columns if c in group_by and c != "age_band"}})


def table_nl(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The Dutch table view: :func:`table` with ``language="nl"`` (exports use it)."""
    return table(df, columns, "nl")
