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
# verzekerd is; als optie de peildatum 1 juli). Intervallen van tellingen zijn exact (Poisson). Het
# aantal kinderen dat door geen enkele bron wordt gezien, is geschat met capture–recapture
# (log-lineaire modellen); een stratum waarvoor de tabel geen schatting toelaat, wordt zo gemeld en
# nooit als "niemand gemist".

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
from kpz_analytics.reporting import figures
from kpz_analytics.reporting.display import dutch
from kpz_analytics.reporting.header import provenance_block
from kpz_analytics.reporting.labels import BASIS as BASIS_NL
from kpz_analytics.reporting.labels import DIAGNOSTIC_GROUP as DIAGNOSTIC_GROUP_NL
from kpz_analytics.reporting.labels import MEASURE as MEASURE_NL
from kpz_analytics.reporting.labels import NEED_DEFINITION as NEED_DEFINITION_NL
from kpz_analytics.reporting.labels import SOURCE as SOURCE_NL
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
num = lambda x, d=0: figures.number(x, d, language)  # noqa: E731


def fmt(df, precision=1):
    """A published table as the reader sees it: markers in hidden cells, Dutch number format."""
    return dutch(df, precision=precision, language=language)


def view(df, columns):
    """Markers for hidden values, then Dutch names and values."""
    return labelled(shown(df), columns, language, age_min=age_min, age_max=age_max)


display(provenance_block(meta, {"years": years, "age_min": age_min, "age_max": age_max, "lookback": lookback,
                                "sources": sources, "basis": basis, "alpha": alpha,
                                "need_accuracy": need_accuracy or "need_accuracy_synthetic_v1",
                                "threshold": threshold},
                         result.metadata["definitions"] | {"standaardbevolking": "ESP 2013"},
                         language, threshold=threshold))


# %% [markdown]
# ## Kernboodschap

# %% tags=["summary"]
if h["need_quoted"] == "corrected" and pd.notna(h["n_need"]):
    need_text = (f"naar schatting **{num(h['n_need'])}** kinderen ({conf}-BI {num(h['need_ci_low'])}–"
                 f"{num(h['need_ci_high'])}) hadden dat jaar behoefte aan palliatieve zorg "
                 f"({num(h['n_need_flagged'])} gemarkeerd in de declaraties, gecorrigeerd voor misclassificatie)")
elif pd.notna(h["n_need"]):
    need_text = (f"**{num(h['n_need'])}** kinderen ({conf}-BI {num(h['need_ci_low'])}–{num(h['need_ci_high'])}) "
                 "waren gemarkeerd als kind met behoefte aan palliatieve zorg (ruwe telling, niet gecorrigeerd "
                 "voor misclassificatie: er zijn geen geldige PPV en sensitiviteit voor dit extract)")
else:
    need_text = "het aantal kinderen met behoefte aan palliatieve zorg is onderdrukt (te klein om te tonen)"
if pd.notna(h["n_estimated"]):
    display(Markdown(
        f"In {last} leefden naar schatting **{num(h['n_estimated'])}** kinderen van {age_min}–{age_max} jaar met een "
        f"levensbeperkende aandoening ({conf}-BI {num(h['ci_low'])}–{num(h['ci_high'])}); {need_text}."))
else:
    display(Markdown(f"In {last} waren **{num(h['n_llc_cases'])}** kinderen van {age_min}–{age_max} jaar met een "
                     "levensbeperkende aandoening zichtbaar in de declaraties (een schatting inclusief de kinderen "
                     f"die geen bron ziet, was niet te maken); {need_text}."))

