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
# verzekerd is; als optie de peildatum 1 juli). Intervallen van tellingen zijn exact (Poisson). Het
# aantal kinderen dat door geen enkele bron wordt gezien, is geschat met capture–recapture
# (log-lineaire modellen); een stratum waarvoor de tabel geen schatting toelaat, wordt zo gemeld en
# nooit als "niemand gemist".

# %% [markdown] tags=["lang-en"]
# # Prevalence: children with a life-limiting condition and children needing palliative care
#
# Two numbers that are often confused, each with its own versioned definition
# (see `docs/prevalence.md`):
#
# * **life-limiting condition (LLC)** — children alive and insured in the year, with an LLC code
#   or another case-finding source in the year or the years before (lookback);
# * **need for palliative care** — children with an LLC who in the year show signs of an
#   unstable, deteriorating or dying phase (definition v2: ICU days, a run of emergency visits or
#   admission days, death). The number of children flagged is a raw count: some flagged children
#   are stable and many children in need are not flagged. The number we quote is therefore
#   **corrected for misclassification** (flagged × positive predictive value / sensitivity), with
#   an interval that carries the uncertainty of both.
#
# Numerator and denominator have the same basis (default: everyone alive and insured on some day
# of the year; optionally the reference date 1 July). Intervals of counts are exact (Poisson). The
# number of children seen by no source at all is estimated by capture–recapture (log-linear
# models); a stratum whose table allows no estimate is reported as such, and never as "nobody
# missed".

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
threshold = 10  # kleinste aantal personen dat getoond mag worden
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
from kpz_analytics.reporting import figures, labels
from kpz_analytics.reporting import prevalence as R
from kpz_analytics.reporting.display import dutch
from kpz_analytics.reporting.header import provenance_block
from kpz_analytics.reporting.labels import age_group_label, labelled
from kpz_analytics.reporting.publish import protect_prevalence, shown
from kpz_analytics.warehouse.connect import connect, extract_meta

figures.setup(language)
pd.set_option("display.max_rows", 200)
params = CaseParams(years=tuple(years) if years else None, age_min=age_min, age_max=age_max,
                    lookback=lookback, sources=tuple(sources) if sources else SOURCES, basis=basis)
con = connect(warehouse)
meta = extract_meta(con)
result = P.compute_prevalence(con, params, alpha=alpha, need_accuracy=need_accuracy or None, progress=False)
con.close()
if results_dir:
    P.write_results(result, Path(results_dir) / "prevalence")
published = protect_prevalence(result, threshold=threshold)
T = published.tables  # what may be shown: hidden values missing, <column>_status beside them
h = published.headline
last = h["jaar"]
conf = f"{100 * (1 - alpha):g}%"
MEASURE = labels.in_language(labels.MEASURE, language)
DIAGNOSTIC_GROUP = labels.in_language(labels.DIAGNOSTIC_GROUP, language)
NEED_DEFINITION = labels.in_language(labels.NEED_DEFINITION, language)
YEAR = R.text("year", language)


def fmt(df, precision=1):
    """A published table as the reader sees it: markers in hidden cells, the report's number format."""
    return dutch(df, precision=precision, language=language)


def view(df, columns):
    """Markers for hidden values, then names and values in the report's language."""
    return labelled(shown(df), columns, language, age_min=age_min, age_max=age_max)


display(provenance_block(meta, {"years": years, "age_min": age_min, "age_max": age_max, "lookback": lookback,
                                "sources": sources, "basis": basis, "alpha": alpha,
                                "need_accuracy": need_accuracy or "need_accuracy_synthetic_v1",
                                "threshold": threshold},
                         result.metadata["definitions"]
                         | {labels.label(labels.PREVALENCE_COLUMNS, "standard", language): "ESP 2013"},
                         language, threshold=threshold))


# %% [markdown] tags=["lang-nl"]
# ## Kernboodschap

# %% [markdown] tags=["lang-en"]
# ## Key message

# %% tags=["summary"]
display(Markdown(R.headline(h, conf, age_min, age_max, language)))

# %%
display(Markdown(R.three_counts(h, result.metadata["lookback"], result.metadata["sources"], basis, age_min, age_max,
                                language)))

# %% [markdown] tags=["lang-nl"]
# ## Beide maten per jaar

# %% [markdown] tags=["lang-en"]
# ## Both measures per year

