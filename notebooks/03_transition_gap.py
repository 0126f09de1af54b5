# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown] tags=["lang-nl"]
# # De zorgval bij 18: zorggebruik rond de 18e verjaardag van jongeren met een levensbeperkende aandoening
#
# Wat gebeurt er met de zorg van jongeren met een levensbeperkende aandoening (LBA) als zij 18
# worden? Jeugdwet, intensieve kindzorg en kindergeneeskunde stoppen; Wmo, Wlz, wijkverpleging en
# volwassenenspecialismen moeten het overnemen. Dit rapport vergelijkt hun zorg in de 24 maanden
# vóór en na de 18e verjaardag met die van een willekeurige vergelijkingsgroep van jongeren zonder
# LBA, schat de sprong bij 18, het aandeel dat in een **zorgval** terechtkomt en hoe lang het duurt
# tot volwassenenzorg begint. Definities en parameters: `docs/transition.md`.

# %% [markdown] tags=["lang-en"]
# # The care gap at 18: care use around the 18th birthday of young people with a life-limiting condition
#
# What happens to the care of young people with a life-limiting condition (LLC) when they turn 18?
# Jeugdwet (the Youth Act), intensive home care for children and paediatrics stop; Wmo (municipal
# support), Wlz (long-term care), community nursing and adult specialties have to take over. This report
# compares their care in the 24 months before and after the 18th birthday with that of a random comparison
# group of young people without an LLC, and estimates the jump at 18, the share that falls into a **care
# gap** (*zorgval*) and how long it takes until adult care starts. Definitions and parameters:
# `docs/transition.md`.

# %% tags=["parameters"]
warehouse = "../data/processed/synthetic-default.duckdb"
months_before = 24  # maanden vóór de verjaardagsmaand in het panel
months_after = 24  # maanden vanaf de verjaardagsmaand (0 … 23)
gap_window = 12  # maanden na 18 waarin een zorgval wordt gezocht
gap_length = 3  # aaneengesloten maanden zonder ondersteuning die een zorgval vormen
outcomes = None  # lijst van uitkomsten, of None voor alle (codelists/transition_outcomes_v1.csv)
threshold = 10  # kleinste aantal personen dat getoond mag worden
language = "nl"
results_dir = ""  # map voor de resultaattabellen (CSV), leeg: niet wegschrijven

# %%
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown, display

from kpz_analytics.analyses import transition as A
from kpz_analytics.cohorts.transition import TransitionParams
from kpz_analytics.reporting import figures
from kpz_analytics.reporting import transition as R
from kpz_analytics.reporting.display import dutch
from kpz_analytics.reporting.header import provenance_block
from kpz_analytics.reporting.publish import protect_transition, shown
from kpz_analytics.warehouse.connect import connect, extract_meta

pd.set_option("display.max_rows", 200)
params = TransitionParams(months_before=months_before, months_after=months_after,
                          gap_window=gap_window, gap_length=gap_length,
                          outcomes=tuple(outcomes) if outcomes else None)
figures.setup(language)
con = connect(warehouse)
meta = extract_meta(con)
result = A.compute_transition(con, params, progress=False)
con.close()
if results_dir:
    A.write_results(result, Path(results_dir) / "transition")
published = protect_transition(result, threshold=threshold)
T = published.tables
confidence = round(100 * (1 - result.cohort.params.alpha))


def view(frame, columns, precision=1):
    """A result table as the reader sees it: labels and numbers in the report's language."""
    return dutch(R.table(shown(frame), columns, language), precision=precision, language=language)


display(provenance_block(meta, {"months_before": months_before, "months_after": months_after,
                                "gap_window": gap_window, "gap_length": gap_length, "outcomes": outcomes,
                                "threshold": threshold},
                         ["transition_outcomes_v1", "llc_fraser_v1", "source_hospital_llc_code_v1",
                          "source_palliative_activity_v1", "source_ikz_mkv_v1", "source_wlz_severe_v1"],
                         language, threshold=threshold))

# %% [markdown] tags=["lang-nl"]
# ## Samenvatting

# %% [markdown] tags=["lang-en"]
# ## Summary

