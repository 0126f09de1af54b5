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
# # Het zorglandschap van kinderen en jongvolwassenen met een levensbeperkende aandoening
#
# Waar komt de zorg van kinderen en jongvolwassenen (0–25 jaar) met een levensbeperkende aandoening
# (LBA) vandaan? Dit rapport laat zien hoeveel van hen zorg krijgen uit meerdere van de vier
# financieringswetten (Zvw, Wlz, Wmo en Jeugdwet) en hoe vaak via een pgb, welke zorg zij krijgen in
# de laatste maanden van hun leven, hoe het gebruik van logeeropvang per NIK-regio verschilt van het
# landelijke cijfer, en in welk type ziekenhuis zij zorg krijgen. Het sluit af met een vaste set
# indicatoren per jaar. Definities en keuzes: `docs/landscape.md`.

# %% [markdown] tags=["lang-en"]
# # The care landscape of children and young adults with a life-limiting condition
#
# Where does the care of children and young adults (aged 0–25) with a life-limiting condition (LLC) come
# from? This report shows how many of them receive care under more than one of the four financing laws (Zvw,
# health insurance; Wlz, long-term care; Wmo, municipal support; Jeugdwet, the Youth Act) and how often through
# a personal budget (pgb), what care they receive in the last months of their lives, how the use of respite
# care per NIK region (the regional networks for integrated child care) differs from the national rate, and in
# which type of hospital they receive care. It ends with a fixed set of indicators per year. Definitions and
# choices: `docs/landscape.md`.

# %% tags=["parameters"]
warehouse = "../data/processed/synthetic-default.duckdb"
years = None  # (eerste, laatste) jaar, of None voor alle jaren van de levering
reference_year = None  # jaar van de tabellen per groep en regio; None: het laatste jaar
age_max = 25  # oudste leeftijd op 1 juli
windows = [30, 90]  # vensters vóór overlijden, in dagen
funnel_level = 0.998  # niveau van de trechtergrenzen die een regio markeren
threshold = 10  # kleinste aantal personen dat getoond mag worden
language = "nl"
results_dir = ""  # map voor de resultaattabellen (CSV), leeg: niet wegschrijven

# %%
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown, display

from kpz_analytics.analyses import landscape as A
from kpz_analytics.cohorts.landscape import LandscapeParams
from kpz_analytics.reporting import figures
from kpz_analytics.reporting import landscape as R
from kpz_analytics.reporting.display import dutch
from kpz_analytics.reporting.header import provenance_block
from kpz_analytics.reporting.publish import TOTAL, protect_landscape, shown
from kpz_analytics.warehouse.connect import connect, extract_meta

pd.set_option("display.max_rows", 300)
params = LandscapeParams(years=tuple(years) if years else None, reference_year=reference_year,
                         age_max=age_max, windows=tuple(windows), funnel_level=funnel_level)
figures.setup(language)
con = connect(warehouse)
meta = extract_meta(con)
result = A.compute_landscape(con, params, progress=False)
con.close()
if results_dir:
    A.write_results(result, Path(results_dir) / "landscape")
p = result.cohort.params
published = protect_landscape(result, threshold=threshold)
T = published.tables
confidence = round(100 * (1 - p.alpha))
child_band, adult_band = sorted(T["cohort"]["age_band"].unique(), key=lambda b: int(b.split("-")[0]))


def view(name, columns, precision=1, frame=None):
    """A published table as the reader sees it: markers in hidden cells, labels and numbers in the language."""
    return dutch(R.table(shown(T[name] if frame is None else frame), columns, language), precision=precision,
                 language=language)


display(provenance_block(meta, {"years": f"{p.years[0]}-{p.years[1]}", "reference_year": p.reference_year,
                                "age_range": f"{p.age_min}-{p.age_max}", "lookback": p.lookback,
                                "windows": list(p.windows), "funnel_level": p.funnel_level,
                                "threshold": threshold},
                         ["landscape_measures_v1", "landscape_indicators_v1", "llc_fraser_v1",
                          "source_hospital_llc_code_v1", "source_palliative_activity_v1", "source_ikz_mkv_v1",
                          "source_wlz_severe_v1", "palliative_need_v1"],
                         language, threshold=threshold))

# %% [markdown] tags=["lang-nl"]
# ## Samenvatting

# %% [markdown] tags=["lang-en"]
# ## Summary