# %%
display(Markdown(
    f"Drie aantallen kinderen met een LBA in {last}, elk met een eigen betekenis:\n\n"
    f"* **{num(h['n_estimated'])}** — *geschat totaal*: de kinderen die een bron in {last} zelf zag, plus de "
    "kinderen die geen enkele bron zag, geschat met capture–recapture (de kernboodschap);\n"
    f"* **{num(h['n_observed'])}** — *gezien in {last}*: kinderen die in {last} zelf door minstens één bron "
    "zijn gezien (de basis van de schatting);\n"
    f"* **{num(h['n_llc_cases'])}** — *gezien met terugkijkperiode*: kinderen die in {last} of de "
    f"{result.metadata['lookback']} jaar ervoor door een bron zijn gezien en in {last} leefden en verzekerd waren "
    "(de tabellen hieronder; zo tellen ook kinderen mee die in het jaar zelf geen zorg declareerden).\n\n"
    f"Leeftijd {age_min}–{age_max} jaar op 1 juli; bronnen: "
    f"{', '.join(SOURCE_NL.get(s_, s_) for s_ in result.metadata['sources'])}; basis: {BASIS_NL[basis]}. "
    "Het getal voor behoefte aan palliatieve zorg in de kernboodschap is "
    + ("het aantal gecorrigeerd voor misclassificatie (hieronder), niet het aantal gemarkeerde kinderen."
       if h["need_quoted"] == "corrected" else "het aantal gemarkeerde kinderen (ruwe telling).")))

# %% [markdown]
# ## Beide maten per jaar

# %%
by_year = T["prevalence_by_year"]
display(fmt(view(by_year, ["jaar", "measure", "n_cases", "population", "rate_per_10000", "ci_low", "ci_high"])))

# %%
fig, ax = plt.subplots(figsize=(9, 4))
for measure, df in by_year.groupby("measure"):
    ax.errorbar(df["jaar"], df["rate_per_10000"],
                yerr=[df["rate_per_10000"] - df["ci_low"], df["ci_high"] - df["rate_per_10000"]],
                marker="o", capsize=3, label=MEASURE_NL[measure])
incomplete = by_year.loc[~by_year["lookback_complete"].astype(bool), "jaar"]
if len(incomplete):
    ax.axvspan(incomplete.min() - 0.5, incomplete.max() + 0.5, color="grey", alpha=0.15,
               label="terugkijkperiode onvolledig")
if by_year["jaar"].min() < 2023 <= by_year["jaar"].max():
    figures.mark_series_break(ax, 2023, "vanaf 2023: palliatieve\nzorgactiviteiten declarabel")
ax.set_xlabel("jaar")
ax.set_ylabel(f"per 10.000 kinderen ({age_min}–{age_max} jaar)")
ax.set_title(f"Prevalentie per jaar met {conf}-betrouwbaarheidsinterval (behoefte: gemarkeerd, ruw)")
figures.year_axis(ax)
ax.yaxis.set_major_formatter(figures.number_axis(language))
ax.set_ylim(bottom=0)
figures.legend_outside(ax)
plt.show()

