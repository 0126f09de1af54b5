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
# # Het zorglandschap van kinderen en jongvolwassenen met een levensbeperkende aandoening
#
# Waar komt de zorg van kinderen en jongvolwassenen (0–25 jaar) met een levensbeperkende aandoening
# (LBA) vandaan? Dit rapport laat zien hoeveel van hen zorg krijgen uit meerdere van de vier
# financieringswetten (Zvw, Wlz, Wmo en Jeugdwet) en hoe vaak via een pgb, welke zorg zij krijgen in
# de laatste maanden van hun leven, hoe het gebruik van logeeropvang per NIK-regio verschilt van het
# landelijke cijfer, en in welk type ziekenhuis zij zorg krijgen. Het sluit af met een vaste set
# indicatoren per jaar. Definities en keuzes: `docs/landscape.md`.

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
    """A published table as the reader sees it: markers in hidden cells, Dutch labels and numbers."""
    return dutch(R.table_nl(shown(T[name] if frame is None else frame), columns), precision=precision)


display(provenance_block(meta, {"years": f"{p.years[0]}-{p.years[1]}", "reference_year": p.reference_year,
                                "age_range": f"{p.age_min}-{p.age_max}", "lookback": p.lookback,
                                "windows": list(p.windows), "funnel_level": p.funnel_level,
                                "threshold": threshold},
                         ["landscape_measures_v1", "landscape_indicators_v1", "llc_fraser_v1",
                          "source_hospital_llc_code_v1", "source_palliative_activity_v1", "source_ikz_mkv_v1",
                          "source_wlz_severe_v1", "palliative_need_v1"],
                         language, threshold=threshold))

# %% [markdown]
# ## Samenvatting

# %% tags=["summary"]
display(Markdown(R.summary_nl(T["indicators"], confidence)))
display(Markdown(
    "Onderzoeksgroep: kinderen en jongvolwassenen met een LBA volgens de prevalentiedefinitie (een "
    "declaratie van een van de vier bronnen in het jaar of de twee jaren ervoor), per kalenderjaar. "
    "Getallen onder de 10 personen worden niet getoond (<10); daarvan afgeleide aandelen en intervallen "
    "evenmin (•)."))

# %% [markdown]
# ## Indicatoren per jaar
# Een vaste, geversioneerde set indicatoren (`landscape_indicators_v1`): elke levering voegt een jaar toe.
# Teller, noemer en bron van elke indicator staan in `docs/landscape.md`.

# %%
fig = R.indicator_figure(T["indicators"], confidence=confidence)
plt.show()
display(dutch(R.indicator_view(shown(T["indicators"]))))
last = T["indicators"][T["indicators"]["jaar"] == T["indicators"]["jaar"].max()]
display(Markdown(f"Teller, noemer en interval in {int(last['jaar'].iloc[0])}:"))
display(view("indicators", ["indicator", "numerator", "denominator", "value", "ci_low", "ci_high", "unit"],
             frame=last))

# %% [markdown]
# ## Zorg uit vier wetten
# Per kind per jaar: uit welke van de vier financieringswetten het zorg kreeg. Bijna ieder kind krijgt
# Zvw-zorg (huisarts, farmacie, ziekenhuis); het gaat om de combinatie met Wlz, Wmo en Jeugdwet.
# **Financieringsstromen** zijn wet × zorg in natura of pgb (bijvoorbeeld Jeugdwet-pgb naast Wlz in
# natura). De gegevens bevatten geen zorgaanbieder of financier buiten het ziekenhuis; het aantal
# stromen is de benadering van "vijf of meer financiers" die de gegevens toelaten.

# %%
fig = R.upset_figure(T["law_combinations"], p.reference_year, child_band)
plt.show()
lby = T["laws_by_year"]
display(Markdown("**Aandeel met zorg uit elke wet, per jaar en leeftijdsgroep:**"))
display(view("laws_by_year", ["jaar", "age_band", "measure", "n_persons", "n_using", "share", "ci_low", "ci_high"],
             precision=2, frame=lby[lby["jaar"] == p.reference_year]))