# %% tags=["summary"]
display(Markdown(R.summary(T["indicators"], confidence, language)))
display(Markdown(R.text("cohort", language, threshold=threshold)))

# %% [markdown] tags=["lang-nl"]
# ## Indicatoren per jaar
# Een vaste, geversioneerde set indicatoren (`landscape_indicators_v1`): elke levering voegt een jaar toe.
# Teller, noemer en bron van elke indicator staan in `docs/landscape.md`.

# %% [markdown] tags=["lang-en"]
# ## Indicators per year
# A fixed, versioned set of indicators (`landscape_indicators_v1`): every extract adds a year. The numerator,
# denominator and source of each indicator are in `docs/landscape.md`.

# %%
fig = R.indicator_figure(T["indicators"], confidence=confidence, language=language)
plt.show()
display(dutch(R.indicator_view(shown(T["indicators"]), language), language=language))
last = T["indicators"][T["indicators"]["jaar"] == T["indicators"]["jaar"].max()]
display(Markdown(R.text("indicators_year", language, year=int(last["jaar"].iloc[0]))))
display(view("indicators", ["indicator", "numerator", "denominator", "value", "ci_low", "ci_high", "unit"],
             frame=last))

# %% [markdown] tags=["lang-nl"]
# ## Zorg uit vier wetten
# Per kind per jaar: uit welke van de vier financieringswetten het zorg kreeg. Bijna ieder kind krijgt
# Zvw-zorg (huisarts, farmacie, ziekenhuis); het gaat om de combinatie met Wlz, Wmo en Jeugdwet.
# **Financieringsstromen** zijn wet × zorg in natura of pgb (bijvoorbeeld Jeugdwet-pgb naast Wlz in
# natura). De gegevens bevatten geen zorgaanbieder of financier buiten het ziekenhuis; het aantal
# stromen is de benadering van "vijf of meer financiers" die de gegevens toelaten.

# %% [markdown] tags=["lang-en"]
# ## Care under four laws
# Per child per year: under which of the four financing laws it received care. Almost every child receives
# Zvw care (GP, pharmacy, hospital); what matters is the combination with Wlz, Wmo and Jeugdwet. **Funding
# streams** are law × care in kind or personal budget (pgb) (for example a Jeugdwet pgb next to Wlz care in
# kind). The data hold no care provider or funder outside the hospital; the number of streams is the
# approximation of "five or more funders" that the data allow.

# %%
fig = R.upset_figure(T["law_combinations"], p.reference_year, child_band, language=language)
plt.show()
lby = T["laws_by_year"]
display(Markdown(R.text("laws_by_year", language)))
display(view("laws_by_year", ["jaar", "age_band", "measure", "n_persons", "n_using", "share", "ci_low", "ci_high"],
             precision=2, frame=lby[lby["jaar"] == p.reference_year]))
comb = T["law_combinations"]
display(Markdown(R.text("combinations", language, year=p.reference_year)))
display(view("law_combinations", ["age_band", "combination", "n_laws", "n_using", "share", "ci_low", "ci_high"],
             precision=2, frame=comb[comb["jaar"] == p.reference_year].drop(columns="n_laws")))

# %% [markdown] tags=["lang-nl"]
# ### Naar leeftijd, diagnosegroep, regio en behoefte aan palliatieve zorg
# Rond 18 verschuift de zorg van Jeugdwet naar Wmo; de Wlz-indicatie blijft.

# %% [markdown] tags=["lang-en"]
# ### By age, diagnostic group, region and need for palliative care
# Around 18 care shifts from Jeugdwet to Wmo; the Wlz indication remains.

# %%
fig = R.laws_by_age_figure(T["laws_by_leeftijd"], p.reference_year, confidence, language)
plt.show()
for group_by in ("diagnostic_group", "nik_region", "palliative_need"):
    name = f"laws_by_{group_by}"
    d = T[name]
    d = d[d["measure"].isin(["wlz", "wmo", "jeugdwet", "three_laws"])]
    display(Markdown(R.text("by_group", language, group=R.labels("LANDSCAPE_GROUP_BY", language)[group_by],
                            year=p.reference_year)))
    display(view(name, [group_by, "measure", "n_persons", "n_using", "share", "ci_low", "ci_high"], precision=2,
                 frame=d))

