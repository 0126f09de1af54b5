"""Realism check: the primer's reference figures computed from an extract alone.

For a synthetic extract this shows whether the generator resembles the Netherlands; for a real
extract it is a first plausibility check. National figures from a ``cohort_sample`` extract
weight each person by the design: persons in the selection count once, persons drawn in the
random comparison sample (``in_steekproef``) count ``1 / sample_fraction`` times.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import KpzError
from ..warehouse.connect import connect, design_weight_sql, extract_meta
from . import labels
from .figures import number

# Reference values from shared/domain-primer.md ("Reference figures"): (low, high, source).
REFERENCE = {
    "population_0_19": (3_740_000, 3_930_000, "CBS 37296ned"),
    "llc_rate": (26.7, 66.4, "Fraser et al. 2021 (Engeland, 0-19, 2001/02-2017/18)"),
    "need": (5_000, 7_000, "Kenniscentrum (werkagenda, personarapport)"),
    "deaths_0_19": (1_000, 1_100, "CBS via NJi (1.001 in 2021, 1.061 in 2022)"),
    "deaths_under1_share": (0.45, 0.55, "CBS via NJi (540 van 1.061 in 2022)"),
    "jeugdwet_after_18": (0.25, 0.40, "CBS Jeugdmonitor 2019 (ongeveer 1/3 blijft in jeugdzorg)"),
    "pgb_share": (None, None, "geen landelijk referentiecijfer; ter informatie"),
}


def _age_expr(date_sql: str) -> str:
    """Completed years at ``date_sql`` from the 15th of the birth month."""
    # Floored at 0: a baby who dies before the 15th of its birth month is aged 0.
    return (
        f"greatest(0, date_diff('year', birth_ref_date, {date_sql}) - case when "
        f"strftime({date_sql}, '%m%d') < strftime(birth_ref_date, '%m%d') then 1 else 0 end)"
    )


def figures(con, year: int) -> dict[str, float]:
    """Compute each realism figure for ``year`` from the marts (weighted for the design)."""
    meta = extract_meta(con)
    w = design_weight_sql(meta)
    jan1, dec31 = f"date '{year}-01-01'", f"date '{year}-12-31'"
    out: dict[str, float] = {}
    out["population_0_19"] = con.execute(
        "select sum(aantal) from mart_denominator where jaar = ? and leeftijd between 0 and 19", [year]
    ).fetchone()[0]
    deaths = con.execute(
        f"""
        select sum({w}) as deaths,
               sum(case when {_age_expr('overlijdensdatum')} < 1 then {w} else 0 end) as under1
        from mart_person
        where overlijdensdatum between {jan1} and {dec31}
          and {_age_expr('overlijdensdatum')} between 0 and 19
        """
    ).fetchone()
    out["deaths_0_19"] = deaths[0] or 0.0
    out["deaths_under1_share"] = (deaths[1] or 0.0) / deaths[0] if deaths[0] else float("nan")
    # Jeugdwet after 18: of those with Jeugdwet in the 6 months before the 18th-birthday month,
    # the share with Jeugdwet again in the 6 months after it (extension up to 23).
    cont = con.execute(
        f"""
        with before as (
            select distinct p.persoon_id, {design_weight_sql(meta, 'p.in_steekproef')} as w
            from mart_person as p
            join mart_person_month as m on m.persoon_id = p.persoon_id
            where m.domain = 'jeugdwet'
              and m.month between p.month_18 - interval 6 month and p.month_18 - interval 1 month
              and year(p.month_18) = ?
        ),
        after as (
            select distinct b.persoon_id
            from before as b
            join mart_person as p on p.persoon_id = b.persoon_id
            join mart_person_month as m on m.persoon_id = b.persoon_id
            where m.domain = 'jeugdwet'
              and m.month between p.month_18 + interval 1 month and p.month_18 + interval 6 month
        )
        select sum(w), sum(case when persoon_id in (select persoon_id from after) then w else 0 end)
        from before
        """,
        [year],
    ).fetchone()
    out["jeugdwet_after_18"] = cont[1] / cont[0] if cont[0] else float("nan")
    pgb = con.execute(
        f"""
        select sum(case when financing = 'pgb' then cost else 0 end) / nullif(sum(cost), 0)
        from mart_person_month
        where domain in ('wlz', 'wmo', 'jeugdwet') and year(month) = ?
        """,
        [year],
    ).fetchone()[0]
    out["pgb_share"] = float(pgb) if pgb is not None else float("nan")
    return out


def _case_figures(con, year: int) -> dict[str, float]:
    """LLC rate per 10,000 and the number needing palliative care (0-19) by the default case definitions."""
    from ..cohorts import cases

    table = cases.find_cases(con, cases.CaseParams(years=(year, year)))
    llc = cases.llc_cases(table)
    llc = llc[llc["jaar"] == year]
    population = con.execute(
        "select sum(aantal) from mart_denominator where jaar = ? and leeftijd between 0 and 19", [year]
    ).fetchone()[0]
    return {
        "llc_rate": 10_000 * len(llc) / population if population else float("nan"),
        "need": float(llc["palliative_need"].sum()),
    }


LABELS = {
    "population_0_19": "bevolking 0-19 jaar (1 juli)",
    "llc_rate": "levensbeperkende aandoening (LBA) per 10.000, 0-19",
    "need": "kinderen met behoefte aan palliatieve zorg (0-19)",
    "deaths_0_19": "overleden 0-19 jaar",
    "deaths_under1_share": "aandeel overledenen jonger dan 1 jaar",
    "jeugdwet_after_18": "aandeel met Jeugdwet vóór 18 dat na 18 Jeugdwet houdt",
    "pgb_share": "aandeel pgb in kosten Wlz, Wmo en Jeugdwet",
}
LABELS_EN = labels.english(LABELS, {
    "population_0_19": "population aged 0-19 (1 July)",
    "llc_rate": "life-limiting condition (LLC) per 10,000, 0-19",
    "need": "children needing palliative care (0-19)",
    "deaths_0_19": "deaths aged 0-19",
    "deaths_under1_share": "share of deaths under 1 year",
    "jeugdwet_after_18": "share with Jeugdwet before 18 who keep Jeugdwet after 18",
    "pgb_share": "pgb share of Wlz, Wmo and Jeugdwet costs",
})
#: The sources of :data:`REFERENCE` as the English report gives them.
SOURCE_EN = labels.english({k: v[2] for k, v in REFERENCE.items()}, {
    "population_0_19": "CBS 37296ned",
    "llc_rate": "Fraser et al. 2021 (England, 0-19, 2001/02-2017/18)",
    "need": "Kenniscentrum (work agenda, persona report)",
    "deaths_0_19": "CBS via NJi (1,001 in 2021, 1,061 in 2022)",
    "deaths_under1_share": "CBS via NJi (540 of 1,061 in 2022)",
    "jeugdwet_after_18": "CBS Jeugdmonitor 2019 (about 1 in 3 stays in youth care)",
    "pgb_share": "no national reference figure; for information",
})
COLUMNS = {"nl": ("kengetal", "levering {year}", "referentie", "binnen referentie", "bron"),
           "en": ("figure", "extract {year}", "reference", "within reference", "source")}
YES_NO = {"nl": ("ja", "nee"), "en": ("yes", "no")}


def _shown(x: float, scale: float, language: str = "nl") -> str:
    """Whole numbers with thousands separators from 100 up, else two decimals ('–' for NaN)."""
    if x != x:  # NaN
        return "–"
    return number(x, 0 if abs(scale) >= 100 else 2, language)


def within(value: float, low: float | None, high: float | None, language: str = "nl") -> str:
    """``ja``/``yes`` when ``value`` lies in the reference range, ``nee``/``no`` outside it, ``–`` without one."""
    if low is None or high is None or value != value:
        return "–"
    yes, no = YES_NO[language]
    return yes if low <= value <= high else no


def realism_table(warehouse: str | Path, year: int | None = None, language: str = "nl") -> pd.DataFrame:
    """One row per reference figure: label, value, reference range, in range or not, source.

    The fourth column (``binnen referentie``, in English ``within reference``) says ``nee``/``no``
    for a value outside its reference range (a scaled synthetic extract is outside the national
    ranges by design). Labels, numbers and sources are in ``language``.
    """
    con = connect(warehouse)
    try:
        meta = extract_meta(con)
        last = pd.Timestamp(meta["period_end"]).year
        year = last if year is None else year
        first = pd.Timestamp(meta["period_start"]).year
        if not first <= year <= last:
            raise KpzError(f"year {year} is outside the extract period {first}-{last}")
        values = figures(con, year)
        values.update(_case_figures(con, year))
    finally:
        con.close()
    names = labels.in_language(LABELS, language)
    rows = []
    for key, value in values.items():
        low, high, source = REFERENCE[key]
        ref = "" if low is None else f"{_shown(low, high, language)}–{_shown(high, high, language)}"
        rows.append((names[key], _shown(value, value, language), ref, within(value, low, high, language),
                     source if language == "nl" else SOURCE_EN[key]))
    columns = [c.format(year=year) for c in COLUMNS[language]]
    return pd.DataFrame(rows, columns=columns)


def flag_outside(table: pd.DataFrame):
    """A Styler of :func:`realism_table` with the rows outside their reference range in red."""
    from .display import dutch

    outside = set(YES_NO[lang][1] for lang in YES_NO)

    def flag(row):
        return ["background-color: #fee2e2; font-weight: 600" if row.iloc[3] in outside else ""] * len(row)

    language = "nl" if table.columns[0] == COLUMNS["nl"][0] else "en"
    return dutch(table, language=language).apply(flag, axis=1)
