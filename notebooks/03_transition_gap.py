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

# %% [markdown]
# # De zorgval bij 18: zorggebruik rond de 18e verjaardag van jongeren met een levensbeperkende aandoening
#
# Wat gebeurt er met de zorg van jongeren met een levensbeperkende aandoening (LBA) als zij 18
# worden? Jeugdwet, intensieve kindzorg en kindergeneeskunde stoppen; Wmo, Wlz, wijkverpleging en
# volwassenenspecialismen moeten het overnemen. Dit rapport vergelijkt hun zorg in de 24 maanden
# vóór en na de 18e verjaardag met die van een willekeurige vergelijkingsgroep van jongeren zonder
# LBA, schat de sprong bij 18, het aandeel dat in een **zorgval** terechtkomt en hoe lang het duurt
# tot volwassenenzorg begint. Definities en parameters: `docs/transition.md`.

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
from kpz_analytics.reporting.publish import protect_transition
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
display(provenance_block(meta, {"months_before": months_before, "months_after": months_after,
                                "gap_window": gap_window, "gap_length": gap_length, "outcomes": outcomes,
                                "threshold": threshold},
                         ["transition_outcomes_v1", "llc_fraser_v1", "source_hospital_llc_code_v1",
                          "source_palliative_activity_v1", "source_ikz_mkv_v1", "source_wlz_severe_v1"],
                         language, threshold=threshold))

# %% [markdown]
# ## Samenvatting

# %% tags=["summary"]
display(Markdown(R.summary_nl(published.headline, gap_length, confidence)))
att = T["attrition"]
n_llc = att.loc[(att["cohort"] == "llc")].iloc[-1]
n_cmp = att.loc[(att["cohort"] == "comparison")].iloc[-1]
display(Markdown(
    f"Onderzoeksgroep: **{R.nl_number(n_llc['n_persons'])}** jongeren met een LBA die in de periode 18 "
    f"werden; vergelijkingsgroep: **{R.nl_number(n_cmp['n_persons'])}** jongeren zonder LBA uit de "
    "steekproef. Getallen onder de 10 personen worden niet getoond (<10); daarvan afgeleide aandelen en "
    "intervallen evenmin (•)."))

# %% [markdown]
# ## Zorggebruik per maand rond de 18e verjaardag
# Per maand het aandeel van de jongeren die die maand in beeld zijn (verzekerd en in leven) met zorg
# van het betreffende type. Maand 0 is de verjaardagsmaand; de stippellijn ligt vlak vóór maand 0.

# %%
main_outcomes = ["any_support", "adult_successor", "jeugdwet_any", "wmo_any", "ikz_mkv", "wijkverpleging",
                 "wlz_any", "respite_any", "pgb_support", "hospital_paediatric", "hospital_adult", "emergency",
                 "ic_paediatric", "ic_adult", "admissions"]
fig = R.event_time_figure(T["event_time"], main_outcomes)
plt.show()

# %% [markdown]
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

# %%
rd = T.get("rd")
if rd is not None and not rd.empty:
    fig = R.rd_figure(rd, main_outcomes, confidence)
    plt.show()
    display(Markdown("Sprong in procentpunt (95%-BI), maanden vóór en na de verjaardagsmaand:"))
    display(dutch(R.rd_compact(rd, main_outcomes, "donut")))
    display(Markdown("Met de verjaardagsmaand als eerste maand ná 18:"))
    display(dutch(R.rd_compact(rd, main_outcomes, "main")))

# %% [markdown]
# ## De zorgval: hoeveel jongeren vallen na 18 zonder ondersteuning?
# Van de jongeren met thuis- of maatschappelijke ondersteuning (wijkverpleging, intensieve kindzorg,
# Wlz, Wmo of Jeugdwet) in de zes maanden vóór de verjaardagsmaand: het aandeel dat in de eerste twaalf
# maanden vanaf de verjaardagsmaand minstens drie maanden achter elkaar zonder enige ondersteuning zit.
# Alleen wie die twaalf maanden in beeld is, telt mee.

