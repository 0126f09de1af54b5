"""The transition-gap report in Dutch or English: summary sentences, figures and table views.

Functions take the tables of :mod:`kpz_analytics.analyses.transition` *after* disclosure control
(suppressed values are NaN and are drawn as gaps, never as zeros) and return matplotlib figures
or labelled DataFrames; the notebook ``03_transition_gap`` only calls them. Every function that
shows text takes ``language`` (``"nl"``, the default, or ``"en"``).
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter, MaxNLocator

from . import figures
from . import labels as L
from .publish import TOTAL

LLC_COLOUR, COMPARISON_COLOUR = "#c2410c", "#2563eb"
COLOURS = {"llc": LLC_COLOUR, "comparison": COMPARISON_COLOUR}


def nl_number(x: float, decimals: int = 0) -> str:
    """Dutch number format: thousands '.', decimal ','; '–' for a missing value."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    text = f"{x:,.{decimals}f}"
    return text.replace(",", "#").replace(".", ",").replace("#", ".")


def nl_percent(share: float, decimals: int = 0) -> str:
    """A share (0–1) as a Dutch percentage ('41%', '3,5%'); '–' when missing."""
    if share is None or not math.isfinite(share):
        return "–"
    return nl_number(100 * share, decimals) + "%"


PERCENT_AXIS = FuncFormatter(lambda y, _: nl_number(100 * y) + "%")
NUMBER_AXIS = FuncFormatter(lambda y, _: nl_number(y, 0 if abs(y) >= 10 or y == int(y) else 1))


def labels(name: str, language: str = "nl") -> dict:
    """The label table ``labels.<name>`` in ``language`` (:func:`labels.in_language`)."""
    return L.in_language(getattr(L, name), language)


def number(x: float, decimals: int = 0, language: str = "nl") -> str:
    """A number in the report's language; '–' when missing."""
    return figures.number(x, decimals, language)


def percent(share: float, decimals: int = 0, language: str = "nl") -> str:
    """A share (0–1) as a percentage in the report's language ('41%', '3,5%' / '3.5%'); '–' when missing."""
    if share is None or not math.isfinite(share):
        return "–"
    return number(100 * share, decimals, language) + "%"


