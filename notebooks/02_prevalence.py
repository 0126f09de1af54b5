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
# # Prevalentie: kinderen met een levensbeperkende aandoening en kinderen met behoefte aan palliatieve zorg
#
# Twee getallen die vaak door elkaar worden gehaald, elk met een eigen, geversioneerde definitie
# (zie `docs/prevalence.md`):
#
# * **levensbeperkende aandoening (LBA)** — kinderen die in het jaar leven en verzekerd zijn, met een
#   LBA-code of een andere case-finding-bron in het jaar of de jaren ervoor (terugkijkperiode);
# * **behoefte aan palliatieve zorg** — kinderen met een LBA die in het jaar tekenen tonen van een
#   instabiele, verslechterende of stervensfase (definitie v2: IC-dagen, een reeks SEH-bezoeken of
#   opnamedagen, overlijden). Het aantal gemarkeerde kinderen is een ruwe telling: sommige
#   gemarkeerde kinderen zijn stabiel en veel kinderen met behoefte worden niet gemarkeerd. Het
#   getal dat we noemen is daarom **gecorrigeerd voor misclassificatie** (gemarkeerd × positief
#   voorspellende waarde / sensitiviteit), met een interval dat de onzekerheid van beide meeneemt.
#
# Teller en noemer hebben dezelfde basis (standaard: iedereen die op een dag van het jaar leeft en
# verzekerd is; als optie de peildatum 1 juli). Het aantal kinderen dat door geen enkele bron wordt
# gezien, is geschat met capture–recapture (log-lineaire modellen); een stratum waarvoor de tabel
# geen schatting toelaat, wordt zo gemeld en nooit als "niemand gemist".

# %% tags=["parameters"]
warehouse = "../data/processed/synthetic-default.duckdb"
years = None  # bijv. (2018, 2024), of None voor alle jaren van het extract
age_min = 0
age_max = 19
lookback = 2
sources = None  # lijst van bronnen, of None voor alle bronnen
basis = "period"  # "period" (een dag van het jaar) of "point" (peildatum 1 juli)
alpha = 0.05  # 1 - betrouwbaarheidsniveau van elk interval
need_accuracy = ""  # CSV met PPV en sensitiviteit uit een validatiesteekproef; leeg: standaard
language = "nl"
results_dir = ""  # map voor de resultaattabellen (CSV), leeg: niet wegschrijven

# %%
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from IPython.display import Markdown, display

from kpz_analytics.analyses import prevalence as P
from kpz_analytics.cohorts.cases import SOURCES, CaseParams
from kpz_analytics.reporting.display import dutch
from kpz_analytics.reporting.labels import DIAGNOSTIC_GROUP as DIAGNOSTIC_GROUP_NL
from kpz_analytics.reporting.labels import BASIS as BASIS_NL
from kpz_analytics.reporting.labels import MEASURE as MEASURE_NL
from kpz_analytics.reporting.labels import NEED_DEFINITION as NEED_DEFINITION_NL
from kpz_analytics.reporting.labels import labelled
from kpz_analytics.warehouse.connect import connect

sns.set_theme(style="whitegrid")
pd.set_option("display.max_rows", 200)
params = CaseParams(years=tuple(years) if years else None, age_min=age_min, age_max=age_max,
                    lookback=lookback, sources=tuple(sources) if sources else SOURCES, basis=basis)
con = connect(warehouse)
result = P.compute_prevalence(con, params, alpha=alpha, need_accuracy=need_accuracy or None,
                              progress=False)
con.close()
if results_dir:
    P.write_results(result, Path(results_dir) / "prevalence")
T = result.tables
h = result.headline
last = h["jaar"]
conf = f"{100 * (1 - alpha):g}%"


fmt = dutch


# %% [markdown]
# ## Kernboodschap

# %%
display(Markdown(f"**{h['sentence_nl'] if language == 'nl' else h['sentence_en']}**"))
display(Markdown(
    f"Extract `{result.metadata['extract_id']}`, leeftijd {age_min}–{age_max} jaar op 1 juli, "
    f"terugkijkperiode {result.metadata['lookback']} jaar, bronnen: {', '.join(result.metadata['sources'])}, "
    f"basis: {BASIS_NL[basis]}. Behoefte aan palliatieve zorg: "
    f"{'gecorrigeerd voor misclassificatie' if h['need_quoted'].startswith('corrected') else 'ruwe telling (geen geldige PPV en sensitiviteit voor dit extract)'}."))

