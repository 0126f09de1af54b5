"""What may leave the research environment: analysis tables through disclosure control.

Every table a report shows or an export writes is declared here once — which columns are
person counts, which values derive from them, which dimensions add up — and protected
together with the tables published beside it (:func:`kpz_analytics.methods.disclosure.protect`:
counts of 1–9 persons hidden, derived shares and intervals with them, complementary cells
until no hidden count can be recomputed; the attack proves it). Hidden values become missing
(drawn as gaps, printed as markers), with a ``<column>_status`` column saying why.

Two things are coarsened before protection rather than suppressed cell by cell: an attrition
table (consecutive steps whose exclusion is 1–9 persons are merged, because any remaining
count minus the next reveals it) and Kaplan–Meier curves (the tail where fewer than
``threshold`` persons are at risk is cut, and the counts behind each step are not published).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..analyses.prevalence import PrevalenceResult
from ..methods.disclosure import DEFAULT_THRESHOLD, Dim, Magnitude, ProtectedSet, TableSpec, protect

if TYPE_CHECKING:  # the transition analysis is imported only when a transition report is made
    from ..analyses.transition import TransitionResult

TOTAL = "Totaal"
#: Shown in a table for a hidden value, by status.
MARKERS = {"primary": "<10", "secondary": "•", "derived": "•", "dominance": "•"}


@dataclass
class Published:
    """A protected publication: tables ready to show, the audit, and the headline from them."""

    tables: dict[str, pd.DataFrame]
    audit: pd.DataFrame
    headline: dict
    #: what :func:`~kpz_analytics.methods.disclosure.protect` returned (true values inside:
    #: for :func:`~kpz_analytics.methods.disclosure.attack`, never to be published)
    protected: ProtectedSet | None = None
    #: tables published without cell counts (model outputs, curves), not in ``protected``
    unprotected: tuple[str, ...] = ()


def coarsen_attrition(attrition: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """Merge consecutive attrition steps until every published exclusion is 0 or ≥ ``threshold``.

    Per cohort, the first step is kept; a later step whose ``n_excluded`` is 1 … threshold−1 is
    merged with the following step (descriptions joined with "; ", ``name`` joined with "+"),
    and a small exclusion at the last step is merged into the step before. The result keeps
    the first and the final count of every cohort exactly.
    """
    out = []
    for cohort, part in attrition.groupby("cohort", sort=False):
        rows = part.sort_values("step").to_dict("records")
        merged = [dict(rows[0])]
        pending = None
        for row in rows[1:]:
            if pending is not None:
                row = dict(row, name=f"{pending['name']}+{row['name']}",
                           description=f"{pending['description']}; {row['description']}")
                pending = None
            excluded = merged[-1]["n_persons"] - row["n_persons"]
            if 0 < excluded < threshold:
                pending = row
                continue
            merged.append(dict(row, n_excluded=excluded))
        if pending is not None:  # a small exclusion at the end: fold into the previous step
            last = merged.pop() if len(merged) > 1 else None
            if last is None:
                merged.append(dict(pending, n_excluded=rows[0]["n_persons"] - pending["n_persons"]))
            else:
                before = merged[-1]["n_persons"]
                merged.append(dict(pending, name=f"{last['name']}+{pending['name']}",
                                   description=f"{last['description']}; {pending['description']}",
                                   n_excluded=before - pending["n_persons"]))
        for i, row in enumerate(merged, start=1):
            row["step"] = i
            if i == 1:
                row["n_excluded"] = pd.NA
        out.extend(merged)
    result = pd.DataFrame(out)[["cohort", "step", "name", "description", "n_persons", "n_excluded"]]
    result["n_excluded"] = result["n_excluded"].astype("Int64")
    return result


def _with_total(table: pd.DataFrame, dim: str, total_row: pd.DataFrame) -> pd.DataFrame:
    """Append ``total_row`` (the overall figures) to ``table`` with ``dim`` = ``Totaal``."""
    total = total_row.copy()
    total[dim] = TOTAL
    return pd.concat([table, total[table.columns]], ignore_index=True)


def _km_curves(curves: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """Kaplan–Meier curves without their counts, cut where fewer than ``threshold`` are at risk."""
    keep = curves["n_at_risk"] >= threshold
    return curves.loc[keep, ["cohort", "group", "time", "survival", "ci_low", "ci_high"]].reset_index(drop=True)


def transition_specs(result: TransitionResult, threshold: int) -> list[TableSpec]:
    """The declarations of every table the transition report publishes."""
    t = result.tables
    specs: list[TableSpec] = []
    non_add = lambda name: Dim(name, additive=False)  # noqa: E731 - a dimension counted more than once
    # The two cohorts are disjoint, but no table publishes their sum and some tables hold one
    # cohort only: no sum relation over cohorts.
    cohort = non_add("cohort")

    et = t["event_time"]
    keys = ["cohort", "outcome", "event_month", "n_at_risk", "n_using"]
    et_dims = [cohort, non_add("outcome"), non_add("event_month")]
    specs.append(TableSpec(
        "event_time", et[[*keys, "share_using", "share_ci_low", "share_ci_high"]], dims=et_dims,
        counts=["n_at_risk", "n_using"], denominators={"n_using": "n_at_risk"},
        derived={"share_using": "n_using", "share_ci_low": "n_using", "share_ci_high": "n_using"},
        total_code=None))
    for what in ("volume", "cost"):  # magnitudes: only the outcomes that have them
        part = et[et[f"sum_{what}"].notna()]
        if part.empty:
            continue
        cols = [f"sum_{what}", f"mean_{what}", f"{what}_ci_low", f"{what}_ci_high"]
        specs.append(TableSpec(
            f"event_time_{what}", part[[*keys, *cols, f"{what}_top1", f"{what}_top2"]], dims=et_dims,
            counts=["n_at_risk", "n_using"], denominators={"n_using": "n_at_risk"},
            magnitudes={f"sum_{what}": Magnitude("n_using", f"{what}_top1", f"{what}_top2")},
            derived={c: f"sum_{what}" for c in cols[1:]},
            passthrough=[f"{what}_top1", f"{what}_top2"], total_code=None))

    gap = t["gap"]
    overall = gap[gap["group_by"] == "overall"]
    gap_cols = ["cohort", "n_persons", "n_gap", "share_gap", "ci_low", "ci_high",
                "n_persons_time_to_care", "median_months_to_adult_care", "median_ci_low", "median_ci_high"]
    gap_cols = [c for c in gap_cols if c in gap.columns]
    for group_by in [g for g in gap["group_by"].unique() if g != "overall"]:
        part = gap[gap["group_by"] == group_by].rename(columns={"group": group_by})[[group_by, *gap_cols]]
        total = overall[overall["cohort"].isin(part["cohort"])]
        table = _with_total(part, group_by, total)
        table[group_by] = table[group_by].astype(str)
        specs.append(TableSpec(
            f"gap_{group_by}", table, dims=[cohort, group_by],
            counts=["n_persons", "n_gap", "n_persons_time_to_care"],
            denominators={"n_gap": "n_persons"},
            derived={"share_gap": "n_gap", "ci_low": "n_gap", "ci_high": "n_gap",
                     "median_months_to_adult_care": "n_persons_time_to_care",
                     "median_ci_low": "n_persons_time_to_care", "median_ci_high": "n_persons_time_to_care"},
            quantities={"n_persons": "gap_persons", "n_gap": "gap_with_gap",
                        "n_persons_time_to_care": "supported_persons"}))
    specs.append(TableSpec(
        "gap_overall", overall[gap_cols], dims=[cohort],
        counts=["n_persons", "n_gap", "n_persons_time_to_care"], denominators={"n_gap": "n_persons"},
        derived={"share_gap": "n_gap", "ci_low": "n_gap", "ci_high": "n_gap",
                 "median_months_to_adult_care": "n_persons_time_to_care",
                 "median_ci_low": "n_persons_time_to_care", "median_ci_high": "n_persons_time_to_care"},
        quantities={"n_persons": "gap_persons", "n_gap": "gap_with_gap",
                    "n_persons_time_to_care": "supported_persons"}))

    km_at = t["time_to_care"]
    sizes = t["gap"][["cohort", "group_by", "group", "n_persons_time_to_care"]] \
        if "n_persons_time_to_care" in t["gap"] else None
    at = km_at[km_at["group_by"] == "overall"][["cohort", "time", "cumulative_share", "cumulative_ci_low",
                                                "cumulative_ci_high"]]
    if sizes is not None:
        at = at.merge(sizes[sizes["group_by"] == "overall"][["cohort", "n_persons_time_to_care"]], on="cohort")
        specs.append(TableSpec(
            "time_to_care", at, dims=[cohort, non_add("time")], counts=["n_persons_time_to_care"],
            derived={c: "n_persons_time_to_care" for c in ("cumulative_share", "cumulative_ci_low",
                                                         "cumulative_ci_high")},
            quantities={"n_persons_time_to_care": "supported_persons"}, total_code=None))
    if "rd" in t and not t["rd"].empty:
        rd = t["rd"]
        estimates = [c for c in ("estimate", "ci_low", "ci_high", "std_err") if c in rd]
        rd_cols = ["outcome", "cohort", "spec", *estimates, "bandwidth_months", "n_persons"]
        specs.append(TableSpec(
            "rd", rd[rd_cols], dims=[non_add("outcome"), non_add("cohort"), non_add("spec")],
            counts=["n_persons"], derived={c: "n_persons" for c in estimates},
            passthrough=["bandwidth_months"], quantities={"n_persons": "rd_persons"}, total_code=None))
    rr = t["rate_ratio"]
    rr_values = [c for c in ("rate_before", "rate_after", "rate_ratio", "ci_low", "ci_high") if c in rr]
    specs.append(TableSpec(
        "rate_ratio", rr[["outcome", "cohort", *rr_values, "n_persons"]],
        dims=[non_add("outcome"), cohort], counts=["n_persons"],
        derived={c: "n_persons" for c in rr_values}, quantities={"n_persons": "rr_persons"}, total_code=None))

    hosp = t["hospital"]
    specs.append(TableSpec(
        "hospital", hosp, dims=[cohort, non_add("event_month")],
        counts=["n_with_hospital", "n_paediatric", "n_adult"],
        denominators={"n_paediatric": "n_with_hospital", "n_adult": "n_with_hospital"},
        derived={"share_paediatric": ["n_paediatric", "n_with_hospital"],
                 "ci_low": ["n_paediatric", "n_with_hospital"], "ci_high": ["n_paediatric", "n_with_hospital"]},
        total_code=None))
    ep = t["episodes"]
    if not ep.empty:
        specs.append(TableSpec(
            "episodes", ep, dims=[cohort, non_add("law")],
            counts=["n_persons", "n_episodes", "n_complete", "n_followed"],
            derived={"median_length_months": "n_complete", "p25_length_months": "n_complete",
                     "p75_length_months": "n_complete", "median_gap_months": "n_followed"},
            quantities={"n_persons": "episode_persons"}, total_code=None))
    jw = t["jeugdwet_wmo"]
    if not jw.empty:
        specs.append(TableSpec(
            "jeugdwet_wmo", jw, dims=[cohort, non_add("measure")], counts=["n_persons", "n_events"],
            denominators={"n_events": "n_persons"},
            derived={"share": "n_events", "ci_low": "n_events", "ci_high": "n_events", "median_months": "n_events"},
            quantities={"n_persons": "jw_persons"}, total_code=None))
    for name in ("pgb", "respite_region"):
        d = t.get(name)
        if d is None or d.empty:
            continue
        dims = [cohort, non_add("period")] + (["nik_region"] if "nik_region" in d else [])
        d = d.assign(nik_region=d["nik_region"].fillna("onbekend")) if "nik_region" in d else d
        specs.append(TableSpec(
            name, d, dims=dims, counts=["n_persons", "n_using"], denominators={"n_using": "n_persons"},
            derived={"share": "n_using", "ci_low": "n_using", "ci_high": "n_using"},
            quantities={"n_persons": f"{name}_persons", "n_using": f"{name}_using"}, total_code=None))

    fu = t["followup"]
    total = fu.groupby("cohort", as_index=False)["n_persons"].sum().assign(censor_reason=TOTAL)
    fu_table = pd.concat([fu[["cohort", "censor_reason", "n_persons"]], total], ignore_index=True)
    specs.append(TableSpec("followup", fu_table, dims=[cohort, "censor_reason"], counts=["n_persons"],
                           quantities={"n_persons": "cohort_persons"}))
    att = coarsen_attrition(t["attrition"], threshold)
    att = att.assign(n_excluded=att["n_excluded"].fillna(0).astype(int), step=att["step"].astype(str))
    specs.append(TableSpec("attrition", att,
                           dims=[cohort, non_add("step")], counts=["n_persons", "n_excluded"],
                           passthrough=[], quantities={"n_persons": "attrition_persons"}, total_code=None))
    return specs


def model_outputs(result: TransitionResult, threshold: int) -> dict[str, pd.DataFrame]:
    """Curves and model coefficients, published without cell counts.

    Kaplan–Meier curves lose the tail with fewer than ``threshold`` persons at risk and every
    count behind their steps; cumulative incidences are shown at 3, 6 and 12 months for cohorts
    (not for small groups); the Cox model is fitted only with at least 10 events
    (``analyses.transition``). None of these tables holds a count of persons.
    """
    t = result.tables
    out = {"km_curves": _km_curves(t["km_curves"], threshold),
           "cuminc": t["cuminc"][["cohort", "group", "cause", "time", "cumulative_incidence", "ci_low", "ci_high"]]}
    if "cox" in t:
        out["cox"] = t["cox"][["term", "hazard_ratio", "ci_low", "ci_high", "p_value"]]
        out["cox_ph"] = t["cox_ph"][["term", "statistic", "df", "p_value"]]
    return out


def protect_transition(result: TransitionResult, threshold: int = 10) -> Published:
    """Protect every table of the transition report together; the headline is taken from them.

    Returns the published tables (hidden values missing, ``<column>_status`` beside them; the
    columns that describe single persons' contributions are dropped), the audit log and the
    headline recomputed from what may be shown.
    """
    from ..analyses.transition import make_headline

    specs = transition_specs(result, threshold)
    protected = protect(specs, threshold=threshold)
    tables = {}
    for name, df in protected.tables.items():
        drop = [c for c in df.columns if c.endswith(("_top1", "_top2"))]
        tables[name] = df.drop(columns=drop)
    # the notebook and the headline read the event-time and gap tables as the analysis shaped them
    keys = ["cohort", "outcome", "event_month"]
    for what in ("volume", "cost"):
        part = tables.pop(f"event_time_{what}", None)
        if part is not None:
            extra = [c for c in part.columns if c not in tables["event_time"].columns]
            tables["event_time"] = tables["event_time"].merge(part[keys + extra], on=keys, how="left")
    tables["gap"] = pd.concat(
        [tables["gap_overall"].assign(group_by="overall", group="all")]
        + [tables[k].rename(columns={k[4:]: "group"}).assign(group_by=k[4:])
           .loc[lambda d: d["group"] != TOTAL] for k in tables if k.startswith("gap_") and k != "gap_overall"],
        ignore_index=True)
    first = tables["attrition"]["step"] == "1"  # nothing is excluded before the first step
    tables["attrition"].loc[first, "n_excluded"] = pd.NA
    outputs = model_outputs(result, threshold)
    tables.update(outputs)
    headline = make_headline(tables)
    return Published(tables=tables, audit=protected.audit, headline=headline, protected=protected,
                     unprotected=tuple(outputs))


def shown(df: pd.DataFrame) -> pd.DataFrame:
    """The table as a reader sees it: hidden values as their marker, status columns removed."""
    out = df.copy()
    for col in [c for c in df.columns if c.endswith("_status")]:
        value = col[: -len("_status")]
        if value in out:
            marker = out[col].map(MARKERS)
            out[value] = out[value].astype(object).where(marker.isna(), marker)
        out = out.drop(columns=col)
    return out




# --------------------------------------------------------------------------- prevalence
#: Columns every prevalence table carries for provenance (``analyses.prevalence._describe``).
PROVENANCE_COLUMNS = ("extract_id", "age_range", "default_lookback", "run_sources", "definitions", "basis",
                      "package_version", "generated_at")
#: The prevalence tables a report or export publishes, in order.
PREVALENCE_TABLES = ("prevalence_by_year", "prevalence_by_age_group", "prevalence_by_sex",
                     "prevalence_by_province", "prevalence_by_nik_region",
                     "prevalence_by_diagnostic_group", "prevalence_standardised",
                     "prevalence_lookback", "deaths_among_cases", "palliative_need_sensitivity",
                     "attrition", "capture_recapture", "capture_recapture_strata",
                     "palliative_need_corrected", "prevalence_e84_variant", "prevalence_ccc",
                     "llc_ccc_overlap", "llc_ccc_overlap_hospital_code")
#: Published as model outputs: estimates from many counts, no count of persons in a cell.
PREVALENCE_MODEL_OUTPUTS = {"prevalence_trend": ["measure", "years", "model", "apc", "apc_ci_low",
                                                 "apc_ci_high", "p_value", "n_years"]}
#: Published as derived from other published cells (hidden with them), no cell count of its own.
PREVALENCE_DERIVED_TABLES = ("palliative_need_change",)
_RATE = {"rate_per_10000": "n_cases", "ci_low": "n_cases", "ci_high": "n_cases"}
#: ``measure`` code of a need definition in the published tables: the run's definition is the
#: ``palliative_need`` of ``prevalence_by_year`` (same cell), any other keeps its own name.
NEED_MEASURE = "palliative_need"
#: Categories of the LLC × CCC overlap: the two case sets and the three disjoint parts.
OVERLAP_PARTS = {"n_both": "llc_and_ccc", "n_llc_only": "llc_only", "n_ccc_only": "ccc_only"}


def _keep(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``columns`` of ``df`` that exist, then the provenance columns it carries (each once)."""
    cols = [c for c in columns if c in df.columns]
    return df[cols + [c for c in PROVENANCE_COLUMNS if c in df.columns and c not in cols]]


def _need_measure(definition: str, run_definition: str) -> str:
    return NEED_MEASURE if definition == run_definition else definition


def _e84_moves(result: PrevalenceResult) -> pd.DataFrame:
    """Per year and measure, the children an alternative grouping moves between two groups.

    Only the moves are published, not the alternative table itself: the alternative metabolic
    and respiratory counts differ from the chapter rule's by a few children, and publishing
    both tables would give that small number away by subtraction. A reader gets the
    alternative counts as the chapter-rule count minus or plus the (shown) moves.
    """
    t = result.tables
    var = t.get("prevalence_by_diagnostic_group_variants")
    if var is None or var.empty:
        return pd.DataFrame()
    base = t["prevalence_by_diagnostic_group"].set_index(["jaar", "measure", "diagnostic_group"])["n_cases"]
    rows = []
    for (grouping, jaar, measure), g in var.groupby(["grouping", "jaar", "measure"]):
        alt = g.set_index("diagnostic_group")["n_cases"]
        for group, n_alt in alt.items():
            n_base = int(base.get((jaar, measure, group), 0))
            if int(n_alt) != n_base:
                rows.append(dict(grouping=grouping, jaar=jaar, measure=measure, diagnostic_group=group,
                                 direction="in" if n_alt > n_base else "out",
                                 n_moved=abs(int(n_alt) - n_base)))
    if not rows:
        return pd.DataFrame()
    # every change of the grouping in every year, zero where nothing moved that year
    out = pd.DataFrame(rows)
    keys = out[["grouping", "diagnostic_group", "direction"]].drop_duplicates()
    grid = keys.merge(var[["grouping", "jaar", "measure"]].drop_duplicates(), on="grouping")
    out = grid.merge(out, on=["grouping", "jaar", "measure", "diagnostic_group", "direction"], how="left")
    out["n_moved"] = out["n_moved"].fillna(0).astype(int)
    return out.sort_values(["grouping", "measure", "jaar", "diagnostic_group"]).reset_index(drop=True)


def _overlap_long(df: pd.DataFrame, definition: str, llc_code: str) -> pd.DataFrame:
    """One LLC definition's overlap with CCC as rows: the two sets and their three parts."""
    part = df[df["llc_definition"] == definition]
    rows = []
    for r in part.itertuples():
        rows.append(dict(jaar=r.jaar, measure=llc_code, n_cases=int(r.n_llc)))
        rows.append(dict(jaar=r.jaar, measure="ccc", n_cases=int(r.n_ccc)))
        for col, code in OVERLAP_PARTS.items():
            rows.append(dict(jaar=r.jaar, measure=code if definition == "llc_all_sources" else f"{code}_hospital_code",
                             n_cases=int(getattr(r, col))))
    return pd.DataFrame(rows, columns=["jaar", "measure", "n_cases"])


def prevalence_specs(result: PrevalenceResult) -> list[TableSpec]:
    """The declarations of every prevalence table a report or an export publishes.

    Person counts are ``n_cases`` (children per year, measure and stratum), ``n_deaths``,
    ``n_observed`` (children seen in the year, capture–recapture) and the attrition counts;
    rates, intervals and shares derive from them; the insured population is a published
    denominator. ``measure`` is not additive (``palliative_need`` is a subset of ``llc``),
    nor is ``jaar`` (nothing sums over years), nor a diagnostic group (a child can have
    several; every case has at least one, so the groups cover the total). Strata tables
    share their totals with ``prevalence_by_year`` (same ``n_cases`` cell), so a hidden
    province cannot be recovered through the sex or age tables. The lookback table leaves out
    the default lookback, which is ``prevalence_by_year`` itself.
    """
    t = result.tables
    jaar = Dim("jaar", additive=False)
    measure = Dim("measure", additive=False, subset_of={"palliative_need": "llc"})
    rate_cols = ["n_cases", "population", "rate_per_10000", "ci_low", "ci_high"]
    passthrough = ["default_lookback"]
    specs = []

    def rates(name: str, by: list, extra: list[str] = ()) -> None:
        df = t[name]
        names = [b.name if isinstance(b, Dim) else b for b in by]
        specs.append(TableSpec(name, _keep(df, ["jaar", "measure", *names, *rate_cols, *extra]),
                               dims=[jaar, measure, *by], counts=["n_cases"], derived=dict(_RATE),
                               denominators={"n_cases": "population"}, passthrough=passthrough,
                               total_code=None))

    rates("prevalence_by_year", [], ["lookback_complete"])
    rates("prevalence_by_age_group", ["age_group"])
    rates("prevalence_by_sex", ["geslacht"])
    rates("prevalence_by_province", ["provincie_code"])
    rates("prevalence_by_nik_region", ["nik_region"])
    rates("prevalence_by_diagnostic_group", [Dim("diagnostic_group", additive=False, covering=True)])
    std = t.get("prevalence_standardised")
    if std is not None and not std.empty:
        specs.append(TableSpec(
            "prevalence_standardised",
            _keep(std, ["jaar", "measure", "n_cases", "population", "crude_rate", "std_rate", "ci_low",
                        "ci_high", "standard"]),
            dims=[jaar, measure], counts=["n_cases"], denominators={"n_cases": "population"},
            derived={c: "n_cases" for c in ("crude_rate", "std_rate", "ci_low", "ci_high")},
            passthrough=passthrough, total_code=None))
    lb = t["prevalence_lookback"]
    lb = lb[~lb["is_default"].astype(bool)]
    specs.append(TableSpec(
        "prevalence_lookback", _keep(lb, ["jaar", "measure", "lookback", *rate_cols, "lookback_complete"]),
        dims=[jaar, measure, Dim("lookback", additive=False)], counts=["n_cases"],
        quantities={"n_cases": "n_cases_lookback"}, derived=dict(_RATE),
        denominators={"n_cases": "population"}, passthrough=passthrough, total_code=None))
    specs.append(TableSpec(
        "deaths_among_cases",
        _keep(t["deaths_among_cases"], ["jaar", "measure", "age_group", "n_cases", "n_deaths",
                                         "deaths_per_1000_cases"]),
        dims=[jaar, measure, "age_group"], counts=["n_cases", "n_deaths"],
        denominators={"n_deaths": "n_cases"}, derived={"deaths_per_1000_cases": ["n_deaths", "n_cases"]},
        passthrough=passthrough, total_code=None))
    sens = t.get("palliative_need_sensitivity")
    if sens is not None and not sens.empty:
        specs.append(TableSpec(
            "palliative_need_sensitivity",
            _keep(sens, ["jaar", "variant", "n_cases", "n_llc_cases", "share_of_llc"]),
            dims=[jaar, Dim("variant", additive=False)], counts=["n_cases", "n_llc_cases"],
            quantities={"n_cases": "n_need_variant", "n_llc_cases": "n_llc_variant"},
            denominators={"n_cases": "n_llc_cases"}, derived={"share_of_llc": ["n_cases", "n_llc_cases"]},
            passthrough=passthrough, total_code=None))
    att = t["attrition"].assign(step=lambda d: d["step"].astype(str))
    specs.append(TableSpec(
        "attrition", _keep(att, ["definition", "step", "name", "description", "unit", "n_rows", "n_persons"]),
        dims=[Dim("definition", additive=False), Dim("step", additive=False)],
        counts=["n_rows", "n_persons"],
        quantities={"n_rows": "attrition_rows", "n_persons": "attrition_persons"},
        passthrough=passthrough, total_code=None))
    cr = t.get("capture_recapture")
    if cr is not None and not cr.empty:
        specs.append(TableSpec(
            "capture_recapture",
            _keep(cr, ["jaar", "n_observed", "n_unseen", "n_estimated", "ci_low", "ci_high", "ci_low_summed",
                       "ci_high_summed", "status", "interval", "model", "criterion", "n_strata"]),
            dims=[jaar], counts=["n_observed"],
            derived={c: "n_observed" for c in ("n_unseen", "n_estimated", "ci_low", "ci_high", "ci_low_summed",
                                               "ci_high_summed") if c in cr},
            passthrough=[*passthrough, "n_strata"], total_code=None))
    per = t.get("capture_recapture_strata")
    if per is not None and not per.empty:
        # the strata partition the children seen in a year: their sum is capture_recapture's cell
        specs.append(TableSpec(
            "capture_recapture_strata",
            _keep(per, ["jaar", "stratum", "n_observed", "n_unseen", "n_estimated", "ci_low", "ci_high",
                        "status", "fallback", "sources", "model"]),
            dims=[jaar, "stratum"], counts=["n_observed"],
            derived={c: "n_observed" for c in ("n_unseen", "n_estimated", "ci_low", "ci_high")},
            passthrough=passthrough, total_code=None))
    corr = t.get("palliative_need_corrected")
    if corr is not None and not corr.empty:
        # The flagged count of the run's definition is prevalence_by_year's palliative_need
        # cell (same quantity and codes, so one cell); PPV and sensitivity are parameters from
        # a validation sample, not counts of this extract.
        run_def = result.metadata.get("need_definition")
        corr = corr.assign(measure=corr["definition"].map(lambda d: _need_measure(d, run_def)))
        need_dim = measure
        specs.append(TableSpec(
            "palliative_need_corrected",
            _keep(corr, ["jaar", "measure", "definition", "flagged", "population", "ppv", "sensitivity",
                         "n_estimated", "ci_low", "ci_high", "rate_per_10000", "rate_ci_low", "rate_ci_high",
                         "status", "accuracy_source"]),
            dims=[jaar, need_dim], counts=["flagged"], quantities={"flagged": "n_cases"},
            denominators={"flagged": "population"},
            derived={c: "flagged" for c in ("n_estimated", "ci_low", "ci_high", "rate_per_10000", "rate_ci_low",
                                            "rate_ci_high")},
            passthrough=[*passthrough, "ppv", "sensitivity"], total_code=None))
    moves = _e84_moves(result)
    if not moves.empty:
        dg = t["prevalence_by_diagnostic_group"]
        stamp = {c: dg[c].iloc[0] for c in PROVENANCE_COLUMNS if c in dg}
        specs.append(TableSpec(
            "prevalence_e84_variant", moves.assign(**stamp),
            dims=[Dim("grouping", additive=False), jaar, measure, Dim("diagnostic_group", additive=False),
                  Dim("direction", additive=False)],
            counts=["n_moved"], quantities={"n_moved": "n_moved_group_variant"},
            passthrough=passthrough, total_code=None))
    ccc = t.get("prevalence_ccc")
    overlap = t.get("llc_ccc_overlap")
    if ccc is not None and not ccc.empty:
        specs.append(TableSpec(
            "prevalence_ccc", _keep(ccc, ["jaar", "measure", *rate_cols]), dims=[jaar, Dim("measure", additive=False)],
            counts=["n_cases"], derived=dict(_RATE), denominators={"n_cases": "population"},
            passthrough=passthrough, total_code=None))
    if overlap is not None and not overlap.empty:
        stamp = {c: overlap[c].iloc[0] for c in PROVENANCE_COLUMNS if c in overlap}
        # LLC (all sources) = both + LLC only, CCC = both + CCC only; the LLC and CCC cells are
        # prevalence_by_year's llc and prevalence_ccc's cells (same quantity and codes).
        hier = {"llc": ["llc_and_ccc", "llc_only"], "ccc": ["llc_and_ccc", "ccc_only"]}
        specs.append(TableSpec(
            "llc_ccc_overlap", _overlap_long(overlap, "llc_all_sources", "llc").assign(**stamp),
            dims=[jaar, Dim("measure", hierarchy=hier)], counts=["n_cases"], passthrough=passthrough,
            total_code=None))
        # Against the LLC-coded hospital lines: its own quantity (its sum of parts is another
        # union), so its CCC row is a second copy of the CCC cell; protect_prevalence checks
        # that both copies are shown or drops this table.
        hier_h = {"llc_hospital_code": ["llc_and_ccc_hospital_code", "llc_only_hospital_code"],
                  "ccc": ["llc_and_ccc_hospital_code", "ccc_only_hospital_code"]}
        specs.append(TableSpec(
            "llc_ccc_overlap_hospital_code",
            _overlap_long(overlap, "llc_hospital_code", "llc_hospital_code").assign(**stamp),
            dims=[jaar, Dim("measure", hierarchy=hier_h)], counts=["n_cases"],
            quantities={"n_cases": "n_cases_overlap_hospital_code"}, passthrough=passthrough,
            total_code=None))
    return specs


#: Cells published twice under different quantities, which the attacker must not see hidden in
#: one place and shown in the other: (table that gives way, its rows, its column; the other
#: table, its rows, its column), compared year by year.
PREVALENCE_COPIES = (
    ("llc_ccc_overlap_hospital_code", ("measure", "ccc"), "n_cases", "llc_ccc_overlap", ("measure", "ccc"),
     "n_cases"),
    ("palliative_need_sensitivity", ("variant", "all markers"), "n_cases", "prevalence_by_year",
     ("measure", NEED_MEASURE), "n_cases"),
    ("palliative_need_sensitivity", ("variant", "all markers"), "n_llc_cases", "prevalence_by_year",
     ("measure", "llc"), "n_cases"),
    ("palliative_need_sensitivity", ("variant", "definition palliative_need_plus_activity_v1"), "n_cases",
     "palliative_need_corrected", ("measure", "palliative_need_plus_activity_v1"), "flagged"),
)


def _copies_disagree(tables: dict[str, pd.DataFrame]) -> list[str]:
    """Tables of :data:`PREVALENCE_COPIES` whose copy of a cell is hidden where the other is shown."""
    bad = []
    for name, (col_a, code_a), value_a, other, (col_b, code_b), value_b in PREVALENCE_COPIES:
        a, b = tables.get(name), tables.get(other)
        if a is None or b is None or f"{value_a}_status" not in a or f"{value_b}_status" not in b:
            continue
        hid_a = a[a[col_a] == code_a].set_index("jaar")[f"{value_a}_status"].isin(
            ["primary", "secondary", "derived", "dominance"])
        hid_b = b[b[col_b] == code_b].set_index("jaar")[f"{value_b}_status"].isin(
            ["primary", "secondary", "derived", "dominance"])
        common = hid_a.index.intersection(hid_b.index)
        if (hid_a.loc[common] != hid_b.loc[common]).any() and name not in bad:
            bad.append(name)
    return bad


def _need_change(result: PrevalenceResult, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The year-to-year change of the corrected need, hidden with either year's corrected count.

    A change is the difference of two published estimates (``palliative_need_corrected``) and
    its interval comes from the same Monte Carlo draws; it holds no count of its own, so it is
    shown exactly when both years' estimates are shown (status ``derived`` otherwise).
    """
    change = result.tables.get("palliative_need_change")
    corr = tables.get("palliative_need_corrected")
    if change is None or change.empty or corr is None:
        return pd.DataFrame()
    status = corr.set_index(["definition", "jaar"])["n_estimated_status"]
    out = _keep(change, ["definition", "jaar_from", "jaar_to", "change", "ci_low", "ci_high"]).copy()
    shown_ = [status.get((d, a)) in ("shown", "zero") and status.get((d, b)) in ("shown", "zero")
              for d, a, b in zip(out["definition"], out["jaar_from"], out["jaar_to"])]
    shown_ = np.array(shown_, dtype=bool)
    for col in ("change", "ci_low", "ci_high"):
        out[col] = out[col].where(shown_)
        out.insert(out.columns.get_loc(col) + 1, f"{col}_status", np.where(shown_, "shown", "derived"))
    return out


def protect_prevalence(result: PrevalenceResult, threshold: int = DEFAULT_THRESHOLD) -> Published:
    """Protect every table of the prevalence report together.

    Returns the published tables (:func:`prevalence_specs`; the trend as a model output; the
    need's yearly change as derived from the published corrected counts, :func:`_need_change`),
    the audit, and the headline figures as far as they may be shown (:func:`prevalence_headline`).
    A table that publishes a second copy of a cell (:data:`PREVALENCE_COPIES`) is left out when
    protection hides one copy and shows the other.
    """
    specs = prevalence_specs(result)
    dropped: list[str] = []
    while True:
        protected = protect(specs, threshold=threshold)
        bad = _copies_disagree(protected.tables)
        if not bad:
            break
        dropped += bad
        specs = [sp for sp in specs if sp.name not in bad]
    tables = dict(protected.tables)
    outputs = {}
    for name, columns in PREVALENCE_MODEL_OUTPUTS.items():
        df = result.tables.get(name)
        if df is not None and not df.empty:
            outputs[name] = _keep(df, columns)
    tables.update(outputs)
    change = _need_change(result, tables)
    if not change.empty:
        tables["palliative_need_change"] = change
    headline = prevalence_headline(tables, result.headline.get("jaar"), result.metadata.get("alpha", 0.05))
    headline["tables_left_out"] = dropped
    return Published(tables=tables, audit=protected.audit, headline=headline, protected=protected,
                     unprotected=tuple(outputs) + ((("palliative_need_change",)) if not change.empty else ()))


def prevalence_headline(tables: dict[str, pd.DataFrame], year: int | None, alpha: float = 0.05) -> dict:
    """The headline figures of a year from *published* prevalence tables (nan when hidden).

    The need figure quoted is the count corrected for misclassification of the run's
    definition (``palliative_need_corrected``) when it is published with a status that says
    it was corrected; otherwise the flagged (raw) count with its exact Poisson interval, and
    ``need_quoted`` says which.
    """
    by_year = tables["prevalence_by_year"]
    year = int(by_year["jaar"].max()) if year is None else int(year)

    def cell(df, column, **where):
        if df is None or df.empty:
            return float("nan")
        mask = np.ones(len(df), dtype=bool)
        for k, v in where.items():
            mask &= (df[k] == v).to_numpy()
        values = df.loc[mask, column]
        return float(values.iloc[0]) if len(values) and pd.notna(values.iloc[0]) else float("nan")

    cr = tables.get("capture_recapture")
    h = {
        "jaar": year, "confidence": 1 - alpha,
        "n_estimated": cell(cr, "n_estimated", jaar=year),
        "ci_low": cell(cr, "ci_low", jaar=year), "ci_high": cell(cr, "ci_high", jaar=year),
        "n_observed": cell(cr, "n_observed", jaar=year),
        "n_llc_cases": cell(by_year, "n_cases", jaar=year, measure="llc"),
        "n_need_flagged": cell(by_year, "n_cases", jaar=year, measure=NEED_MEASURE),
        "need_rate": cell(by_year, "rate_per_10000", jaar=year, measure=NEED_MEASURE),
        "llc_rate": cell(by_year, "rate_per_10000", jaar=year, measure="llc"),
    }
    corr = tables.get("palliative_need_corrected")
    status = ""
    if corr is not None and not corr.empty:
        row = corr[(corr["jaar"] == year) & (corr["measure"] == NEED_MEASURE)]
        status = str(row["status"].iloc[0]) if len(row) else ""
    if status.startswith("corrected"):
        h.update(need_quoted="corrected",
                 n_need=cell(corr, "n_estimated", jaar=year, measure=NEED_MEASURE),
                 need_ci_low=cell(corr, "ci_low", jaar=year, measure=NEED_MEASURE),
                 need_ci_high=cell(corr, "ci_high", jaar=year, measure=NEED_MEASURE),
                 need_rate_corrected=cell(corr, "rate_per_10000", jaar=year, measure=NEED_MEASURE),
                 need_ppv=cell(corr, "ppv", jaar=year, measure=NEED_MEASURE),
                 need_sensitivity=cell(corr, "sensitivity", jaar=year, measure=NEED_MEASURE))
    else:
        # the exact Poisson interval of the flagged count: the rate's interval times the population
        pop = cell(by_year, "population", jaar=year, measure=NEED_MEASURE)
        h.update(need_quoted="flagged", n_need=h["n_need_flagged"],
                 need_ci_low=cell(by_year, "ci_low", jaar=year, measure=NEED_MEASURE) * pop / 10_000,
                 need_ci_high=cell(by_year, "ci_high", jaar=year, measure=NEED_MEASURE) * pop / 10_000,
                 need_note=status)
    return h


# --------------------------------------------------------------------------- data quality
def quality_specs(care: pd.DataFrame, population: pd.DataFrame) -> list[TableSpec]:
    """The person counts of the data-quality report.

    ``care`` (``quality.care_per_month``): persons with care per month and domain; a person
    can have care in several domains and months, so neither dimension adds up. The cost column
    is not published. ``population`` (``quality.population_by_age``): persons insured on
    1 July per year, age and sex; sex adds up to a total that is not published. The row
    bookkeeping of the delivery (rows in, kept, quarantined per file and reason) counts claim
    lines, not persons, and is shown as it is.
    """
    care = care.assign(month=care["month"].astype(str))[["month", "domain", "persons"]]
    return [
        TableSpec("care_per_month", care, dims=[Dim("month", additive=False), Dim("domain", additive=False)],
                  counts=["persons"], quantities={"persons": "persons_with_care"}, total_code=None),
        TableSpec("population_by_age", population[["jaar", "leeftijd", "geslacht", "aantal"]],
                  dims=[Dim("jaar", additive=False), "leeftijd", "geslacht"], counts=["aantal"],
                  quantities={"aantal": "insured"}, total_code=None),
    ]


def protect_quality(care: pd.DataFrame, population: pd.DataFrame,
                    threshold: int = DEFAULT_THRESHOLD) -> Published:
    """Protect the person counts of the data-quality report together (:func:`quality_specs`)."""
    protected = protect(quality_specs(care, population), threshold=threshold)
    return Published(tables=dict(protected.tables), audit=protected.audit, headline={}, protected=protected)


# --------------------------------------------------------------------------- landscape
#: Funnel columns of the respite table: derived from the region's persons (limits, expected) or
#: from its users (p-value); the flag is blanked with its users' count.
_FUNNEL_FROM_PERSONS = ("expected", "lower_95", "upper_95", "lower_flag", "upper_flag")


def _share_spec(name: str, df: pd.DataFrame, dims: list, quantity: str, total_code: str | None = None,
                passthrough: tuple[str, ...] = ()) -> TableSpec:
    """A table of ``n_persons``, ``n_using`` and a share (or rate) with its interval."""
    value = "share" if "share" in df else "rate_per_1000"
    return TableSpec(
        name, df, dims=dims, counts=["n_persons", "n_using"], denominators={"n_using": "n_persons"},
        derived={value: "n_using", "ci_low": "n_using", "ci_high": "n_using"},
        quantities={"n_persons": f"{quantity}_persons", "n_using": f"{quantity}_using"},
        total_code=total_code, passthrough=list(passthrough))


def _all_to_total(df: pd.DataFrame, column: str, code: str = "all") -> pd.DataFrame:
    return df.assign(**{column: df[column].astype(str).replace({code: TOTAL})})


def landscape_specs(result) -> list[TableSpec]:
    """The declarations of every table the landscape report publishes.

    Counts are persons per calendar year (a person-year of the LLC cohort) or decedents. Age
    bands add up to their total (``Totaal``: the analysis' ``all``); laws, streams, measures,
    institution types and indicators overlap (non-additive); combinations of laws partition
    the case-years of a year and band (each table carries that total); regions partition the
    band's LLC persons (``Totaal`` = national, persons without a region in ``unknown``);
    diagnostic groups overlap but cover every case-year.
    """
    t = result.tables
    non_add = lambda name, **kw: Dim(name, additive=False, **kw)  # noqa: E731
    jaar = non_add("jaar")
    specs = [TableSpec("cohort", t["cohort"], dims=[jaar, "age_band"], counts=["n_persons"],
                       quantities={"n_persons": "case_years"}, total_code=None),
             TableSpec("decedents", t["decedents"], dims=[jaar, "age_band"], counts=["n_persons"],
                       quantities={"n_persons": "decedents"}, total_code=None)]
    specs.append(_share_spec("laws_by_year", _all_to_total(t["laws_by_year"], "age_band"),
                             [jaar, "age_band", non_add("measure")], "laws", TOTAL))
    # every case-year has one combination: the combinations of a year and band add up to its
    # total row; the share's denominator is that total, so only n_using is a count here
    comb = t["law_combinations"]
    totals = comb.groupby(["jaar", "age_band"], as_index=False)["n_persons"].first()
    totals = totals.assign(combination=TOTAL, n_laws=-1, n_using=totals["n_persons"], share=1.0, ci_low=1.0,
                           ci_high=1.0)
    comb = pd.concat([comb, totals], ignore_index=True).drop(columns="n_persons")
    specs.append(TableSpec(
        "law_combinations", comb, dims=[jaar, non_add("age_band"), "combination"], counts=["n_using"],
        derived={"share": "n_using", "ci_low": "n_using", "ci_high": "n_using"},
        quantities={"n_using": "combination_persons"}, total_code=TOTAL, passthrough=["n_laws"]))
    year = result.cohort.params.reference_year
    for prefix, by_group, by_year in (("laws", "laws_by_group", "laws_by_year"),
                                      ("hospital", "hospital_type_by_group", "hospital_type")):
        grp = t[by_group]
        ref_total = t[by_year][(t[by_year]["jaar"] == year) & (t[by_year]["age_band"] == "all")]
        for group_by in grp["group_by"].unique():
            part = grp[grp["group_by"] == group_by].drop(columns="group_by").rename(columns={"group": group_by})
            part[group_by] = part[group_by].astype(str)
            total = ref_total.drop(columns=["jaar", "age_band"]).assign(**{group_by: TOTAL})
            part = pd.concat([part, total[part.columns]], ignore_index=True)
            dim = Dim(group_by, additive=False, covering=True) if group_by == "diagnostic_group" else group_by
            specs.append(_share_spec(f"{prefix}_by_{group_by}", part, [dim, non_add("measure")],
                                     f"{prefix}_{group_by}", TOTAL))
    specs.append(_share_spec("pgb_share", t["pgb_share"], [jaar, non_add("domain")], "pgb"))
    specs.append(_share_spec("end_of_life", _all_to_total(t["end_of_life"], "age_band"),
                             [non_add("window_days"), "age_band", non_add("measure")], "eol", TOTAL))
    specs.append(_share_spec("respite_by_year", t["respite_by_year"], [jaar, "age_band"], "respite"))
    reg = t["respite_by_region"].copy()
    reg["nik_region"] = reg["nik_region"].replace({"national": TOTAL})
    reg = reg.drop(columns=["flag"], errors="ignore")
    spec = _share_spec("respite_by_region", reg, [jaar, non_add("age_band"), "nik_region"], "respite_region",
                       TOTAL, passthrough=("national_rate_per_1000",))
    derived = dict(spec.derived)
    derived.update({c: "n_persons" for c in _FUNNEL_FROM_PERSONS if c in reg})
    derived.update({"p_below": "n_using"} if "p_below" in reg else {})
    specs.append(TableSpec(spec.name, reg, dims=spec.dims, counts=spec.counts, denominators=spec.denominators,
                           derived=derived, quantities=spec.quantities, total_code=TOTAL,
                           passthrough=spec.passthrough))
    specs.append(_share_spec("hospital_type", _all_to_total(t["hospital_type"], "age_band"),
                             [jaar, "age_band", non_add("measure")], "hospital", TOTAL))
    ep = t["episodes"]
    if not ep.empty:  # a person can have episodes of several laws and regions are per person
        specs.append(TableSpec(
            "episodes", _all_to_total(ep, "nik_region"), dims=[non_add("law"), "nik_region"],
            counts=["n_persons", "n_episodes", "n_complete", "n_followed"],
            derived={"median_length_months": "n_complete", "p25_length_months": "n_complete",
                     "p75_length_months": "n_complete", "median_gap_months": "n_followed"},
            quantities={"n_persons": "episode_persons", "n_episodes": "episodes",
                        "n_complete": "episodes_complete", "n_followed": "episodes_followed"},
            total_code=TOTAL))
    wi = t.get("wlz_indications")
    if wi is not None and not wi.empty:  # severe yes/no/unknown partition the indications; a person
        # with indications of both kinds counts in both, so the categories cover the total
        specs.append(TableSpec(
            "wlz_indications", _all_to_total(wi, "severe"), dims=[Dim("severe", additive=False, covering=True)],
            counts=["n_persons", "n_indications", "n_complete", "n_followed", "n_seamless"],
            derived={"median_length_months": "n_complete", "p25_length_months": "n_complete",
                     "p75_length_months": "n_complete", "median_gap_months": "n_followed"},
            quantities={"n_persons": "wlz_persons"}, total_code=TOTAL))
    specs.append(_share_spec("renewals", _all_to_total(t["renewals"], "age_band"),
                             [jaar, "age_band", non_add("law")], "renewal", TOTAL))
    ind = t["indicators"]
    specs.append(TableSpec(
        "indicators", ind, dims=[jaar, non_add("indicator")], counts=["numerator", "denominator"],
        denominators={"numerator": "denominator"},
        derived={c: ["numerator", "denominator"] for c in ("value", "ci_low", "ci_high")},
        quantities={"numerator": "indicator_numerator", "denominator": "indicator_denominator"},
        total_code=None))
    return specs


def protect_landscape(result, threshold: int = DEFAULT_THRESHOLD) -> Published:
    """Protect every table of the landscape report together (:func:`landscape_specs`).

    The respite funnel's ``flag`` is put back only where the region's count of users is shown
    (a flag beside a hidden count would hint at it). The headline holds the last year's
    indicators as published.
    """
    protected = protect(landscape_specs(result), threshold=threshold)
    tables = dict(protected.tables)
    reg = tables["respite_by_region"]
    if "flag" in result.tables["respite_by_region"]:
        flags = result.tables["respite_by_region"]["flag"].to_numpy()
        reg["flag"] = pd.Series(flags, index=reg.index).where(reg["n_using_status"].isin(["shown", "zero"]))
    ind = tables["indicators"]
    last = ind[ind["jaar"] == ind["jaar"].max()]
    headline = {"jaar": int(ind["jaar"].max()),
                **{row.indicator: (row.value, row.ci_low, row.ci_high) for row in last.itertuples(index=False)}}
    return Published(tables=tables, audit=protected.audit, headline=headline, protected=protected)
