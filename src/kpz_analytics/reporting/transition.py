"""The transition-gap report in Dutch: summary sentences, figures and table views.

Functions take the tables of :mod:`kpz_analytics.analyses.transition` *after* disclosure control
(suppressed values are NaN and are drawn as gaps, never as zeros) and return matplotlib figures
or labelled DataFrames; the notebook ``03_transition_gap`` only calls them.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter, MaxNLocator

from . import labels as L

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


def summary_nl(headline: dict, gap_length: int, confidence: int = 95) -> str:
    """The plain-language summary that opens the report (Markdown).

    Uses the headline of :func:`kpz_analytics.analyses.transition.make_headline`; a figure that
    could not be estimated or was suppressed is said to be unknown, never given as a number.
    """
    parts = []
    if "jump_support" in headline and math.isfinite(headline["jump_support"]):
        jump = headline["jump_support"]
        verb = "daalt" if jump < 0 else "stijgt"
        # the interval in the direction of the verb: a fall of 8,6 (2,8 tot 17,6) procentpunt
        sign = -1 if jump < 0 else 1
        low, high = sorted((sign * headline["jump_ci_low"], sign * headline["jump_ci_high"]))
        parts.append(
            f"Bij de 18e verjaardag {verb} het aandeel jongeren met een levensbeperkende aandoening "
            f"dat thuis- of maatschappelijke ondersteuning krijgt met **{nl_number(abs(100 * jump), 1)} "
            f"procentpunt** ({confidence}%-BI {nl_number(100 * low, 1)} tot {nl_number(100 * high, 1)}; "
            "de maanden vóór en na de verjaardagsmaand vergeleken).")
    if "gap_share" in headline and math.isfinite(headline.get("gap_share", float("nan"))):
        parts.append(
            f"Van wie in het half jaar vóór 18 ondersteuning had, valt **{nl_percent(headline['gap_share'])}** "
            f"({confidence}%-BI {nl_percent(headline['gap_ci_low'])}–{nl_percent(headline['gap_ci_high'])}) "
            f"in het eerste jaar na 18 minstens {gap_length} maanden achter elkaar zonder enige ondersteuning.")
    median = headline.get("median_months_to_adult_care", float("nan"))
    if math.isfinite(median):
        hi = headline.get("median_ci_high", float("nan"))
        parts.append(
            f"Het duurt mediaan **{nl_number(median)} maanden** ({confidence}%-BI "
            f"{nl_number(headline.get('median_ci_low', float('nan')))}–"
            f"{nl_number(hi) if math.isfinite(hi) else 'niet bereikt'}) tot de eerste volwassenenzorg "
            "(Wmo, Wlz of wijkverpleging).")
    elif "median_months_to_adult_care" in headline:
        parts.append("Binnen de gevolgde periode kreeg minder dan de helft volwassenenzorg: de mediane "
                     "tijd tot volwassenenzorg is niet bereikt.")
    return " ".join(parts) if parts else "Te weinig gegevens voor een samenvatting."


def event_time_figure(event_time: pd.DataFrame, outcomes: list[str], ncols: int = 3,
                      confidence: int = 95) -> plt.Figure:
    """Small multiples: share using each outcome per event month, LLC vs comparison, with intervals.

    A vertical line marks the 18th-birthday month; suppressed points are gaps in the line.
    """
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
                    label=L.COHORT.get(cohort, cohort), linewidth=1.6)
        ax.axvline(-0.5, color="grey", linestyle="--", linewidth=1)
        ax.set_title(L.OUTCOME.get(outcome, outcome), fontsize=10)
        ax.yaxis.set_major_formatter(PERCENT_AXIS)
        ax.set_ylim(bottom=0)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=7))
    for ax in list(axes.flat)[len(outcomes):]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("maand t.o.v. de 18e verjaardag")
    for ax in axes[:, 0]:
        ax.set_ylabel("aandeel met zorg")
    handles, names = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=2, frameon=False, bbox_to_anchor=(0.5, -0.01))
    fig.suptitle(f"Zorggebruik per maand rond de 18e verjaardag (banden: {confidence}%-BI; "
                 "stippellijn: 18e verjaardag)", fontsize=11)
    fig.tight_layout(rect=(0, 0.04, 1, 0.97))
    return fig


def rd_figure(rd: pd.DataFrame, outcomes: list[str], confidence: int = 95, spec: str = "donut") -> plt.Figure:
    """Forest plot of the jump at 18 (percentage points) per outcome: LLC, comparison, difference.

    ``spec="donut"`` (default) shows the fits without the birthday month, the measure of the
    zorgval (see :func:`kpz_analytics.analyses.transition.make_headline`); ``"main"`` with it.
    """
    d = rd[(rd["spec"] == spec) & rd["outcome"].isin(outcomes)]
    order = [o for o in outcomes if o in set(d["outcome"])]
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(order) + 1.5))
    offsets = {"llc": -0.22, "comparison": 0.0, "difference": 0.22}
    colours = {**COLOURS, "difference": "black"}
    for cohort, off in offsets.items():
        part = d[d["cohort"] == cohort].set_index("outcome").reindex(order)
        y = np.arange(len(order)) + off
        ax.errorbar(100 * part["estimate"], y,
                    xerr=[100 * (part["estimate"] - part["ci_low"]), 100 * (part["ci_high"] - part["estimate"])],
                    fmt="o", color=colours[cohort], capsize=2, markersize=4, label=L.COHORT[cohort])
    ax.axvline(0, color="grey", linewidth=1)
    ax.set_yticks(np.arange(len(order)), [L.OUTCOME.get(o, o) for o in order])
    ax.invert_yaxis()
    ax.set_xlabel(f"sprong bij 18 in het aandeel met zorg (procentpunt, {confidence}%-BI)")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: nl_number(x)))
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12 - 0.3 / max(len(order), 1)), ncol=3, frameon=False)
    ax.set_title("Sprong bij de 18e verjaardag" + (" (maanden vóór en na de verjaardagsmaand)"
                                                  if spec == "donut" else " (verjaardagsmaand als na 18)"))
    fig.tight_layout()
    return fig


def rd_compact(rd: pd.DataFrame, outcomes: list[str], spec: str = "donut") -> pd.DataFrame:
    """One row per outcome: the jump (procentpunt) with its interval for LLC, comparison, difference.

    Values come from the published (protected) ``rd`` table; a hidden or unestimable value
    shows as its marker or '–'.
    """
    d = rd[(rd["spec"] == spec) & rd["outcome"].isin(outcomes)]
    rows = []
    for outcome in [o for o in outcomes if o in set(d["outcome"])]:
        row = {"uitkomst": L.OUTCOME.get(outcome, outcome)}
        for cohort in ("llc", "comparison", "difference"):
            r = d[(d["outcome"] == outcome) & (d["cohort"] == cohort)]
            if r.empty:
                row[L.COHORT[cohort]] = "–"
                continue
            r = r.iloc[0]
            est, lo, hi = (pd.to_numeric(pd.Series([r[c]]), errors="coerce").iloc[0]
                           for c in ("estimate", "ci_low", "ci_high"))
            status = str(r.get("estimate_status", "shown"))
            if status not in ("shown", "zero", "nan"):
                row[L.COHORT[cohort]] = "•"
            elif not math.isfinite(est):
                row[L.COHORT[cohort]] = "–"
            else:
                row[L.COHORT[cohort]] = (f"{nl_number(100 * est, 1)} ({nl_number(100 * lo, 1)} tot "
                                         f"{nl_number(100 * hi, 1)})")
        rows.append(row)
    return pd.DataFrame(rows)


def gap_figure(gap: pd.DataFrame, confidence: int = 95) -> plt.Figure:
    """Share with a zorgval by group (horizontal bars with intervals), LLC next to comparison."""
    d = gap.copy()
    d["label"] = [f"{L.GROUP_BY.get(b, b)}: {_group_label(b, g)}" for b, g in zip(d["group_by"], d["group"])]
    order = list(dict.fromkeys(d["label"]))
    fig, ax = plt.subplots(figsize=(8, 0.32 * len(order) + 1.6))
    for cohort, off in (("llc", -0.18), ("comparison", 0.18)):
        part = d[d["cohort"] == cohort].set_index("label").reindex(order)
        y = np.arange(len(order)) + off
        ax.barh(y, part["share_gap"], height=0.34, color=COLOURS[cohort], alpha=0.8, label=L.COHORT[cohort])
        ax.errorbar(part["share_gap"], y, xerr=[part["share_gap"] - part["ci_low"], part["ci_high"] - part["share_gap"]],
                    fmt="none", ecolor="black", capsize=2, linewidth=1)
    ax.set_yticks(np.arange(len(order)), order)
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(PERCENT_AXIS)
    ax.set_xlabel(f"aandeel met een zorgval na 18 ({confidence}%-BI)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08 - 0.4 / max(len(order), 1)), ncol=2, frameon=False)
    ax.set_title("Zorgval naar groep (leeg: niet te schatten of onderdrukt)")
    fig.tight_layout()
    return fig


def km_figure(curves: pd.DataFrame, confidence: int = 95) -> plt.Figure:
    """Cumulative share with adult successor care by month after 18 (1 − Kaplan–Meier), with band."""
    fig, ax = plt.subplots(figsize=(8, 4))
    for cohort, part in curves.groupby("cohort"):
        part = part.sort_values("time")
        t = np.r_[0.0, part["time"].to_numpy()]
        reached = np.r_[0.0, 1 - part["survival"].to_numpy()]
        low = np.r_[0.0, 1 - part["ci_high"].to_numpy()]
        high = np.r_[0.0, 1 - part["ci_low"].to_numpy()]
        ax.step(t, reached, where="post", color=COLOURS.get(cohort), label=L.COHORT.get(cohort, cohort))
        ax.fill_between(t, low, high, step="post", color=COLOURS.get(cohort), alpha=0.2, linewidth=0)
    ax.yaxis.set_major_formatter(PERCENT_AXIS)
    ax.set_ylim(0, 1)
    ax.set_xlabel("maanden na de 18e verjaardag (0 = verjaardagsmaand)")
    ax.set_ylabel("aandeel met volwassenenzorg")
    ax.set_title(f"Tijd tot de eerste volwassenenzorg (Kaplan–Meier, {confidence}%-BI)")
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def hospital_figure(hospital: pd.DataFrame) -> plt.Figure:
    """Share of hospital care under kindergeneeskunde per event month, LLC vs comparison."""
    fig, ax = plt.subplots(figsize=(8, 3.6))
    for cohort, part in hospital.groupby("cohort"):
        part = part.sort_values("event_month")
        ax.fill_between(part["event_month"], part["ci_low"], part["ci_high"], color=COLOURS.get(cohort),
                        alpha=0.2, linewidth=0)
        ax.plot(part["event_month"], part["share_paediatric"], color=COLOURS.get(cohort),
                label=L.COHORT.get(cohort, cohort))
    ax.axvline(-0.5, color="grey", linestyle="--", linewidth=1)
    ax.yaxis.set_major_formatter(PERCENT_AXIS)
    ax.set_ylim(0, 1)
    ax.set_xlabel("maand t.o.v. de 18e verjaardag")
    ax.set_ylabel("aandeel kindergeneeskunde")
    ax.set_title("Ziekenhuiszorg onder kindergeneeskunde, van wie die maand ziekenhuiszorg had")
    ax.legend(loc="lower left")
    fig.tight_layout()
    return fig


def _group_label(group_by: str, group: str) -> str:
    if group_by == "diagnostic_group":
        return L.DIAGNOSTIC_GROUP.get(group, group)
    if group_by == "geslacht":
        return L.SEX.get(group, group)
    if group_by in ("wlz_before", "pgb_before", "overall"):
        return L.YES_NO.get(str(group), str(group))
    return str(group)


def table_nl(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Select ``columns`` and give them Dutch names and values (outcomes, cohorts, groups...)."""
    out = df[[c for c in columns if c in df.columns]].copy()
    if "description" in out and "name" in df.columns:
        out["description"] = [L.ATTRITION_STEP.get(n, d) for n, d in zip(df["name"], out["description"])]
    if "group" in out and "group_by" in out:
        out["group"] = [_group_label(b, g) for b, g in zip(out["group_by"], out["group"])]
    for column, mapping in (("outcome", L.OUTCOME), ("cohort", L.COHORT), ("group_by", L.GROUP_BY),
                            ("censor_reason", L.CENSOR_REASON), ("spec", L.RD_SPEC), ("period", L.PERIOD),
                            ("law", L.LAW), ("measure", L.JW_MEASURE), ("cause", L.CAUSE),
                            ("term", L.COX_TERM)):
        if column in out:
            out[column] = out[column].map(lambda v, m=mapping: m.get(v, v))
    return out.rename(columns=L.TRANSITION_COLUMNS)