# %%
by_year = T["prevalence_by_year"]
display(fmt(view(by_year, ["jaar", "measure", "n_cases", "population", "rate_per_10000", "ci_low", "ci_high"])))

# %%
fig, ax = plt.subplots(figsize=(9, 4))
for measure, df in by_year.groupby("measure"):
    ax.errorbar(df["jaar"], df["rate_per_10000"],
                yerr=[df["rate_per_10000"] - df["ci_low"], df["ci_high"] - df["rate_per_10000"]],
                marker="o", capsize=3, label=MEASURE[measure])
incomplete = by_year.loc[~by_year["lookback_complete"].astype(bool), "jaar"]
if len(incomplete):
    ax.axvspan(incomplete.min() - 0.5, incomplete.max() + 0.5, color="grey", alpha=0.15,
               label=R.text("lookback_incomplete", language))
if by_year["jaar"].min() < 2023 <= by_year["jaar"].max():
    figures.mark_series_break(ax, 2023, R.text("series_break", language))
ax.set_xlabel(YEAR)
ax.set_ylabel(R.text("rate_axis", language, age_min=age_min, age_max=age_max))
ax.set_title(R.text("by_year_title", language, conf=conf))
figures.year_axis(ax)
ax.yaxis.set_major_formatter(figures.number_axis(language))
ax.set_ylim(bottom=0)
figures.legend_outside(ax)
plt.show()

# %% [markdown] tags=["lang-en"]
# ## Need for palliative care: flagged and corrected
# The corrected number is flagged × PPV / sensitivity (sensitivity against *all* children in
# need, including those no source sees). PPV and sensitivity come from a versioned file that
# records where they come from; the interval carries their uncertainty and that of the count.
# From 2023 a second estimate stands beside it, with the palliative care activities as an extra
# source: both estimate the same number. Only the yearly totals are corrected; the tables by age,
# region and diagnostic group show children flagged (raw).

# %% [markdown] tags=["lang-nl"]
# ## Behoefte aan palliatieve zorg: gemarkeerd en gecorrigeerd
# Het gecorrigeerde aantal is gemarkeerd × PPV / sensitiviteit (sensitiviteit ten opzichte van
# álle kinderen met behoefte, ook wie geen bron ziet). PPV en sensitiviteit komen uit een
# geversioneerd bestand met hun herkomst; het interval neemt hun onzekerheid en die van de telling
# mee. Vanaf 2023 staat er een tweede schatting naast, met de palliatieve zorgactiviteiten als extra
# bron: beide schatten hetzelfde aantal. Alleen de jaartotalen worden gecorrigeerd; de tabellen
# naar leeftijd, regio en diagnosegroep tonen gemarkeerde kinderen (ruw).

# %%
corr = T.get("palliative_need_corrected", pd.DataFrame())
if not corr.empty:
    display(fmt(view(corr, ["jaar", "definition", "flagged", "ppv", "sensitivity", "n_estimated", "ci_low",
                            "ci_high", "rate_per_10000", "status"]), precision=2))
    ok = corr[corr["n_estimated"].notna() & corr["status"].str.startswith("corrected")]
    if not ok.empty:
        fig, ax = plt.subplots(figsize=(9, 4))
        for d, g in ok.groupby("definition"):
            est = g["n_estimated"].astype(float)
            ax.errorbar(g["jaar"], est, yerr=[est - g["ci_low"].astype(float), g["ci_high"].astype(float) - est],
                        marker="o", capsize=3,
                        label=R.text("corrected_label", language, definition=NEED_DEFINITION.get(d, d)))
        raw = corr[corr["definition"] == result.metadata["need_definition"]]
        ax.plot(raw["jaar"], raw["flagged"].astype(float), marker="s", linestyle=":",
                label=R.text("flagged_raw", language))
        if corr["jaar"].min() < 2023 <= corr["jaar"].max():
            figures.mark_series_break(ax, 2023, R.text("series_break", language))
        ax.set_xlabel(YEAR)
        ax.set_ylabel(R.text("children", language))
        ax.set_title(R.text("need_title", language, conf=conf))
        figures.year_axis(ax)
        ax.yaxis.set_major_formatter(figures.number_axis(language))
        ax.set_ylim(bottom=0)
        figures.legend_outside(ax)
        plt.show()
    change = T.get("palliative_need_change", pd.DataFrame())
    if not change.empty:
        display(Markdown(R.text("change", language, conf=conf)))
        display(fmt(view(change, ["definition", "jaar_from", "jaar_to", "change", "ci_low", "ci_high"]),
                    precision=0))
    else:
        display(Markdown(R.text("no_corrected", language)
                         + "; ".join(sorted({labels.cr_status(s_, language) for s_ in corr["status"].astype(str)}))))