comb = T["law_combinations"]
display(Markdown(f"**Combinaties van wetten in {p.reference_year}:**"))
display(view("law_combinations", ["age_band", "combination", "n_laws", "n_using", "share", "ci_low", "ci_high"],
             precision=2, frame=comb[comb["jaar"] == p.reference_year].drop(columns="n_laws")))

# %% [markdown]
# ### Naar leeftijd, diagnosegroep, regio en behoefte aan palliatieve zorg
# Rond 18 verschuift de zorg van Jeugdwet naar Wmo; de Wlz-indicatie blijft.

# %%
fig = R.laws_by_age_figure(T["laws_by_leeftijd"], p.reference_year, confidence)
plt.show()
for group_by in ("diagnostic_group", "nik_region", "palliative_need"):
    name = f"laws_by_{group_by}"
    d = T[name]
    d = d[d["measure"].isin(["wlz", "wmo", "jeugdwet", "three_laws"])]
    display(Markdown(f"**Naar {R.L.LANDSCAPE_GROUP_BY[group_by]}, {p.reference_year}:**"))
    display(view(name, [group_by, "measure", "n_persons", "n_using", "share", "ci_low", "ci_high"], precision=2,
                 frame=d))

# %% [markdown]
# ### Het aandeel pgb per domein
# Ouders kiezen vaak voor een pgb omdat aanbieders in natura complexe zorg niet rond krijgen. Per jaar het
# aandeel van de gebruikers van een domein dat (een deel van) die zorg via een pgb kreeg.

# %%
fig = R.pgb_figure(T["pgb_share"], confidence)
plt.show()
display(view("pgb_share", ["jaar", "domain", "n_persons", "n_using", "share", "ci_low", "ci_high"], precision=2))

# %% [markdown]
# ## De laatste levensmaanden
# Kinderen en jongvolwassenen met een LBA die in de periode overleden. De declaraties zijn per maand
# beschikbaar: "de laatste 30 dagen" telt zorg in elke kalendermaand die deze dagen raakt (bij overlijden op
# de eerste van de maand dus ook de hele vorige maand). De cijfers zijn daarmee een bovengrens.
# **Hoog-intensieve zorg** (naar Kassam e.a. 2017): een IC-dag, minstens twee SEH-bezoeken of minstens twee
# opnames. Waar de laatste dagen werden doorgebracht, laten declaraties alleen grof zien: ziekenhuiszorg in de
# maand van overlijden.

# %%
fig = R.end_of_life_figure(T["end_of_life"], confidence)
plt.show()
eol = T["end_of_life"]
display(view("end_of_life", ["window_days", "age_band", "measure", "n_persons", "n_using", "share", "ci_low",
                             "ci_high"], precision=2, frame=eol[eol["age_band"] == TOTAL]))
display(Markdown("**Overledenen per jaar en leeftijdsgroep (leeftijd bij overlijden):**"))
display(view("decedents", ["jaar", "age_band", "n_persons"]))

# %% [markdown]
# ## Logeeropvang per regio: witte vlekken?
# Kortdurend verblijf / logeren (Jeugdwet of Wmo) per 1.000 personen met een LBA in de regio, met het exacte
# interval, tegen het landelijke cijfer. De trechter geeft per regiogrootte de grenzen waarbinnen een regio
# met hetzelfde onderliggende cijfer als het land zou vallen (95% en het markeerniveau); een regio onder de
# buitenste grens heeft geloofwaardig minder logeeropvang. Wlz-logeren heeft in de gegevens geen eigen code
# en telt niet mee. Regio's volgen de provincie van de woonplaats (Holland Rijnland ligt binnen
# Zuid-Holland en is zo niet apart te zien).

# %%
reg = T["respite_by_region"]
fig = R.funnel_figure(reg, p.funnel_level)
plt.show()
display(view("respite_by_region", ["age_band", "nik_region", "n_persons", "n_using", "rate_per_1000", "ci_low",
                                   "ci_high", "expected", "lower_flag", "p_below", "flag"], precision=1))