# %% tags=["summary"]
display(Markdown(R.summary(published.headline, gap_length, confidence, language)))
display(Markdown(R.cohort_note(T["attrition"], threshold, language)))

# %% [markdown] tags=["lang-nl"]
# ## Zorggebruik per maand rond de 18e verjaardag
# Per maand het aandeel van de jongeren die die maand in beeld zijn (verzekerd en in leven) met zorg
# van het betreffende type. Maand 0 is de verjaardagsmaand; de stippellijn ligt vlak vóór maand 0.

# %% [markdown] tags=["lang-en"]
# ## Care use per month around the 18th birthday
# Per month, the share of the young people observed that month (insured and alive) with care of the
# given type. Month 0 is the birthday month; the dashed line lies just before month 0.

# %%
main_outcomes = ["any_support", "adult_successor", "jeugdwet_any", "wmo_any", "ikz_mkv", "wijkverpleging",
                 "wlz_any", "respite_any", "pgb_support", "hospital_paediatric", "hospital_adult", "emergency",
                 "ic_paediatric", "ic_adult", "admissions"]
fig = R.event_time_figure(T["event_time"], main_outcomes, confidence=confidence, language=language)
plt.show()

# %% [markdown] tags=["lang-nl"]
# ## De sprong bij 18 (regressiediscontinuïteit)
# Het verschil in het aandeel met zorg direct na en direct vóór de 18e verjaardag, geschat met
# lokaal-lineaire regressie aan beide kanten (rdrobust: bandbreedte MSE-optimaal, robuust
# bias-gecorrigeerd interval, geclusterd per persoon). Het **verschil** LBA − vergelijking scheidt wat
# specifiek is voor jongeren met een LBA van het algemene effect van 18 worden.
#
# De verjaardag valt midden in de verjaardagsmaand: in die maand kunnen jeugd- én volwassenenzorg
# lopen (Jeugdwet tot de verjaardag, Wmo vanaf de verjaardag). Een samengestelde uitkomst als "enige
# ondersteuning" piekt daardoor in maand 0. De analyse **zonder de verjaardagsmaand** (donut) vergelijkt
# de maanden ervóór en erna en is de maat voor de zorgval; de analyse met maand 0 staat ernaast.

# %% [markdown] tags=["lang-en"]
# ## The jump at 18 (regression discontinuity)
# The difference in the share with care just after and just before the 18th birthday, estimated with
# local linear regression on both sides (rdrobust: MSE-optimal bandwidth, robust bias-corrected interval,
# clustered by person). The **difference** LLC − comparison separates what is specific to young people with
# an LLC from the general effect of turning 18.
#
# The birthday falls in the middle of the birthday month: in that month youth and adult care can both run
# (Jeugdwet until the birthday, Wmo from the birthday). A composite outcome such as "any support" therefore
# peaks in month 0. The analysis **without the birthday month** (donut) compares the months before and after
# it and is the measure of the care gap; the analysis with month 0 is shown next to it.

# %%
rd = T.get("rd")
if rd is not None and not rd.empty:
    fig = R.rd_figure(rd, main_outcomes, confidence, language=language)
    plt.show()
    display(Markdown(R.text("rd_donut", language)))
    display(dutch(R.rd_compact(rd, main_outcomes, "donut", language), language=language))
    display(Markdown(R.text("rd_main", language)))
    display(dutch(R.rd_compact(rd, main_outcomes, "main", language), language=language))

# %% [markdown] tags=["lang-nl"]
# ## De zorgval: hoeveel jongeren vallen na 18 zonder ondersteuning?
# Van de jongeren met thuis- of maatschappelijke ondersteuning (wijkverpleging, intensieve kindzorg,
# Wlz, Wmo of Jeugdwet) in de zes maanden vóór de verjaardagsmaand: het aandeel dat in de eerste twaalf
# maanden vanaf de verjaardagsmaand minstens drie maanden achter elkaar zonder enige ondersteuning zit.
# Alleen wie die twaalf maanden in beeld is, telt mee.

# %% [markdown] tags=["lang-en"]
# ## The care gap: how many young people are left without support after 18?
# Of the young people with home or social support (community nursing, intensive home care for children,
# Wlz, Wmo or Jeugdwet) in the six months before the birthday month: the share that goes without any support
# for at least three consecutive months in the first twelve months from the birthday month. Only those
# observed for all twelve months count.