# %% [markdown]
# ## Beide maten per jaar

# %%
by_year = T["prevalence_by_year"]
display(fmt(labelled(by_year, ["jaar", "measure", "n_cases", "population", "rate_per_10000",
                                 "ci_low", "ci_high"], language)))

# %%
fig, ax = plt.subplots(figsize=(8, 4))
for measure, df in by_year.groupby("measure"):
    ax.errorbar(df["jaar"], df["rate_per_10000"],
                yerr=[df["rate_per_10000"] - df["ci_low"], df["ci_high"] - df["rate_per_10000"]],
                marker="o", capsize=3, label=MEASURE_NL[measure])
incomplete = by_year.loc[~by_year["lookback_complete"].astype(bool), "jaar"]
if len(incomplete):
    ax.axvspan(incomplete.min() - 0.5, incomplete.max() + 0.5, color="grey", alpha=0.15,
               label="terugkijkperiode onvolledig")
ax.set_xlabel("jaar")
ax.set_ylabel(f"per 10.000 kinderen ({age_min}–{age_max} jaar)")
ax.set_title(f"Prevalentie per jaar met {conf}-betrouwbaarheidsinterval (gemarkeerde behoefte: ruw)")
ax.legend()
plt.show()

# %% [markdown]
# ## Behoefte aan palliatieve zorg: gemarkeerd en gecorrigeerd
# Het gecorrigeerde aantal is gemarkeerd × PPV / sensitiviteit (sensitiviteit ten opzichte van
# álle kinderen met behoefte, ook wie geen bron ziet). PPV en sensitiviteit komen uit een
# geversioneerd bestand met hun herkomst; het interval neemt hun onzekerheid en die van de telling
# mee. Vanaf 2023 staat er een tweede schatting naast, met de palliatieve zorgactiviteiten als extra
# bron: beide schatten hetzelfde aantal.

# %%
corr = T["palliative_need_corrected"]
display(fmt(labelled(corr, ["jaar", "definition", "flagged", "ppv", "sensitivity", "n_estimated",
                            "ci_low", "ci_high", "rate_per_10000"], language)))
ok = corr[corr["n_estimated"].notna()]
if not ok.empty:
    fig, ax = plt.subplots(figsize=(8, 4))
    for d, g in ok.groupby("definition"):
        ax.errorbar(g["jaar"], g["n_estimated"], yerr=[g["n_estimated"] - g["ci_low"],
                                                       g["ci_high"] - g["n_estimated"]],
                    marker="o", capsize=3, label=f"gecorrigeerd: {NEED_DEFINITION_NL[d]}")
    raw = corr[corr["definition"] == result.metadata["need_definition"]]
    ax.plot(raw["jaar"], raw["flagged"], marker="s", linestyle=":", label="gemarkeerd (ruw)")
    ax.set_xlabel("jaar")
    ax.set_ylabel("aantal kinderen")
    ax.set_title(f"Behoefte aan palliatieve zorg met {conf}-interval")
    ax.legend(fontsize=8)
    plt.show()
change = T["palliative_need_change"]
if not change.empty:
    display(Markdown("Verandering ten opzichte van het jaar ervoor (gecorrigeerd aantal):"))
    display(fmt(labelled(change, ["definition", "jaar_from", "jaar_to", "change", "ci_low", "ci_high"],
                         language)))
else:
    display(Markdown("Geen gecorrigeerde aantallen: " + "; ".join(sorted(set(corr["status"])))))