#: Sentences of the report that code prints (the summary, the lines above tables), per language.
TEXT = {
    "nl": {
        "ci": "{confidence}%-BI",
        "jump": "Bij de 18e verjaardag {verb} het aandeel jongeren met een levensbeperkende aandoening "
                "dat thuis- of maatschappelijke ondersteuning krijgt met **{size} procentpunt** ({ci} {low} tot "
                "{high}; de maanden vóór en na de verjaardagsmaand vergeleken).",
        "falls": "daalt", "rises": "stijgt",
        "gap": "Van wie in het half jaar vóór 18 ondersteuning had, valt **{share}** ({ci} {low}–{high}) "
               "in het eerste jaar na 18 minstens {gap_length} maanden achter elkaar zonder enige ondersteuning.",
        "median": "Het duurt mediaan **{median} {months}** ({ci} {low}–{high}) tot de eerste volwassenenzorg "
                  "(Wmo, Wlz of wijkverpleging).",
        "month": "maanden", "months": "maanden", "not_reached": "niet bereikt",
        "median_not_reached": "Binnen de gevolgde periode kreeg minder dan de helft volwassenenzorg: de mediane "
                              "tijd tot volwassenenzorg is niet bereikt.",
        "no_summary": "Te weinig gegevens voor een samenvatting.",
        "cohorts": "Onderzoeksgroep: **{n_llc}** jongeren met een LBA die in de periode 18 werden; "
                   "vergelijkingsgroep: **{n_comparison}** jongeren zonder LBA uit de steekproef. Getallen onder "
                   "de {threshold} personen worden niet getoond (<{threshold}); daarvan afgeleide aandelen en "
                   "intervallen evenmin (•).",
        "rd_donut": "Sprong in procentpunt (95%-BI), maanden vóór en na de verjaardagsmaand:",
        "rd_main": "Met de verjaardagsmaand als eerste maand ná 18:",
        "cuminc": "Met overlijden als concurrerende gebeurtenis (Aalen–Johansen):",
        "cox": "Cox-model (jongeren met een LBA): hazard ratio > 1 betekent eerder volwassenenzorg. "
               "De toets op proportionele hazards (p klein: de verhouding verandert in de tijd) staat eronder.",
        "rate_ratio": "Verhouding van het aantal per maand in de twaalf maanden vanaf 18 tegenover de twaalf "
                      "maanden ervoor (GEE, herhaalde maanden per persoon):",
        "episodes": "**Episodes van aaneengesloten maanden met zorg** (binnen de 48 maanden rond 18):",
        "jeugdwet_wmo": "**Jeugdwet na 18 en de overstap naar de Wmo** (jongeren met Jeugdwet vóór 18):",
        "pgb": "**Aandeel pgb** onder wie thuis- of maatschappelijke ondersteuning had:",
        "respite_region": "**Logeren / kortdurend verblijf per NIK-regio** (jongeren met een LBA):",
    },
    "en": {
        "ci": "{confidence}% CI",
        "jump": "At the 18th birthday the share of young people with a life-limiting condition who receive "
                "home or social support {verb} by **{size} percentage points** ({ci} {low} to {high}; the months "
                "before and after the birthday month compared).",
        "falls": "falls", "rises": "rises",
        "gap": "Of those who had support in the half year before 18, **{share}** ({ci} {low}–{high}) go "
               "without any support for at least {gap_length} consecutive months in the first year after 18.",
        "median": "The median time to the first adult care (Wmo, Wlz or community nursing) is "
                  "**{median} {months}** ({ci} {low}–{high}).",
        "month": "month", "months": "months", "not_reached": "not reached",
        "median_not_reached": "Within the follow-up, fewer than half received adult care: the median time to "
                              "adult care was not reached.",
        "no_summary": "Too few data for a summary.",
        "cohorts": "Study group: **{n_llc}** young people with a life-limiting condition (LLC) who turned 18 in "
                   "the period; comparison group: **{n_comparison}** young people without an LLC from the random "
                   "sample. Counts below {threshold} persons are not shown (<{threshold}); nor are shares and "
                   "intervals derived from them (•).",
        "rd_donut": "Jump in percentage points (95% CI), months before and after the birthday month:",
        "rd_main": "With the birthday month as the first month after 18:",
        "cuminc": "With death as a competing event (Aalen–Johansen):",
        "cox": "Cox model (young people with an LLC): a hazard ratio > 1 means adult care starts earlier. "
               "The test of proportional hazards (small p: the ratio changes over time) is below it.",
        "rate_ratio": "Ratio of the number per month in the twelve months from 18 to the twelve months before "
                      "(GEE, repeated months per person):",
        "episodes": "**Episodes of consecutive months with care** (within the 48 months around 18):",
        "jeugdwet_wmo": "**Jeugdwet after 18 and the move to the Wmo** (young people with Jeugdwet before 18):",
        "pgb": "**Share with a personal budget (pgb)** among those who had home or social support:",
        "respite_region": "**Respite / short stay per NIK region** (young people with an LLC):",
    },
}


def text(key: str, language: str = "nl") -> str:
    """A fixed sentence of the report (the line above a table) in ``language``."""
    return TEXT[language][key]


