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

import pandas as pd

from ..analyses.transition import TransitionResult, make_headline
from ..methods.disclosure import Dim, Magnitude, TableSpec, protect

TOTAL = "Totaal"
#: Shown in a table for a hidden value, by status.
MARKERS = {"primary": "<10", "secondary": "•", "derived": "•", "dominance": "•"}


@dataclass
class Published:
    """A protected publication: tables ready to show, the audit, and the headline from them."""

    tables: dict[str, pd.DataFrame]
    audit: pd.DataFrame
    headline: dict


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
    tables.update(model_outputs(result, threshold))
    headline = make_headline(tables)
    return Published(tables=tables, audit=protected.audit, headline=headline)


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