# %% [markdown] tags=["lang-nl"]
# ### Het aandeel pgb per domein
# Ouders kiezen vaak voor een pgb omdat aanbieders in natura complexe zorg niet rond krijgen. Per jaar het
# aandeel van de gebruikers van een domein dat (een deel van) die zorg via een pgb kreeg.

# %% [markdown] tags=["lang-en"]
# ### The share with a personal budget (pgb) per domain
# Parents often choose a pgb because providers of care in kind cannot arrange complex care. Per year, the
# share of the users of a domain who received (part of) that care through a pgb.

# %%
fig = R.pgb_figure(T["pgb_share"], confidence, language)
plt.show()
display(view("pgb_share", ["jaar", "domain", "n_persons", "n_using", "share", "ci_low", "ci_high"], precision=2))

# %% [markdown] tags=["lang-nl"]
# ## De laatste levensmaanden
# Kinderen en jongvolwassenen met een LBA die in de periode overleden. De declaraties zijn per maand
# beschikbaar: "de laatste 30 dagen" telt zorg in elke kalendermaand die deze dagen raakt (bij overlijden op
# de eerste van de maand dus ook de hele vorige maand). De cijfers zijn daarmee een bovengrens.
# **Hoog-intensieve zorg** (naar Kassam e.a. 2017): een IC-dag, minstens twee SEH-bezoeken of minstens twee
# opnames. Waar de laatste dagen werden doorgebracht, laten declaraties alleen grof zien: ziekenhuiszorg in de
# maand van overlijden.

# %% [markdown] tags=["lang-en"]
# ## The last months of life
# Children and young adults with an LLC who died in the period. The claims are available per month: "the
# last 30 days" counts care in every calendar month that touches these days (for a death on the first of the
# month, the whole previous month too). The figures are therefore an upper bound. **High-intensity care**
# (after Kassam et al. 2017): an intensive-care day, at least two emergency department visits or at least two
# admissions. Where the last days were spent, claims show only coarsely: hospital care in the month of death.

# %%
fig = R.end_of_life_figure(T["end_of_life"], confidence, language)
plt.show()
eol = T["end_of_life"]
display(view("end_of_life", ["window_days", "age_band", "measure", "n_persons", "n_using", "share", "ci_low",
                             "ci_high"], precision=2, frame=eol[eol["age_band"] == TOTAL]))
display(Markdown(R.text("decedents", language)))
display(view("decedents", ["jaar", "age_band", "n_persons"]))

# %% [markdown] tags=["lang-nl"]
# ## Logeeropvang per regio: witte vlekken?
# Kortdurend verblijf / logeren (Jeugdwet of Wmo) per 1.000 personen met een LBA in de regio, met het exacte
# interval, tegen het landelijke cijfer. De trechter geeft per regiogrootte de grenzen waarbinnen een regio
# met hetzelfde onderliggende cijfer als het land zou vallen (95% en het markeerniveau); een regio onder de
# buitenste grens heeft geloofwaardig minder logeeropvang. Wlz-logeren heeft in de gegevens geen eigen code
# en telt niet mee. Regio's volgen de provincie van de woonplaats (Holland Rijnland ligt binnen
# Zuid-Holland en is zo niet apart te zien).

# %% [markdown] tags=["lang-en"]
# ## Respite care per region: white spots?
# Short stay / respite care (Jeugdwet or Wmo) per 1,000 persons with an LLC in the region, with the exact
# interval, against the national rate. The funnel gives, per region size, the limits within which a region
# with the same underlying rate as the country would fall (95% and the flagging level); a region below the
# outer limit credibly has less respite care. Wlz respite has no code of its own in the data and is not
# counted. Regions follow the province of residence (Holland Rijnland lies within Zuid-Holland and so cannot
# be seen separately).

# %%
reg = T["respite_by_region"]
fig = R.funnel_figure(reg, p.funnel_level, language)
plt.show()
display(view("respite_by_region", ["age_band", "nik_region", "n_persons", "n_using", "rate_per_1000", "ci_low",
                                   "ci_high", "expected", "lower_flag", "p_below", "flag"], precision=1))
display(Markdown(R.text("respite_by_year", language)))
display(view("respite_by_year", ["jaar", "age_band", "n_persons", "n_using", "rate_per_1000", "ci_low",
                                 "ci_high"]))

