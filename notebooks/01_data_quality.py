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
# # Datakwaliteit van de levering
#
# Dit rapport beschrijft wat er is binnengekomen in de claimslevering, wat er bij de controle
# is afgekeurd (quarantaine, met reden) en wat er in het datawarehouse staat. Alle getallen
# zijn aantallen rijen of personen; er staan geen gegevens van individuele personen in.

# %% tags=["parameters"]
warehouse = "../data/processed/synthetic-default.duckdb"  # warehouse van `kpz ingest`
results_dir = ""  # map voor resultaattabellen (niet gebruikt in dit rapport)
language = "nl"  # taal van het rapport: nl of en
threshold = 10  # kleinste aantal personen dat getoond mag worden

# %%
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from IPython.display import Markdown, display

from kpz_analytics.reporting import figures, labels, quality, realism
from kpz_analytics.reporting.display import dutch
from kpz_analytics.reporting.header import provenance_block
from kpz_analytics.reporting.publish import protect_quality
from kpz_analytics.warehouse.connect import connect, extract_meta

figures.setup(language)
con = connect(warehouse)
meta = extract_meta(con)
display(provenance_block(meta, {"warehouse": warehouse}, ["regions", "zorgactiviteiten", "productcategorieen",
                                                          "wlz_zorgprofielen", "specialismen"], language,
                         threshold=threshold))

# %% [markdown]
# ## De levering

# %%
levering = quality.meta_table(con)
levering["veld"] = levering["veld"].map(lambda k: labels.label(labels.META_FIELD, k))
levering.loc[levering["veld"] == "opzet", "waarde"] = levering["waarde"].map(lambda v: labels.label(labels.DESIGN, v))
display(dutch(levering, language=language))

# %% [markdown]
# ## Rijen per bestand
# Elke rij van de levering komt in het warehouse of in de quarantaine:
# *rijen in = rijen behouden + rijen in quarantaine*. Dubbele rijen en gecrediteerde regels
# tellen mee als behouden en worden daarna verrekend.

# %% tags=["summary"]
dq = quality.dq_summary(con)
n_in, n_bad = int(dq["rows_in"].sum()), int(dq["rows_quarantined"].sum())
display(Markdown(f"{len(dq)} bestanden met samen {figures.number(n_in, 0, language)} rijen; "
                 f"{figures.number(n_bad, 0, language)} rijen in quarantaine "
                 f"({figures.number(100 * n_bad / n_in if n_in else 0, 2, language)}%)."))

# %%
display(dutch(dq.rename(columns=labels.DQ_COLUMNS), language=language))

# %%
by_reason = quality.quarantine_by_reason(con)
if by_reason.empty:
    display(Markdown("**Geen rijen in quarantaine.**"))
else:
    by_reason["reason"] = by_reason["reason"].map(lambda r: labels.label(labels.QUARANTINE_REASON, r))
    display(dutch(by_reason.rename(columns=labels.DQ_COLUMNS)))

# %% [markdown]
# ## Tabellen in het warehouse

# %%
sizes = quality.table_sizes(con)
sizes["laag"] = sizes["laag"].map(lambda v: labels.label(labels.LAYER, v))
display(dutch(sizes, language=language))

# %% [markdown]
# ## Zorggebruik per maand en domein
# Aantal personen in de levering met zorg in de maand (na verrekening van creditregels).
# Bij een cohort-plus-steekproeflevering zijn dit de personen in de levering (selectie en
# steekproef samen, ongewogen), geen landelijke aantallen. Maanden met 1 tot 9 personen zijn niet getoond
# (een gat in de lijn), net als in de tabellen van de andere rapporten.

# %%
published = protect_quality(quality.care_per_month(con), quality.population_by_age(con), threshold=threshold)
care = published.tables["care_per_month"].assign(month=lambda d: pd.to_datetime(d["month"]),
                                                  persons=lambda d: d["persons"].astype(float))
care["domein"] = care["domain"].map(lambda d: labels.label(labels.DOMAIN, d))
fig, ax = plt.subplots(figsize=(10, 4.5))
sns.lineplot(data=care, x="month", y="persons", hue="domein", ax=ax)
ax.set(xlabel="maand", ylabel="personen met zorg (aantal)", title="Personen met zorg per maand")
ax.yaxis.set_major_formatter(figures.number_axis(language))
figures.legend_outside(ax)
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Bevolking (noemers)
# Verzekerden op 1 juli naar leeftijd, laatste jaar van de levering.

# %%
pop = published.tables["population_by_age"].assign(aantal=lambda d: d["aantal"].astype(float))
last = pop[(pop["jaar"] == pop["jaar"].max()) & (pop["aantal"] > 0)].copy()
last["geslacht"] = last["geslacht"].map(lambda s: labels.label(labels.SEX, s))
fig, ax = plt.subplots(figsize=(10, 4))
sns.barplot(data=last, x="leeftijd", y="aantal", hue="geslacht", ax=ax)
ax.set(xlabel="leeftijd (jaren)", ylabel="verzekerden (aantal)", title=f"Verzekerden op 1 juli {last['jaar'].max()}")
ax.yaxis.set_major_formatter(figures.number_axis(language))
figures.legend_outside(ax)
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Realisme: kerncijfers uit de levering naast referentiewaarden
# Bij een synthetische levering laat deze tabel zien of de generator de Nederlandse situatie
# benadert; bij een echte levering is het een eerste plausibiliteitscontrole.

# %%
def flag(row):
    return ["background-color: #fee2e2; font-weight: 600" if row["binnen referentie"] == "nee" else ""] * len(row)


display(dutch(realism.realism_table(warehouse), language=language).apply(flag, axis=1))
display(Markdown("Rood: buiten het referentiebereik. Bij een geschaalde synthetische levering (minder dan de hele "
                 "bevolking) liggen aantallen per definitie buiten het landelijke bereik; percentages en "
                 "cijfers per 10.000 horen er wel binnen te vallen."))

# %%
con.close()