def summary(headline: dict, gap_length: int, confidence: int = 95, language: str = "nl") -> str:
    """The plain-language summary that opens the report (Markdown), in ``language``.

    Uses the headline of :func:`kpz_analytics.analyses.transition.make_headline`; a figure that
    could not be estimated or was suppressed is said to be unknown, never given as a number.
    """
    t = TEXT[language]
    ci = t["ci"].format(confidence=confidence)
    parts = []
    if "jump_support" in headline and math.isfinite(headline["jump_support"]):
        jump = headline["jump_support"]
        # the interval in the direction of the verb: a fall of 8,6 (2,8 tot 17,6) procentpunt
        sign = -1 if jump < 0 else 1
        low, high = sorted((sign * headline["jump_ci_low"], sign * headline["jump_ci_high"]))
        parts.append(t["jump"].format(
            verb=t["falls"] if jump < 0 else t["rises"], size=number(abs(100 * jump), 1, language), ci=ci,
            low=number(100 * low, 1, language), high=number(100 * high, 1, language)))
    if "gap_share" in headline and math.isfinite(headline.get("gap_share", float("nan"))):
        parts.append(t["gap"].format(
            share=percent(headline["gap_share"], 0, language), ci=ci,
            low=percent(headline["gap_ci_low"], 0, language), high=percent(headline["gap_ci_high"], 0, language),
            gap_length=gap_length))
    median = headline.get("median_months_to_adult_care", float("nan"))
    if math.isfinite(median):
        hi = headline.get("median_ci_high", float("nan"))
        parts.append(t["median"].format(
            median=number(median, 0, language), months=t["month"] if median == 1 else t["months"], ci=ci,
            low=number(headline.get("median_ci_low", float("nan")), 0, language),
            high=number(hi, 0, language) if math.isfinite(hi) else t["not_reached"]))
    elif "median_months_to_adult_care" in headline:
        parts.append(t["median_not_reached"])
    return " ".join(parts) if parts else t["no_summary"]


def summary_nl(headline: dict, gap_length: int, confidence: int = 95) -> str:
    """The Dutch summary: :func:`summary` with ``language="nl"``."""
    return summary(headline, gap_length, confidence, "nl")


def cohort_note(attrition: pd.DataFrame, threshold: int = 10, language: str = "nl") -> str:
    """The sentence under the summary: persons in each cohort (last attrition step) and the markers."""
    last = {c: attrition.loc[attrition["cohort"] == c, "n_persons"].iloc[-1] for c in ("llc", "comparison")}
    return TEXT[language]["cohorts"].format(n_llc=number(last["llc"], 0, language),
                                            n_comparison=number(last["comparison"], 0, language),
                                            threshold=threshold)


#: Titles, axes and legends of the figures, per language.
FIGURE_TEXT = {
    "nl": {
        "event_month": "maand t.o.v. de 18e verjaardag", "share_care": "aandeel met zorg",
        "event_title": "Zorggebruik per maand rond de 18e verjaardag (banden: {ci}; stippellijn: 18e verjaardag)",
        "rd_axis": "sprong bij 18 in het aandeel met zorg (procentpunt, {ci})",
        "rd_title": "Sprong bij de 18e verjaardag", "rd_donut": " (maanden vóór en na de verjaardagsmaand)",
        "rd_main": " (verjaardagsmaand als na 18)",
        "gap_axis": "aandeel met een zorgval na 18 ({ci})",
        "gap_title": "Zorgval naar groep (leeg: niet te schatten of onderdrukt)",
        "km_axis": "maanden na de 18e verjaardag (0 = verjaardagsmaand)", "km_share": "aandeel met volwassenenzorg",
        "km_title": "Tijd tot de eerste volwassenenzorg (Kaplan–Meier, {ci})",
        "hospital_share": "aandeel kindergeneeskunde",
        "hospital_title": "Ziekenhuiszorg onder kindergeneeskunde, van wie die maand ziekenhuiszorg had",
    },
    "en": {
        "event_month": "month relative to the 18th birthday", "share_care": "share with care",
        "event_title": "Care use per month around the 18th birthday (bands: {ci}; dashed line: 18th birthday)",
        "rd_axis": "jump at 18 in the share with care (percentage points, {ci})",
        "rd_title": "Jump at the 18th birthday", "rd_donut": " (months before and after the birthday month)",
        "rd_main": " (birthday month counted as after 18)",
        "gap_axis": "share with a care gap after 18 ({ci})",
        "gap_title": "Care gap (zorgval) by group (empty: not estimable or suppressed)",
        "km_axis": "months after the 18th birthday (0 = birthday month)", "km_share": "share with adult care",
        "km_title": "Time to the first adult care (Kaplan–Meier, {ci})",
        "hospital_share": "share under paediatrics",
        "hospital_title": "Hospital care under paediatrics, among those with hospital care that month",
    },
}