# %% [markdown]
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
                        marker="o", capsize=3, label=f"gecorrigeerd: {NEED_DEFINITION_NL.get(d, d)}")
        raw = corr[corr["definition"] == result.metadata["need_definition"]]
        ax.plot(raw["jaar"], raw["flagged"].astype(float), marker="s", linestyle=":", label="gemarkeerd (ruw)")
        if corr["jaar"].min() < 2023 <= corr["jaar"].max():
            figures.mark_series_break(ax, 2023, "vanaf 2023: palliatieve\nzorgactiviteiten declarabel")
        ax.set_xlabel("jaar")
        ax.set_ylabel("aantal kinderen")
        ax.set_title(f"Behoefte aan palliatieve zorg met {conf}-interval")
        figures.year_axis(ax)
        ax.yaxis.set_major_formatter(figures.number_axis(language))
        ax.set_ylim(bottom=0)
        figures.legend_outside(ax)
        plt.show()
    change = T.get("palliative_need_change", pd.DataFrame())
    if not change.empty:
        display(Markdown(f"Verandering ten opzichte van het jaar ervoor (gecorrigeerd aantal, {conf}-interval; "
                         "verborgen waar een van beide jaren verborgen is):"))
        display(fmt(view(change, ["definition", "jaar_from", "jaar_to", "change", "ci_low", "ci_high"]),
                    precision=0))
    else:
        display(Markdown("Geen gecorrigeerde aantallen: " + "; ".join(sorted(set(corr["status"].astype(str))))))

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
    display(fmt(view(cr, ["jaar", "n_observed", "n_unseen", "n_estimated", "ci_low", "ci_high", "ci_low_summed",
                          "ci_high_summed", "status"]), precision=0))
    per = T.get("capture_recapture_strata", pd.DataFrame())
    if not per.empty:
        display(fmt(view(per, ["jaar", "stratum", "n_observed", "n_estimated", "ci_low", "ci_high", "status",
                               "sources"]), precision=0))
    llc = by_year[by_year["measure"] == "llc"]
    fig, ax = plt.subplots(figsize=(9, 4))
    ax.fill_between(cr["jaar"], cr["ci_low"].astype(float), cr["ci_high"].astype(float), alpha=0.25,
                    label=f"geschat totaal ({conf}-BI)")
    ax.plot(cr["jaar"], cr["n_estimated"], marker="o", label="geschat totaal")
    ax.plot(cr["jaar"], cr["n_observed"].astype(float), marker="s", label="gezien in het jaar")
    ax.plot(llc["jaar"], llc["n_cases"].astype(float), marker="^",
            label=f"gezien incl. terugkijkperiode ({result.metadata['lookback']} jaar)")
    need = corr[corr["definition"] == result.metadata["need_definition"]] if not corr.empty else corr
    if not need.empty:
        ax.plot(need["jaar"], need["n_estimated"].astype(float), marker="v",
                label="behoefte aan palliatieve zorg (gecorrigeerd)")
    if cr["jaar"].min() < 2023 <= cr["jaar"].max():
        figures.mark_series_break(ax, 2023, "vanaf 2023: nieuwe bron\n(palliatieve zorgactiviteiten)")
    ax.set_xlabel("jaar")
    ax.set_ylabel("aantal kinderen")
    ax.set_title("Gezien versus geschat aantal kinderen met een LBA")
    figures.year_axis(ax)
    ax.yaxis.set_major_formatter(figures.number_axis(language))
    ax.set_ylim(bottom=0)
    figures.legend_outside(ax)
    plt.show()

# %% [markdown]
# ## Naar leeftijdsgroep

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
    ax.bar(x, rate, width=width, label=MEASURE_NL[measure], alpha=0.85)
    ax.errorbar(x, rate, yerr=[rate - df["ci_low"].astype(float), df["ci_high"].astype(float) - rate],
                fmt="none", ecolor="black", capsize=3, linewidth=1)
ax.set_xticks(range(len(groups)), [age_group_label(g, age_min, age_max) for g in groups])
ax.set_xlabel("leeftijdsgroep (jaren, op 1 juli)")
ax.set_ylabel("per 10.000 kinderen")
ax.set_title(f"Prevalentie naar leeftijd, {last} ({conf}-BI; behoefte ruw; ontbrekend: onderdrukt)")
ax.yaxis.set_major_formatter(figures.number_axis(language))
figures.legend_outside(ax)
plt.show()

# %% [markdown]
# ## Naar diagnosegroep (Fraser/Hain)
# Een kind telt mee in elke groep waarvan het een LBA-code heeft in de terugkijkperiode; kinderen
# die alleen via een andere bron zijn gevonden staan onder "geen LBA-code (andere bron)".

# %%
dg = T["prevalence_by_diagnostic_group"]
dg_last = dg[dg["jaar"] == last].sort_values(["measure", "n_cases"], ascending=[True, False])
display(fmt(view(dg_last, ["measure", "diagnostic_group", "n_cases", "rate_per_10000", "ci_low", "ci_high"])))
plot = dg_last.assign(maat=lambda d: d["measure"].map(MEASURE_NL),
                      groep=lambda d: d["diagnostic_group"].map(DIAGNOSTIC_GROUP_NL),
                      aantal=lambda d: d["n_cases"].astype(float))
fig, ax = plt.subplots(figsize=(9, 5))
sns.barplot(data=plot, y="groep", x="aantal", hue="maat", ax=ax)
ax.set_xlabel("aantal kinderen (ontbrekend: onderdrukt)")
ax.set_ylabel("")
ax.set_title(f"Naar diagnosegroep, {last}")
ax.xaxis.set_major_formatter(figures.number_axis(language))
figures.legend_outside(ax)
plt.show()

# %% [markdown]
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