# %% [markdown]
# ## Gezien en geschat totaal (capture–recapture)
# Per jaar telt een kind mee in een bron als die bron het kind in dát jaar ziet (zonder
# terugkijkperiode). Geschat per stratum (kinderen die op een dag van het jaar jonger dan 18 zijn,
# en jongeren die het hele jaar 18 of ouder zijn, omdat intensieve kindzorg na de 18e verjaardag
# niet bestaat; palliatieve zorgactiviteiten bestaan pas sinds 2023) en opgeteld. Het interval van
# het totaal is het profielaannemelijkheidsinterval van de som; de opgetelde grenzen per stratum
# (ruimer) staan ernaast. Laat de tabel van een stratum geen model toe, dan valt de schatting terug op
# een eenvoudiger model of op de samengevoegde tabel, en de kolom status zegt dat.

# %%
cr = T.get("capture_recapture", pd.DataFrame())
if not cr.empty:
    display(fmt(labelled(cr, ["jaar", "n_observed", "n_unseen", "n_estimated", "ci_low", "ci_high",
                              "ci_low_summed", "ci_high_summed", "status"], language)))
    per = T["capture_recapture_strata"]
    display(fmt(labelled(per, ["jaar", "stratum", "n_observed", "n_estimated", "ci_low", "ci_high",
                               "status", "sources"], language)))
    llc = by_year[by_year["measure"] == "llc"]
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.fill_between(cr["jaar"], cr["ci_low"], cr["ci_high"], alpha=0.25, label=f"geschat totaal ({conf}-BI)")
    ax.plot(cr["jaar"], cr["n_estimated"], marker="o", label="geschat totaal")
    ax.plot(cr["jaar"], cr["n_observed"], marker="s", label="gezien in het jaar")
    ax.plot(llc["jaar"], llc["n_cases"], marker="^",
            label=f"gezien incl. terugkijkperiode ({result.metadata['lookback']} jaar)")
    need = corr[corr["definition"] == result.metadata["need_definition"]]
    ax.plot(need["jaar"], need["n_estimated"], marker="v", label="behoefte aan palliatieve zorg (gecorrigeerd)")
    ax.set_xlabel("jaar")
    ax.set_ylabel("aantal kinderen")
    ax.set_title("Gezien versus geschat aantal kinderen met een LBA")
    ax.legend(fontsize=8)
    plt.show()

# %% [markdown]
# ## Naar leeftijdsgroep

# %%
age = T["prevalence_by_age_group"]
display(fmt(labelled(age[age["jaar"] == last], ["measure", "age_group", "n_cases", "population",
                                                   "rate_per_10000", "ci_low", "ci_high"], language)))
plot = age[age["jaar"] == last].assign(maat=lambda d: d["measure"].map(MEASURE_NL))
g = sns.catplot(data=plot, x="age_group", y="rate_per_10000", hue="maat", kind="bar", height=4, aspect=1.8)
g.set_axis_labels("leeftijdsgroep", "per 10.000")
g.figure.suptitle(f"Prevalentie naar leeftijd, {last}", y=1.02)
plt.show()

# %% [markdown]
# ## Naar diagnosegroep (Fraser/Hain)
# Een kind telt mee in elke groep waarvan het een LBA-code heeft in de terugkijkperiode; kinderen
# die alleen via een andere bron zijn gevonden staan onder "geen LBA-code".

# %%
dg = T["prevalence_by_diagnostic_group"]
dg_last = dg[dg["jaar"] == last].sort_values(["measure", "n_cases"], ascending=[True, False])
display(fmt(labelled(dg_last, ["measure", "diagnostic_group", "n_cases", "rate_per_10000",
                                 "ci_low", "ci_high"], language)))
plot = dg_last.assign(maat=lambda d: d["measure"].map(MEASURE_NL),
                      groep=lambda d: d["diagnostic_group"].map(DIAGNOSTIC_GROUP_NL))
g = sns.catplot(data=plot, y="groep", x="n_cases", hue="maat", kind="bar", height=5, aspect=1.6)
g.set_axis_labels("aantal kinderen", "")
g.figure.suptitle(f"Naar diagnosegroep, {last}", y=1.02)
plt.show()

# %% [markdown]
# Gevoeligheid van de indeling: taaislijmziekte (E84) valt volgens het ICD-10-hoofdstuk onder
# metabool; orgaansysteem-indelingen plaatsen haar onder luchtwegen.