# %% [markdown] tags=["lang-en"]
# ## Seen and estimated total (capture–recapture)
# Per year a child counts in a source if that source sees the child in *that* year (without
# lookback). Estimated per stratum (children under 18 on some day of the year, and young people
# 18 or older all year, because intensive child care does not exist after the 18th birthday;
# palliative care activities exist only since 2023) and summed. The interval of the total is the
# profile-likelihood interval of the sum; the summed limits per stratum (wider) are shown beside it.
# If a stratum's table allows no model, the estimate falls back to a simpler model or to the
# pooled table, and the status column says so.

# %% [markdown] tags=["lang-nl"]
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
    display(fmt(view(cr, ["jaar", "n_observed", "n_unseen", "n_estimated", "ci_low", "ci_high", "ci_low_summed",
                          "ci_high_summed", "status"]), precision=0))
    per = T.get("capture_recapture_strata", pd.DataFrame())
    if not per.empty:
        display(fmt(view(per, ["jaar", "stratum", "n_observed", "n_estimated", "ci_low", "ci_high", "status",
                               "sources"]), precision=0))
    llc = by_year[by_year["measure"] == "llc"]
    fig, ax = plt.subplots(figsize=(9, 4))
    ax.fill_between(cr["jaar"], cr["ci_low"].astype(float), cr["ci_high"].astype(float), alpha=0.25,
                    label=R.text("cr_band", language, conf=conf))
    ax.plot(cr["jaar"], cr["n_estimated"], marker="o", label=R.text("cr_estimated", language))
    ax.plot(cr["jaar"], cr["n_observed"].astype(float), marker="s", label=R.text("cr_seen", language))
    ax.plot(llc["jaar"], llc["n_cases"].astype(float), marker="^",
            label=R.text("cr_lookback", language, years=R.years(result.metadata["lookback"], language)))
    need = corr[corr["definition"] == result.metadata["need_definition"]] if not corr.empty else corr
    if not need.empty:
        ax.plot(need["jaar"], need["n_estimated"].astype(float), marker="v",
                label=R.text("cr_need", language))
    if cr["jaar"].min() < 2023 <= cr["jaar"].max():
        figures.mark_series_break(ax, 2023, R.text("new_source", language))
    ax.set_xlabel(YEAR)
    ax.set_ylabel(R.text("children", language))
    ax.set_title(R.text("cr_title", language))
    figures.year_axis(ax)
    ax.yaxis.set_major_formatter(figures.number_axis(language))
    ax.set_ylim(bottom=0)
    figures.legend_outside(ax)
    plt.show()

# %% [markdown] tags=["lang-nl"]
# ## Naar leeftijdsgroep

# %% [markdown] tags=["lang-en"]
# ## By age group

# %%
age = T["prevalence_by_age_group"]
age_last = age[age["jaar"] == last]
display(fmt(view(age_last, ["measure", "age_group", "n_cases", "population", "rate_per_10000", "ci_low", "ci_high"])))
groups = [g for g in P.AGE_GROUPS if g in set(age_last["age_group"])]
fig, ax = plt.subplots(figsize=(9, 4))
width = 0.38
for i, (measure, df) in enumerate(age_last.groupby("measure", sort=False)):
    df = df.set_index("age_group").reindex(groups)
    x = [j + (i - 0.5) * width for j in range(len(groups))]
    rate = df["rate_per_10000"].astype(float)
    ax.bar(x, rate, width=width, label=MEASURE[measure], alpha=0.85)
    ax.errorbar(x, rate, yerr=[rate - df["ci_low"].astype(float), df["ci_high"].astype(float) - rate],
                fmt="none", ecolor="black", capsize=3, linewidth=1)
ax.set_xticks(range(len(groups)), [age_group_label(g, age_min, age_max) for g in groups])
ax.set_xlabel(R.text("age_x", language))
ax.set_ylabel(R.text("age_y", language))
ax.set_title(R.text("age_title", language, year=last, conf=conf))
ax.yaxis.set_major_formatter(figures.number_axis(language))
figures.legend_outside(ax)
plt.show()