def _figure_text(language: str, confidence: int = 95) -> dict:
    ci = TEXT[language]["ci"].format(confidence=confidence)
    return {k: v.replace("{ci}", ci) for k, v in FIGURE_TEXT[language].items()}


def event_time_figure(event_time: pd.DataFrame, outcomes: list[str], ncols: int = 3,
                      confidence: int = 95, language: str = "nl") -> plt.Figure:
    """Small multiples: share using each outcome per event month, LLC vs comparison, with intervals.

    A vertical line marks the 18th-birthday month; suppressed points are gaps in the line.
    """
    f, cohorts, names = _figure_text(language, confidence), labels("COHORT", language), labels("OUTCOME", language)
    outcomes = [o for o in outcomes if o in set(event_time["outcome"])]
    nrows = max(1, math.ceil(len(outcomes) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 3.0 * nrows), sharex=True, squeeze=False)
    for ax, outcome in zip(axes.flat, outcomes):
        d = event_time[event_time["outcome"] == outcome]
        for cohort, part in d.groupby("cohort"):
            part = part.sort_values("event_month")
            ax.fill_between(part["event_month"], part["share_ci_low"], part["share_ci_high"],
                            color=COLOURS.get(cohort), alpha=0.2, linewidth=0)
            ax.plot(part["event_month"], part["share_using"], color=COLOURS.get(cohort),
                    label=cohorts.get(cohort, cohort), linewidth=1.6)
        ax.axvline(-0.5, color="grey", linestyle="--", linewidth=1)
        ax.set_title(names.get(outcome, outcome), fontsize=10)
        ax.yaxis.set_major_formatter(figures.percent_axis(language))
        ax.set_ylim(bottom=0)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=7))
    for ax in list(axes.flat)[len(outcomes):]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel(f["event_month"])
    for ax in axes[:, 0]:
        ax.set_ylabel(f["share_care"])
    handles, names = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=2, frameon=False, bbox_to_anchor=(0.5, -0.01))
    fig.suptitle(f["event_title"], fontsize=11)
    fig.tight_layout(rect=(0, 0.04, 1, 0.97))
    return fig


def rd_figure(rd: pd.DataFrame, outcomes: list[str], confidence: int = 95, spec: str = "donut",
              language: str = "nl") -> plt.Figure:
    """Forest plot of the jump at 18 (percentage points) per outcome: LLC, comparison, difference.

    ``spec="donut"`` (default) shows the fits without the birthday month, the measure of the
    zorgval (see :func:`kpz_analytics.analyses.transition.make_headline`); ``"main"`` with it.
    """
    f, cohorts, names = _figure_text(language, confidence), labels("COHORT", language), labels("OUTCOME", language)
    d = rd[(rd["spec"] == spec) & rd["outcome"].isin(outcomes)]
    order = [o for o in outcomes if o in set(d["outcome"])]
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(order) + 1.5))
    offsets = {"llc": -0.22, "comparison": 0.0, "difference": 0.22}
    colours = {**COLOURS, "difference": "black"}
    for cohort, off in offsets.items():
        part = d[d["cohort"] == cohort].set_index("outcome").reindex(order)
        y = np.arange(len(order)) + off
        # the robust bias-corrected interval is centred on the bias-corrected jump, so the
        # conventional estimate may lie outside it: draw the interval itself, not an error bar
        ax.hlines(y, 100 * part["ci_low"], 100 * part["ci_high"], color=colours[cohort], linewidth=1)
        ax.plot(100 * part["estimate"], y, "o", color=colours[cohort], markersize=4, label=cohorts[cohort])
    ax.axvline(0, color="grey", linewidth=1)
    ax.set_yticks(np.arange(len(order)), [names.get(o, o) for o in order])
    ax.invert_yaxis()
    ax.set_xlabel(f["rd_axis"])
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: number(x, 0, language)))
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12 - 0.3 / max(len(order), 1)), ncol=3, frameon=False)
    ax.set_title(f["rd_title"] + (f["rd_donut"] if spec == "donut" else f["rd_main"]))
    fig.tight_layout()
    return fig