display(Markdown("**Landelijk per jaar:**"))
display(view("respite_by_year", ["jaar", "age_band", "n_persons", "n_using", "rate_per_1000", "ci_low",
                                 "ci_high"]))

# %% [markdown]
# ## Indicaties: duur, verlenging en hiaten
# De gegevens bevatten geen Wmo- of Jeugdwetindicaties, alleen de declaraties eronder. Een **episode** is
# daarom een reeks aaneengesloten kalendermaanden met zorg uit een wet (of intensieve kindzorg / MKV). De
# duur telt alleen voor episodes die helemaal in beeld zijn (niet afgekapt door het begin of einde van de
# gegevens, verzekering of overlijden). **Te late verlenging** rond de jaarwisseling: van wie in december
# zorg had en in het nieuwe jaar weer, het aandeel bij wie die zorg pas na januari hervatte.

# %%
ep = T["episodes"]
display(view("episodes", ["law", "n_persons", "n_episodes", "n_complete", "median_length_months",
                          "p25_length_months", "p75_length_months", "n_followed", "median_gap_months"],
             frame=ep[ep["nik_region"] == TOTAL]))
display(Markdown("**Jeugdwet naar NIK-regio** (regio van de persoon in het laatste jaar):"))
display(view("episodes", ["nik_region", "n_persons", "n_episodes", "n_complete", "median_length_months",
                          "n_followed", "median_gap_months"],
             frame=ep[(ep["law"] == "jeugdwet") & (ep["nik_region"] != TOTAL)]))
if "wlz_indications" in T:
    display(Markdown("**Wlz-indicaties (CIZ)**: duur van indicaties die helemaal in beeld zijn, en hoe vaak een "
                     "nieuwe indicatie volgt:"))
    display(view("wlz_indications", ["severe", "n_persons", "n_indications", "n_complete", "median_length_months",
                                     "p25_length_months", "p75_length_months", "n_followed", "n_seamless",
                                     "median_gap_months"]))
rn = T["renewals"]
display(Markdown("**Te late verlenging rond de jaarwisseling** (Jeugdwet en Wmo):"))
display(view("renewals", ["jaar", "age_band", "law", "n_persons", "n_using", "share", "ci_low", "ci_high"],
             precision=2, frame=rn[rn["law"].isin(["jeugdwet", "wmo"]) & (rn["age_band"] == TOTAL)]))

# %% [markdown]
# ## Type ziekenhuis
# Het aandeel van de kinderen en jongvolwassenen met ziekenhuiszorg dat die (ook) in een UMC, een algemeen
# ziekenhuis of een categoraal centrum kreeg, en sinds 2023 waar de palliatieve zorgactiviteiten
# gedeclareerd werden, per jaar en in het laatste jaar per NIK-regio en diagnosegroep. Eén persoon kan
# bij meerdere typen komen.

# %%
fig = R.hospital_type_figure(T["hospital_type"], confidence)
plt.show()
ht = T["hospital_type"]
display(view("hospital_type", ["jaar", "age_band", "measure", "n_persons", "n_using", "share", "ci_low",
                               "ci_high"], precision=2, frame=ht[ht["jaar"] == p.reference_year]))
for group_by in ("nik_region", "diagnostic_group"):
    d = T[f"hospital_by_{group_by}"]
    d = d[d["measure"].isin(["umc", "algemeen", "palliative_algemeen"])]
    display(Markdown(f"**Naar {R.L.LANDSCAPE_GROUP_BY[group_by]}, {p.reference_year}:**"))
    display(view(f"hospital_by_{group_by}", [group_by, "measure", "n_persons", "n_using", "share", "ci_low",
                                             "ci_high"], precision=2, frame=d))

# %% [markdown]
# ## Wie telt mee

# %%
display(view("cohort", ["jaar", "age_band", "n_persons"]))