# %%
var = T["prevalence_by_diagnostic_group_variants"]
var_last = var[(var["jaar"] == last) & (var["measure"] == "llc")
               & var["diagnostic_group"].isin(["metabolic", "respiratory"])]
base = dg[(dg["jaar"] == last) & (dg["measure"] == "llc")
          & dg["diagnostic_group"].isin(["metabolic", "respiratory"])].assign(grouping="hoofdstukregel")
display(fmt(labelled(pd.concat([base, var_last]), ["grouping", "diagnostic_group", "n_cases",
                                                   "rate_per_10000"], language)))

# %% [markdown]
# ## Andere definitie: complexe chronische aandoeningen (Feudtner, CCC v2)
# Kinderen met een diagnosecode uit Feudtners lijst van complexe chronische aandoeningen (de
# WHO-ICD-10-versie van ECHILD, alleen diagnosecodes), geteld zoals de LBA-codes in het ziekenhuis. De
# overlap laat zien hoeveel kinderen onder beide definities vallen. (Op synthetische data zegt dat
# weinig: de generator plant geen CCC-aandoeningen buiten de LBA-codes.)

# %%
display(fmt(labelled(T["prevalence_ccc"], ["jaar", "measure", "n_cases", "population",
                                           "rate_per_10000", "ci_low", "ci_high"], language)))
display(fmt(labelled(T["llc_ccc_overlap"], ["jaar", "llc_definition", "n_llc", "n_ccc", "n_both",
                                            "n_llc_only", "n_ccc_only"], language)))

# %% [markdown]
# ## Regionaal (NIK-regio's en provincies)

# %%
nik = T["prevalence_by_nik_region"]
display(fmt(labelled(nik[nik["jaar"] == last], ["measure", "nik_region", "n_cases", "population",
                                                   "rate_per_10000", "ci_low", "ci_high"], language)))
prov = T["prevalence_by_province"]
display(fmt(labelled(prov[(prov["jaar"] == last) & (prov["measure"] == "llc")],
                       ["provincie_code", "n_cases", "population", "rate_per_10000", "ci_low", "ci_high"],
                       language)))

# %% [markdown]
# ## Gestandaardiseerd naar leeftijd en geslacht (Europese standaardbevolking 2013) en trend

# %%
std = T["prevalence_standardised"]
if not std.empty:
    display(fmt(labelled(std, ["jaar", "measure", "n_cases", "crude_rate", "std_rate", "ci_low",
                                 "ci_high"], language)))
display(Markdown("Trend: jaarlijkse procentuele verandering over de jaren met een volledige "
                 "terugkijkperiode. De reeksen *_consistent* tellen zonder de palliatieve "
                 "zorgactiviteiten, die pas sinds 2023 gedeclareerd kunnen worden."))
trend = T["prevalence_trend"]
if not trend.empty:
    display(fmt(labelled(trend, ["measure", "years", "model", "apc", "apc_ci_low", "apc_ci_high"],
                           language)))

# %% [markdown]
# ## Overlijden onder kinderen met een LBA

# %%
deaths = T["deaths_among_cases"]
piv = deaths[deaths["measure"] == "llc"].pivot_table(index="jaar", columns="age_group", values="n_deaths",
                                                    aggfunc="sum", fill_value=0)
display(fmt(piv[[c for c in P.AGE_GROUPS if c in piv.columns]].reset_index()))

# %% [markdown]
# ## Gevoeligheid van de definitie "behoefte aan palliatieve zorg"

# %%
sens = T["palliative_need_sensitivity"]
display(fmt(labelled(sens[sens["jaar"] == last], ["variant", "n_cases", "share_of_llc"], language)))

# %% [markdown]
# ## Terugkijkperiode en selectiestappen

# %%
lb = T["prevalence_lookback"]
display(fmt(lb[lb["measure"] == "llc"].pivot_table(index="jaar", columns="lookback", values="n_cases")
            .reset_index()))
display(fmt(labelled(T["attrition"], ["definition", "description", "unit", "n_rows", "n_persons"],
                       language)))
if result.warnings:
    display(Markdown("**Technische opmerkingen (Engels):**\n\n" + "\n".join(f"- {w}" for w in result.warnings[:20])))