# %% [markdown] tags=["lang-en"]
# ## By diagnostic group (Fraser/Hain)
# A child counts in every group in which it has an LLC code within the lookback; children
# found only through another source are under "no LLC code (other source)".

# %% [markdown] tags=["lang-nl"]
# ## Naar diagnosegroep (Fraser/Hain)
# Een kind telt mee in elke groep waarvan het een LBA-code heeft in de terugkijkperiode; kinderen
# die alleen via een andere bron zijn gevonden staan onder "geen LBA-code (andere bron)".

# %%
dg = T["prevalence_by_diagnostic_group"]
dg_last = dg[dg["jaar"] == last].sort_values(["measure", "n_cases"], ascending=[True, False])
display(fmt(view(dg_last, ["measure", "diagnostic_group", "n_cases", "rate_per_10000", "ci_low", "ci_high"])))
plot = dg_last.assign(maat=lambda d: d["measure"].map(MEASURE),
                      groep=lambda d: d["diagnostic_group"].map(DIAGNOSTIC_GROUP),
                      aantal=lambda d: d["n_cases"].astype(float))
fig, ax = plt.subplots(figsize=(9, 5))
sns.barplot(data=plot, y="groep", x="aantal", hue="maat", ax=ax)
ax.set_xlabel(R.text("dg_x", language))
ax.set_ylabel("")
ax.set_title(R.text("dg_title", language, year=last))
ax.xaxis.set_major_formatter(figures.number_axis(language))
figures.legend_outside(ax)
plt.show()

# %% [markdown] tags=["lang-en"]
# Sensitivity of the grouping: cystic fibrosis (E84) belongs to metabolic by its ICD-10 chapter;
# organ-system groupings place it under respiratory. The table gives per year how many children
# then change group; the numbers for metabolic and respiratory in that grouping are those of the
# table above minus or plus these children (only the moves are published, because two full tables
# side by side would give away a small difference). A group not in the table does not change.

# %% [markdown] tags=["lang-nl"]
# Gevoeligheid van de indeling: taaislijmziekte (E84) valt volgens het ICD-10-hoofdstuk onder
# metabool; orgaansysteem-indelingen plaatsen haar onder luchtwegen. De tabel geeft per jaar hoeveel
# kinderen dan van groep wisselen; de aantallen metabool en luchtwegen in die indeling zijn die van de
# tabel hierboven min of plus deze kinderen (alleen de verschuivingen worden gepubliceerd, omdat twee
# volledige tabellen naast elkaar een klein verschil zouden prijsgeven). Een groep die niet in de
# tabel staat, verandert niet.

# %%
e84 = T.get("prevalence_e84_variant", pd.DataFrame())
if not e84.empty:
    e84_last = e84[e84["jaar"] == last]
    display(fmt(view(e84_last, ["grouping", "measure", "diagnostic_group", "direction", "n_moved"])))

# %% [markdown] tags=["lang-en"]
# ## Another definition: complex chronic conditions (Feudtner, CCC v2)
# Children with a diagnosis code from Feudtner's list of complex chronic conditions (the WHO
# ICD-10 version of ECHILD, diagnosis codes only), counted like the LLC codes in hospital. The
# overlap shows how many children fall under both definitions, against all children with an LLC
# and against the children with an LLC code in hospital (the comparison of the two code lists).
# On synthetic data this says little: the generator plants no CCC conditions outside the LLC codes.

# %% [markdown] tags=["lang-nl"]
# ## Andere definitie: complexe chronische aandoeningen (Feudtner, CCC v2)
# Kinderen met een diagnosecode uit Feudtners lijst van complexe chronische aandoeningen (de
# WHO-ICD-10-versie van ECHILD, alleen diagnosecodes), geteld zoals de LBA-codes in het ziekenhuis. De
# overlap laat zien hoeveel kinderen onder beide definities vallen, tegenover alle LBA-kinderen en
# tegenover de kinderen met een LBA-code in het ziekenhuis (de vergelijking van de twee codelijsten).
# Op synthetische data zegt dat weinig: de generator plant geen CCC-aandoeningen buiten de LBA-codes.

# %%
ccc = T.get("prevalence_ccc", pd.DataFrame())
if not ccc.empty:
    display(fmt(view(ccc, ["jaar", "measure", "n_cases", "population", "rate_per_10000", "ci_low", "ci_high"])))