# %%
gap = T["gap"]
fig = R.gap_figure(gap, confidence)
plt.show()
display(dutch(R.table_nl(gap, ["cohort", "group_by", "group", "n_persons", "n_gap", "share_gap", "ci_low",
                               "ci_high", "median_months_to_adult_care", "median_ci_low", "median_ci_high"]),
              precision=2))

# %% [markdown]
# ## Tijd tot de eerste volwassenenzorg
# Maanden vanaf de verjaardagsmaand tot de eerste maand met Wmo, Wlz of wijkverpleging, bij dezelfde
# jongeren (ook wie korter gevolgd is: overlijden, emigratie en het einde van de gegevens censureren).
# Wie al vóór 18 Wlz had, heeft die vanaf maand 0.

# %%
fig = R.km_figure(T["km_curves"][T["km_curves"]["group"] == "all"], confidence)
plt.show()
display(dutch(R.table_nl(T["time_to_care"],
                         ["cohort", "time", "cumulative_share", "cumulative_ci_low", "cumulative_ci_high"]),
              precision=2))
display(Markdown("Met overlijden als concurrerende gebeurtenis (Aalen–Johansen):"))
ci = T["cuminc"]
display(dutch(R.table_nl(ci, ["cohort", "cause", "time", "cumulative_incidence", "ci_low", "ci_high"]),
              precision=2))
if "cox" in T:
    display(Markdown("Cox-model (jongeren met een LBA): hazard ratio > 1 betekent eerder volwassenenzorg. "
                     "De toets op proportionele hazards (p klein: de verhouding verandert in de tijd) staat eronder."))
    display(dutch(R.table_nl(T["cox"], ["term", "hazard_ratio", "ci_low", "ci_high", "p_value"]), precision=3))
    display(dutch(R.table_nl(T["cox_ph"], ["term", "statistic", "df", "p_value"]), precision=3))

# %% [markdown]
# ## Ziekenhuiszorg: van kindergeneeskunde naar volwassenenspecialismen

# %%
fig = R.hospital_figure(T["hospital"])
plt.show()
display(Markdown("Verhouding van het aantal per maand in de twaalf maanden vanaf 18 tegenover de twaalf "
                 "maanden ervoor (GEE, herhaalde maanden per persoon):"))
display(dutch(R.table_nl(T["rate_ratio"], ["outcome", "cohort", "rate_before", "rate_after", "rate_ratio",
                                           "ci_low", "ci_high", "n_persons"]), precision=2))

# %% [markdown]
# ## Indicaties, verlenging van de Jeugdwet, pgb en logeeropvang

# %%
display(Markdown("**Episodes van aaneengesloten maanden met zorg** (binnen de 48 maanden rond 18):"))
display(dutch(R.table_nl(T["episodes"], ["cohort", "law", "n_persons", "n_episodes", "n_complete",
                                         "median_length_months", "p25_length_months", "p75_length_months",
                                         "n_followed", "median_gap_months"])))
display(Markdown("**Jeugdwet na 18 en de overstap naar de Wmo** (jongeren met Jeugdwet vóór 18):"))
display(dutch(R.table_nl(T["jeugdwet_wmo"], ["cohort", "measure", "n_persons", "n_events", "share", "ci_low",
                                             "ci_high", "median_months"]), precision=2))
display(Markdown("**Aandeel pgb** onder wie thuis- of maatschappelijke ondersteuning had:"))
display(dutch(R.table_nl(T["pgb"], ["cohort", "period", "n_persons", "n_using", "share", "ci_low", "ci_high"]),
              precision=2))
display(Markdown("**Logeren / kortdurend verblijf per NIK-regio** (jongeren met een LBA):"))
rr = T["respite_region"]
display(dutch(R.table_nl(rr[rr["cohort"] == "llc"], ["nik_region", "period", "n_persons", "n_using", "share",
                                                     "ci_low", "ci_high"]), precision=2))

# %% [markdown]
# ## Wie telt mee: selectiestappen en follow-up

# %%
display(dutch(R.table_nl(T["attrition"], ["cohort", "description", "n_persons", "n_excluded"])))
display(dutch(R.table_nl(T["followup"], ["cohort", "censor_reason", "n_persons", "median_months_followed"])))