# %%
gap = T["gap"]
fig = R.gap_figure(gap, confidence, language)
plt.show()
display(view(gap, ["cohort", "group_by", "group", "n_persons", "n_gap", "share_gap", "ci_low",
                   "ci_high", "median_months_to_adult_care", "median_ci_low", "median_ci_high"], precision=2))

# %% [markdown] tags=["lang-nl"]
# ## Tijd tot de eerste volwassenenzorg
# Maanden vanaf de verjaardagsmaand tot de eerste maand met Wmo, Wlz of wijkverpleging, bij dezelfde
# jongeren (ook wie korter gevolgd is: overlijden, emigratie en het einde van de gegevens censureren).
# Wie al vóór 18 Wlz had, heeft die vanaf maand 0.

# %% [markdown] tags=["lang-en"]
# ## Time to the first adult care
# Months from the birthday month to the first month with Wmo, Wlz or community nursing, for the same young
# people (including those followed for a shorter time: death, emigration and the end of the data censor).
# Those who already had Wlz before 18 have it from month 0.

# %%
fig = R.km_figure(T["km_curves"][T["km_curves"]["group"] == "all"], confidence, language)
plt.show()
display(view(T["time_to_care"],
              ["cohort", "time", "cumulative_share", "cumulative_ci_low", "cumulative_ci_high"], precision=2))
display(Markdown(R.text("cuminc", language)))
ci = T["cuminc"]
display(view(ci, ["cohort", "cause", "time", "cumulative_incidence", "ci_low", "ci_high"], precision=2))
if "cox" in T:
    display(Markdown(R.text("cox", language)))
    display(view(T["cox"], ["term", "hazard_ratio", "ci_low", "ci_high", "p_value"], precision=3))
    display(view(T["cox_ph"], ["term", "statistic", "df", "p_value"], precision=3))

# %% [markdown] tags=["lang-nl"]
# ## Ziekenhuiszorg: van kindergeneeskunde naar volwassenenspecialismen

# %% [markdown] tags=["lang-en"]
# ## Hospital care: from paediatrics to adult specialties

# %%
fig = R.hospital_figure(T["hospital"], language)
plt.show()
display(Markdown(R.text("rate_ratio", language)))
display(view(T["rate_ratio"], ["outcome", "cohort", "rate_before", "rate_after", "rate_ratio",
                                "ci_low", "ci_high", "n_persons"], precision=2))

# %% [markdown] tags=["lang-nl"]
# ## Indicaties, verlenging van de Jeugdwet, pgb en logeeropvang

# %% [markdown] tags=["lang-en"]
# ## Indications, extension of the Jeugdwet, personal budgets (pgb) and respite care

# %%
display(Markdown(R.text("episodes", language)))
display(view(T["episodes"], ["cohort", "law", "n_persons", "n_episodes", "n_complete",
                              "median_length_months", "p25_length_months", "p75_length_months",
                              "n_followed", "median_gap_months"]))
display(Markdown(R.text("jeugdwet_wmo", language)))
display(view(T["jeugdwet_wmo"], ["cohort", "measure", "n_persons", "n_events", "share", "ci_low",
                                  "ci_high", "median_months"], precision=2))
display(Markdown(R.text("pgb", language)))
display(view(T["pgb"], ["cohort", "period", "n_persons", "n_using", "share", "ci_low", "ci_high"], precision=2))
display(Markdown(R.text("respite_region", language)))
rr = T["respite_region"]
display(view(rr[rr["cohort"] == "llc"], ["nik_region", "period", "n_persons", "n_using", "share",
                                          "ci_low", "ci_high"], precision=2))

# %% [markdown] tags=["lang-nl"]
# ## Wie telt mee: selectiestappen en follow-up

# %% [markdown] tags=["lang-en"]
# ## Who is counted: selection steps and follow-up

# %%
display(view(T["attrition"], ["cohort", "description", "n_persons", "n_excluded"]))
display(view(T["followup"], ["cohort", "censor_reason", "n_persons", "median_months_followed"]))