for name in ("llc_ccc_overlap", "llc_ccc_overlap_hospital_code"):
    ov = T.get(name, pd.DataFrame())
    if ov.empty:
        continue
    ov = shown(ov).assign(maat=lambda d: d["measure"].map(lambda m: MEASURE.get(m, m)))
    piv = ov.pivot(index="jaar", columns="maat", values="n_cases")
    order = [MEASURE.get(m, m) for m in ov["measure"].drop_duplicates()]
    display(fmt(piv[order].rename_axis(index=YEAR, columns=None).reset_index()))
if h.get("tables_left_out"):
    display(Markdown(R.tables_left_out(h["tables_left_out"], language)))

# %% [markdown] tags=["lang-nl"]
# ## Regionaal (NIK-regio's en provincies)

# %% [markdown] tags=["lang-en"]
# ## Regional (NIK regions and provinces)

# %%
nik = T["prevalence_by_nik_region"]
display(fmt(view(nik[nik["jaar"] == last], ["measure", "nik_region", "n_cases", "population", "rate_per_10000",
                                             "ci_low", "ci_high"])))
prov = T["prevalence_by_province"]
display(fmt(view(prov[(prov["jaar"] == last) & (prov["measure"] == "llc")],
                 ["provincie_code", "n_cases", "population", "rate_per_10000", "ci_low", "ci_high"])))

# %% [markdown] tags=["lang-nl"]
# ## Gestandaardiseerd naar leeftijd en geslacht (Europese standaardbevolking 2013) en trend

# %% [markdown] tags=["lang-en"]
# ## Standardised for age and sex (European Standard Population 2013) and trend

# %%
std = T.get("prevalence_standardised", pd.DataFrame())
if not std.empty:
    display(fmt(view(std, ["jaar", "measure", "n_cases", "crude_rate", "std_rate", "ci_low", "ci_high"])))
display(Markdown(R.text("trend", language)))
trend = T.get("prevalence_trend", pd.DataFrame())
if not trend.empty:
    display(fmt(view(trend, ["measure", "years", "model", "apc", "apc_ci_low", "apc_ci_high"])))

# %% [markdown] tags=["lang-nl"]
# ## Overlijden onder kinderen met een LBA
# Aantal overleden kinderen met een LBA per jaar en leeftijdsgroep.

# %% [markdown] tags=["lang-en"]
# ## Deaths among children with an LLC
# Number of children with an LLC who died, per year and age group.

# %%
deaths = shown(T["deaths_among_cases"])
deaths = deaths[deaths["measure"] == "llc"].assign(
    age_group=lambda d: d["age_group"].map(lambda g: age_group_label(g, age_min, age_max)))
piv = deaths.pivot(index="jaar", columns="age_group", values="n_deaths")
order = [age_group_label(g, age_min, age_max) for g in P.AGE_GROUPS]
display(fmt(piv[[c for c in order if c in piv.columns]].fillna(0).rename_axis(index=YEAR, columns=None)
            .reset_index()))

# %% [markdown] tags=["lang-nl"]
# ## Gevoeligheid van de definitie "behoefte aan palliatieve zorg"

# %% [markdown] tags=["lang-en"]
# ## Sensitivity of the definition "need for palliative care"

# %%
sens = T.get("palliative_need_sensitivity", pd.DataFrame())
if not sens.empty:
    display(fmt(view(sens[sens["jaar"] == last], ["variant", "n_cases", "share_of_llc"]), precision=2))

# %% [markdown] tags=["lang-nl"]
# ## Terugkijkperiode en selectiestappen
# Aantal kinderen met een LBA bij andere terugkijkperiodes (jaren); de gekozen periode staat in de tabel per jaar.

# %% [markdown] tags=["lang-en"]
# ## Lookback and selection steps
# Number of children with an LLC with other lookback periods (years); the chosen period is the one
# in the table per year.

# %%
lb = shown(T["prevalence_lookback"])
lb = lb[lb["measure"] == "llc"]
default = shown(by_year)[lambda d: d["measure"] == "llc"].assign(lookback=result.metadata["lookback"])
lbp = pd.concat([lb, default], ignore_index=True).pivot(index="jaar", columns="lookback", values="n_cases")
display(fmt(lbp[sorted(lbp.columns)].rename(columns=lambda c: R.years(c, language))
            .rename_axis(index=YEAR, columns=None).reset_index()))
display(fmt(view(T["attrition"], ["definition", "description", "unit", "n_rows", "n_persons"])))
if result.warnings:
    display(Markdown(R.text("warnings", language, n=len(result.warnings))))