# %% [markdown] tags=["lang-nl"]
# ## Indicaties: duur, verlenging en hiaten
# De gegevens bevatten geen Wmo- of Jeugdwetindicaties, alleen de declaraties eronder. Een **episode** is
# daarom een reeks aaneengesloten kalendermaanden met zorg uit een wet (of intensieve kindzorg / MKV). De
# duur telt alleen voor episodes die helemaal in beeld zijn (niet afgekapt door het begin of einde van de
# gegevens, verzekering of overlijden). **Te late verlenging** rond de jaarwisseling: van wie in december
# zorg had en in het nieuwe jaar weer, het aandeel bij wie die zorg pas na januari hervatte.

# %% [markdown] tags=["lang-en"]
# ## Indications: length, renewal and gaps
# The data hold no Wmo or Jeugdwet indications, only the claims under them. An **episode** is therefore a run
# of consecutive calendar months with care under one law (or intensive home care for children / MKV). Length
# counts only for episodes that are fully observed (not cut off by the start or end of the data, insurance or
# death). **Late renewal** around the turn of the year: of those who had care in December and again in the new
# year, the share whose care resumed only after January.

# %%
ep = T["episodes"]
display(view("episodes", ["law", "n_persons", "n_episodes", "n_complete", "median_length_months",
                          "p25_length_months", "p75_length_months", "n_followed", "median_gap_months"],
             frame=ep[ep["nik_region"] == TOTAL]))
display(Markdown(R.text("jeugdwet_region", language)))
display(view("episodes", ["nik_region", "n_persons", "n_episodes", "n_complete", "median_length_months",
                          "n_followed", "median_gap_months"],
             frame=ep[(ep["law"] == "jeugdwet") & (ep["nik_region"] != TOTAL)]))
if "wlz_indications" in T:
    display(Markdown(R.text("wlz_indications", language)))
    display(view("wlz_indications", ["severe", "n_persons", "n_indications", "n_complete", "median_length_months",
                                     "p25_length_months", "p75_length_months", "n_followed", "n_seamless",
                                     "median_gap_months"]))
rn = T["renewals"]
display(Markdown(R.text("renewals", language)))
display(view("renewals", ["jaar", "age_band", "law", "n_persons", "n_using", "share", "ci_low", "ci_high"],
             precision=2, frame=rn[rn["law"].isin(["jeugdwet", "wmo"]) & (rn["age_band"] == TOTAL)]))

# %% [markdown] tags=["lang-nl"]
# ## Type ziekenhuis
# Het aandeel van de kinderen en jongvolwassenen met ziekenhuiszorg dat die (ook) in een UMC, een algemeen
# ziekenhuis of een categoraal centrum kreeg, en sinds 2023 waar de palliatieve zorgactiviteiten
# gedeclareerd werden, per jaar en in het laatste jaar per NIK-regio en diagnosegroep. Eén persoon kan
# bij meerdere typen komen.

# %% [markdown] tags=["lang-en"]
# ## Type of hospital
# The share of the children and young adults with hospital care who received it (also) in a university
# medical centre (UMC), a general hospital or a specialised centre, and since 2023 where the palliative care
# activities were claimed, per year and, in the last year, per NIK region and diagnostic group. One person can
# count under several types.

# %%
fig = R.hospital_type_figure(T["hospital_type"], confidence, language)
plt.show()
ht = T["hospital_type"]
display(view("hospital_type", ["jaar", "age_band", "measure", "n_persons", "n_using", "share", "ci_low",
                               "ci_high"], precision=2, frame=ht[ht["jaar"] == p.reference_year]))
for group_by in ("nik_region", "diagnostic_group"):
    d = T[f"hospital_by_{group_by}"]
    d = d[d["measure"].isin(["umc", "algemeen", "palliative_algemeen"])]
    display(Markdown(R.text("by_group", language, group=R.labels("LANDSCAPE_GROUP_BY", language)[group_by],
                            year=p.reference_year)))
    display(view(f"hospital_by_{group_by}", [group_by, "measure", "n_persons", "n_using", "share", "ci_low",
                                             "ci_high"], precision=2, frame=d))

# %% [markdown] tags=["lang-nl"]
# ## Wie telt mee

# %% [markdown] tags=["lang-en"]
# ## Who is counted

# %%
display(view("cohort", ["jaar", "age_band", "n_persons"]))
