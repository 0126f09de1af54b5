"""English text of the transition (03) and landscape (04) reports: summaries, label tables, tables.

Exact sentences on hand-built inputs, in both languages: the English summary says the same as the
Dutch one, and the Dutch one is word for word what it was before English reports existed.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from kpz_analytics.reporting import labels as L
from kpz_analytics.reporting import landscape as LS
from kpz_analytics.reporting import transition as R
from kpz_analytics.reporting.publish import TOTAL

HEADLINE = {"jump_support": -0.086, "jump_ci_low": -0.176, "jump_ci_high": -0.028,
            "gap_share": 0.417, "gap_ci_low": 0.351, "gap_ci_high": 0.487,
            "median_months_to_adult_care": 2.0, "median_ci_low": 1.0, "median_ci_high": float("nan")}

# Label tables of the transition and landscape reports (labels.py from "Transition around 18").
TABLES = ["COHORT", "OUTCOME", "UNIT", "GROUP_BY", "YES_NO", "CENSOR_REASON", "RD_SPEC", "PERIOD", "LAW",
          "JW_MEASURE", "TRANSITION_COLUMNS", "CAUSE", "COX_TERM", "ATTRITION_STEP", "LANDSCAPE_LAW",
          "PGB_DOMAIN", "EOL_MEASURE", "INSTITUTION_TYPE", "LANDSCAPE_GROUP_BY", "INDICATOR", "UNIT_INDICATOR",
          "FUNNEL_FLAG", "LANDSCAPE_COLUMNS"]
# Words that give a Dutch text away (none of them is an English word).
DUTCH = re.compile(r"\b(de|het|een|van|met|zorg|jaar|aandeel|personen|jongeren|kinderen|maanden|wet|"
                   r"onderdrukt|totaal|Totaal|ja|nee|onbekend|overleden|verjaardag|ziekenhuis|procentpunt|BI|"
                   r"LBA|niet|groep|vóór|na|landelijk|leeftijd|logeren|regio|verblijf|alle)\b")


def test_dutch_transition_summary_is_unchanged():
    assert R.summary_nl(HEADLINE, gap_length=3) == R.summary(HEADLINE, 3, 95, "nl") == (
        "Bij de 18e verjaardag daalt het aandeel jongeren met een levensbeperkende aandoening dat thuis- of "
        "maatschappelijke ondersteuning krijgt met **8,6 procentpunt** (95%-BI 2,8 tot 17,6; de maanden vóór en "
        "na de verjaardagsmaand vergeleken). Van wie in het half jaar vóór 18 ondersteuning had, valt **42%** "
        "(95%-BI 35%–49%) in het eerste jaar na 18 minstens 3 maanden achter elkaar zonder enige ondersteuning. "
        "Het duurt mediaan **2 maanden** (95%-BI 1–niet bereikt) tot de eerste volwassenenzorg (Wmo, Wlz of "
        "wijkverpleging).")


def test_english_transition_summary():
    assert R.summary(HEADLINE, 3, 95, "en") == (
        "At the 18th birthday the share of young people with a life-limiting condition who receive home or "
        "social support falls by **8.6 percentage points** (95% CI 2.8 to 17.6; the months before and after the "
        "birthday month compared). Of those who had support in the half year before 18, **42%** (95% CI "
        "35%–49%) go without any support for at least 3 consecutive months in the first year after 18. The "
        "median time to the first adult care (Wmo, Wlz or community nursing) is **2 months** (95% CI 1–not "
        "reached).")
    rising = {"jump_support": 0.1234, "jump_ci_low": 0.02, "jump_ci_high": 0.2, "median_months_to_adult_care": 1.0,
              "median_ci_low": 0.0, "median_ci_high": 4.0}
    assert R.summary(rising, 3, 90, "en") == (
        "At the 18th birthday the share of young people with a life-limiting condition who receive home or "
        "social support rises by **12.3 percentage points** (90% CI 2.0 to 20.0; the months before and after the "
        "birthday month compared). The median time to the first adult care (Wmo, Wlz or community nursing) is "
        "**1 month** (90% CI 0–4).")
    assert R.summary({"median_months_to_adult_care": float("nan")}, 3, language="en") == (
        "Within the follow-up, fewer than half received adult care: the median time to adult care was not reached.")
    assert R.summary({}, 3, language="en") == "Too few data for a summary."


def test_cohort_note_in_both_languages():
    attrition = pd.DataFrame({"cohort": ["llc", "llc", "comparison", "comparison"],
                              "n_persons": [2500, 1234, 30000, 20000]})
    assert R.cohort_note(attrition, 10, "nl").startswith(
        "Onderzoeksgroep: **1.234** jongeren met een LBA die in de periode 18 werden; vergelijkingsgroep: "
        "**20.000** jongeren zonder LBA uit de steekproef. Getallen onder de 10 personen")
    assert R.cohort_note(attrition, 10, "en") == (
        "Study group: **1,234** young people with a life-limiting condition (LLC) who turned 18 in the period; "
        "comparison group: **20,000** young people without an LLC from the random sample. Counts below 10 persons "
        "are not shown (<10); nor are shares and intervals derived from them (•).")


def _indicators() -> pd.DataFrame:
    rows = [(2023, "three_laws_0_17", 30.0, 25.0, 35.0, "percent")]
    rows += [(2024, "three_laws_0_17", 41.27, 38.0, 44.5, "percent"),
             (2024, "pgb_support", np.nan, np.nan, np.nan, "percent"),
             (2024, "respite_0_17", 12.34, 10.5, 14.25, "per_1000"),
             (2024, "eol_high_intensity", 8.5, 3.25, 16.0, "percent")]
    return pd.DataFrame(rows, columns=["jaar", "indicator", "value", "ci_low", "ci_high", "unit"])


def test_dutch_landscape_summary_is_unchanged():
    assert LS.summary_nl(_indicators()) == LS.summary(_indicators(), 95, "nl") == (
        "In 2024 kreeg **41%** (95%-BI 38–44) van de kinderen (0–17 jaar) met een levensbeperkende aandoening "
        "zorg uit drie of meer van de vier financieringswetten (Zvw, Wlz, Wmo, Jeugdwet). Het aandeel met een pgb "
        "is niet te tonen. Logeeropvang (kortdurend verblijf) gebruikten **12,3 per 1.000** (95%-BI 10,5–14,2) "
        "kinderen met een LBA. Het gebruik van logeeropvang door jongvolwassenen is niet te tonen (minder dan 10 "
        "personen). Van wie in 2024 overleed, kreeg **8,5%** (95%-BI 3,2–16,0) in de laatste 30 dagen "
        "hoog-intensieve ziekenhuiszorg (IC, herhaalde SEH-bezoeken of opnames).")


def test_english_landscape_summary():
    assert LS.summary(_indicators(), 95, "en") == (
        "In 2024, **41%** (95% CI 38–44) of the children (aged 0–17) with a life-limiting condition received care "
        "under three or more of the four financing laws (Zvw, Wlz, Wmo, Jeugdwet). The share with a personal "
        "budget (pgb) cannot be shown. Respite care (short stay) was used by **12.3 per 1,000** (95% CI "
        "10.5–14.2) children with a life-limiting condition. The use of respite care by young adults cannot be "
        "shown (fewer than 10 persons). Of those who died in 2024, **8.5%** (95% CI 3.2–16.0) received "
        "high-intensity hospital care in the last 30 days (intensive care, repeated emergency visits or "
        "admissions).")


@pytest.mark.parametrize("name", TABLES)
def test_every_label_has_an_english_text_that_reads_english(name):
    dutch = getattr(L, name)
    english = L.in_language(dutch, "en")
    assert set(english) == set(dutch)
    for code, text in english.items():
        assert not DUTCH.search(text) or name in ("LAW", "LANDSCAPE_LAW", "PGB_DOMAIN"), (name, code, text)
        assert "_" not in text, (name, code, text)


def test_english_tables_have_english_names_and_values():
    gap = pd.DataFrame({"cohort": ["llc", "comparison", "llc"], "group_by": ["overall", "overall", "geslacht"],
                        "group": ["all", "all", "V"], "n_persons": [120, 300, 60], "share_gap": [0.4, 0.1, 0.5]})
    out = R.table(gap, ["cohort", "group_by", "group", "n_persons", "share_gap"], "en")
    assert list(out.columns) == ["group", "grouping", "subgroup", "persons", "share with care gap"]
    assert out.iloc[0].tolist()[:3] == ["young people with an LLC", "total", "all"]
    assert out.iloc[2, 2] == L.in_language(L.SEX, "en")["V"]
    assert R.table(gap, ["cohort"], "nl").iloc[1, 0] == "vergelijkingsgroep (steekproef)"
    law = pd.DataFrame({"jaar": [2024, 2024], "age_band": ["0-17", TOTAL], "measure": ["three_laws", "wmo"],
                        "combination": ["zvw+wlz", TOTAL], "nik_region": ["unknown", "Utrecht"],
                        "palliative_need": ["True", "False"], "share": [0.2, 0.3]})
    out = LS.table(law, list(law.columns), "en")
    assert list(out.columns) == ["year", "age group", "care", "combination of laws", "NIK region",
                                 "need for palliative care", "share"]
    assert out.iloc[1].tolist() == [2024, "Total", "Wmo", "Total", "Utrecht", "no", 0.3]
    assert out.iloc[0].tolist()[2:6] == ["three or more laws", "Zvw + Wlz", "unknown", "yes"]
    nl = LS.table(law, list(law.columns), "nl")
    assert nl.iloc[1].tolist()[1:5] == [TOTAL, "Wmo", TOTAL, "Utrecht"] and "jaar" in nl.columns


def test_compact_jump_table_in_english():
    rd = pd.DataFrame({"outcome": ["wmo_any"] * 3, "cohort": ["llc", "comparison", "difference"],
                       "spec": "donut", "estimate": [0.14, np.nan, 0.13], "ci_low": [0.08, np.nan, 0.07],
                       "ci_high": [0.17, np.nan, 0.16], "estimate_status": ["shown", "derived", "shown"]})
    out = R.rd_compact(rd, ["wmo_any"], language="en")
    assert list(out.columns) == ["outcome", "young people with an LLC", "comparison group (sample)",
                                 "difference LLC − comparison"]
    assert out.iloc[0].tolist() == ["Wmo (all support)", "14.0 (8.0 to 17.0)", "•", "13.0 (7.0 to 16.0)"]


def test_merged_attrition_steps_and_infinite_ratios_read_well_in_both_languages():
    att = pd.DataFrame({"cohort": ["llc", "llc"], "name": ["found", "alive_insured_at_18+observed_before"],
                        "description": ["found by a selected LLC source", "alive ...; insured ..."],
                        "n_persons": [200, 150]})
    en = R.table(att, ["cohort", "description", "n_persons"], "en")
    assert en["step"].tolist() == ["found by a source for life-limiting conditions",
                                   "alive and insured on the 18th birthday; insured in every month before 18"]
    nl = R.table(att, ["description"], "nl")
    assert nl["stap"].iloc[1] == "in leven en verzekerd op de 18e verjaardag; verzekerd in elke maand vóór 18"
    assert R.attrition_step("no_such+found", "as delivered", "en") == "as delivered"
    ratio = pd.DataFrame({"outcome": ["ic_adult", "emergency"], "rate_ratio": [np.inf, 1.5],
                          "censor_reason": [TOTAL, "death"]})
    out = R.table(ratio, ["outcome", "rate_ratio", "censor_reason"], "en")
    assert np.isnan(out["ratio after/before"].iloc[0]) and out["ratio after/before"].iloc[1] == 1.5
    assert out["end of follow-up"].tolist() == ["Total", "died"]
    assert R.table(ratio, ["censor_reason"], "nl")["einde follow-up"].tolist() == [TOTAL, "overleden"]


def test_jump_figure_draws_an_estimate_outside_its_robust_interval():
    """rdrobust's robust bias-corrected interval is centred on the bias-corrected jump, so the
    conventional estimate can lie outside it (scale 0.1 of the benchmark: matplotlib refused the
    negative error bar and report 03 stopped); the figure draws the interval as it is."""
    import matplotlib

    matplotlib.use("Agg")
    from kpz_analytics.reporting.transition import rd_figure

    rd = pd.DataFrame({"spec": ["donut"] * 3, "outcome": ["wmo_any"] * 3,
                       "cohort": ["llc", "comparison", "difference"], "estimate": [0.05, 0.01, 0.04],
                       "ci_low": [0.06, -0.01, float("nan")], "ci_high": [0.10, 0.03, float("nan")]})
    fig = rd_figure(rd, ["wmo_any"])
    segments = fig.axes[0].collections[0].get_segments()  # the LLC interval, from 6 to 10 points
    assert np.allclose(segments[0][:, 0], [6.0, 10.0])