# %% [markdown]
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
    ov = shown(ov).assign(maat=lambda d: d["measure"].map(lambda m: MEASURE_NL.get(m, m)))
    piv = ov.pivot(index="jaar", columns="maat", values="n_cases")
    order = [MEASURE_NL.get(m, m) for m in ov["measure"].drop_duplicates()]
    display(fmt(piv[order].reset_index()))
if h.get("tables_left_out"):
    display(Markdown("Niet getoond (een cel die elders verborgen is, zou hier zichtbaar zijn): "
                     + ", ".join(h["tables_left_out"]) + "."))

# %% [markdown]
# ## Regionaal (NIK-regio's en provincies)

# %%
nik = T["prevalence_by_nik_region"]
display(fmt(view(nik[nik["jaar"] == last], ["measure", "nik_region", "n_cases", "population", "rate_per_10000",
                                             "ci_low", "ci_high"])))
prov = T["prevalence_by_province"]
display(fmt(view(prov[(prov["jaar"] == last) & (prov["measure"] == "llc")],
                 ["provincie_code", "n_cases", "population", "rate_per_10000", "ci_low", "ci_high"])))

# %% [markdown]
# ## Gestandaardiseerd naar leeftijd en geslacht (Europese standaardbevolking 2013) en trend

# %%
std = T.get("prevalence_standardised", pd.DataFrame())
if not std.empty:
    display(fmt(view(std, ["jaar", "measure", "n_cases", "crude_rate", "std_rate", "ci_low", "ci_high"])))
display(Markdown("Trend: jaarlijkse procentuele verandering over de jaren met een volledige "
                 "terugkijkperiode. De reeksen \"zonder palliatieve zorgactiviteiten\" tellen zonder de "
                 "palliatieve zorgactiviteiten, die pas sinds 2023 gedeclareerd kunnen worden."))
trend = T.get("prevalence_trend", pd.DataFrame())
if not trend.empty:
    display(fmt(view(trend, ["measure", "years", "model", "apc", "apc_ci_low", "apc_ci_high"])))

# %% [markdown]
# ## Overlijden onder kinderen met een LBA
# Aantal overleden kinderen met een LBA per jaar en leeftijdsgroep.

# %%
deaths = shown(T["deaths_among_cases"])
deaths = deaths[deaths["measure"] == "llc"].assign(
    age_group=lambda d: d["age_group"].map(lambda g: age_group_label(g, age_min, age_max)))
piv = deaths.pivot(index="jaar", columns="age_group", values="n_deaths")
order = [age_group_label(g, age_min, age_max) for g in P.AGE_GROUPS]
display(fmt(piv[[c for c in order if c in piv.columns]].fillna(0).reset_index()))

# %% [markdown]
# ## Gevoeligheid van de definitie "behoefte aan palliatieve zorg"

# %%
sens = T.get("palliative_need_sensitivity", pd.DataFrame())
if not sens.empty:
    display(fmt(view(sens[sens["jaar"] == last], ["variant", "n_cases", "share_of_llc"]), precision=2))

# %% [markdown]
# ## Terugkijkperiode en selectiestappen
# Aantal kinderen met een LBA bij andere terugkijkperiodes (jaren); de gekozen periode staat in de tabel per jaar.

# %%
lb = shown(T["prevalence_lookback"])
lb = lb[lb["measure"] == "llc"]
default = shown(by_year)[lambda d: d["measure"] == "llc"].assign(lookback=result.metadata["lookback"])
lbp = pd.concat([lb, default], ignore_index=True).pivot(index="jaar", columns="lookback", values="n_cases")
display(fmt(lbp[sorted(lbp.columns)].rename(columns=lambda c: f"{c} jaar").reset_index()))
display(fmt(view(T["attrition"], ["definition", "description", "unit", "n_rows", "n_persons"])))
if result.warnings:
    display(Markdown(
        f"De analyse gaf {len(result.warnings)} technische opmerking(en), vooral over de capture–recapture-"
        "schatting (een bron die in een jaar niemand zag, een onstabiele modelfit of een interval waarvan de "
        "ondergrens het geziene aantal is). Ze staan voluit in `prevalence_metadata.json` bij de resultaattabellen "
        "van deze run (map `results/`)."))