def rd_compact(rd: pd.DataFrame, outcomes: list[str], spec: str = "donut", language: str = "nl") -> pd.DataFrame:
    """One row per outcome: the jump (percentage points) with its interval for LLC, comparison, difference.

    Values come from the published (protected) ``rd`` table; a hidden or unestimable value
    shows as its marker or '–'.
    """
    cohorts, names = labels("COHORT", language), labels("OUTCOME", language)
    to = {"nl": "tot", "en": "to"}[language]
    d = rd[(rd["spec"] == spec) & rd["outcome"].isin(outcomes)]
    rows = []
    for outcome in [o for o in outcomes if o in set(d["outcome"])]:
        row = {labels("TRANSITION_COLUMNS", language)["outcome"]: names.get(outcome, outcome)}
        for cohort in ("llc", "comparison", "difference"):
            r = d[(d["outcome"] == outcome) & (d["cohort"] == cohort)]
            if r.empty:
                row[cohorts[cohort]] = "–"
                continue
            r = r.iloc[0]
            est, lo, hi = (pd.to_numeric(pd.Series([r[c]]), errors="coerce").iloc[0]
                           for c in ("estimate", "ci_low", "ci_high"))
            status = str(r.get("estimate_status", "shown"))
            if status not in ("shown", "zero", "nan"):
                row[cohorts[cohort]] = "•"
            elif not math.isfinite(est):
                row[cohorts[cohort]] = "–"
            else:
                row[cohorts[cohort]] = (f"{number(100 * est, 1, language)} ({number(100 * lo, 1, language)} {to} "
                                        f"{number(100 * hi, 1, language)})")
        rows.append(row)
    return pd.DataFrame(rows)


def gap_figure(gap: pd.DataFrame, confidence: int = 95, language: str = "nl") -> plt.Figure:
    """Share with a zorgval by group (horizontal bars with intervals), LLC next to comparison."""
    f, cohorts, group_by = _figure_text(language, confidence), labels("COHORT", language), labels("GROUP_BY", language)
    d = gap.copy()
    d["label"] = [f"{group_by.get(b, b)}: {_group_label(b, g, language)}" for b, g in zip(d["group_by"], d["group"])]
    order = list(dict.fromkeys(d["label"]))
    fig, ax = plt.subplots(figsize=(8, 0.32 * len(order) + 1.6))
    for cohort, off in (("llc", -0.18), ("comparison", 0.18)):
        part = d[d["cohort"] == cohort].set_index("label").reindex(order)
        y = np.arange(len(order)) + off
        ax.barh(y, part["share_gap"], height=0.34, color=COLOURS[cohort], alpha=0.8, label=cohorts[cohort])
        ax.errorbar(part["share_gap"], y, xerr=[part["share_gap"] - part["ci_low"], part["ci_high"] - part["share_gap"]],
                    fmt="none", ecolor="black", capsize=2, linewidth=1)
    ax.set_yticks(np.arange(len(order)), order)
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(figures.percent_axis(language))
    ax.set_xlabel(f["gap_axis"])
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08 - 0.4 / max(len(order), 1)), ncol=2, frameon=False)
    ax.set_title(f["gap_title"])
    fig.tight_layout()
    return fig


def km_figure(curves: pd.DataFrame, confidence: int = 95, language: str = "nl") -> plt.Figure:
    """Cumulative share with adult successor care by month after 18 (1 − Kaplan–Meier), with band."""
    f, cohorts = _figure_text(language, confidence), labels("COHORT", language)
    fig, ax = plt.subplots(figsize=(8, 4))
    for cohort, part in curves.groupby("cohort"):
        part = part.sort_values("time")
        t = np.r_[0.0, part["time"].to_numpy()]
        reached = np.r_[0.0, 1 - part["survival"].to_numpy()]
        low = np.r_[0.0, 1 - part["ci_high"].to_numpy()]
        high = np.r_[0.0, 1 - part["ci_low"].to_numpy()]
        ax.step(t, reached, where="post", color=COLOURS.get(cohort), label=cohorts.get(cohort, cohort))
        ax.fill_between(t, low, high, step="post", color=COLOURS.get(cohort), alpha=0.2, linewidth=0)
    ax.yaxis.set_major_formatter(figures.percent_axis(language))
    ax.set_ylim(0, 1)
    ax.set_xlabel(f["km_axis"])
    ax.set_ylabel(f["km_share"])
    ax.set_title(f["km_title"])
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def hospital_figure(hospital: pd.DataFrame, language: str = "nl") -> plt.Figure:
    """Share of hospital care under kindergeneeskunde per event month, LLC vs comparison."""
    f, cohorts = _figure_text(language), labels("COHORT", language)
    fig, ax = plt.subplots(figsize=(8, 3.6))
    for cohort, part in hospital.groupby("cohort"):
        part = part.sort_values("event_month")
        ax.fill_between(part["event_month"], part["ci_low"], part["ci_high"], color=COLOURS.get(cohort),
                        alpha=0.2, linewidth=0)
        ax.plot(part["event_month"], part["share_paediatric"], color=COLOURS.get(cohort),
                label=cohorts.get(cohort, cohort))
    ax.axvline(-0.5, color="grey", linestyle="--", linewidth=1)
    ax.yaxis.set_major_formatter(figures.percent_axis(language))
    ax.set_ylim(0, 1)
    ax.set_xlabel(f["event_month"])
    ax.set_ylabel(f["hospital_share"])
    ax.set_title(f["hospital_title"])
    ax.legend(loc="lower left")
    fig.tight_layout()
    return fig


def _group_label(group_by: str, group: str, language: str = "nl") -> str:
    if group_by == "diagnostic_group":
        return labels("DIAGNOSTIC_GROUP", language).get(group, group)
    if group_by == "geslacht":
        return labels("SEX", language).get(group, group)
    if group_by in ("wlz_before", "pgb_before", "overall"):
        return labels("YES_NO", language).get(str(group), str(group))
    return str(group)


def attrition_step(name: str, description: str, language: str = "nl") -> str:
    """Text of an attrition step by its ``name``; steps merged by disclosure control (``a+b``) read "a; b"."""
    steps = labels("ATTRITION_STEP", language)
    parts = str(name).split("+")
    if all(part in steps for part in parts):
        return "; ".join(steps[part] for part in parts)
    return description


def table(df: pd.DataFrame, columns: list[str], language: str = "nl") -> pd.DataFrame:
    """Select ``columns`` and give them names and values in ``language`` (outcomes, cohorts, groups...)."""
    out = df[[c for c in columns if c in df.columns]].copy()
    if "description" in out and "name" in df.columns:
        out["description"] = [attrition_step(n, d, language) for n, d in zip(df["name"], out["description"])]
    if "group" in out and "group_by" in out:
        out["group"] = [_group_label(b, g, language) for b, g in zip(out["group_by"], out["group"])]
    for column, name in (("outcome", "OUTCOME"), ("cohort", "COHORT"), ("group_by", "GROUP_BY"),
                         ("censor_reason", "CENSOR_REASON"), ("spec", "RD_SPEC"), ("period", "PERIOD"),
                         ("law", "LAW"), ("measure", "JW_MEASURE"), ("cause", "CAUSE"), ("term", "COX_TERM")):
        if column in out:
            out[column] = out[column].map(lambda v, m=labels(name, language): m.get(v, v))
    # a ratio to a zero rate is infinite: not a number to show, so it reads as missing ('–')
    infinite = lambda v: np.nan if isinstance(v, float) and np.isinf(v) else v  # noqa: E731
    out = out.apply(lambda col: col.replace([np.inf, -np.inf], np.nan) if pd.api.types.is_float_dtype(col)
                    else col.map(infinite) if col.dtype == object else col)  # object: hidden cells hold markers
    if language != "nl":  # the total rows of disclosure control are marked "Totaal"
        total = lambda v: "Total" if isinstance(v, str) and v == TOTAL else v  # noqa: E731 - cells may be NA
        out = out.apply(lambda col: col.map(total) if col.dtype == object else col)
    return out.rename(columns=labels("TRANSITION_COLUMNS", language))


def table_nl(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The Dutch table view: :func:`table` with ``language="nl"`` (exports use it)."""
    return table(df, columns, "nl")
