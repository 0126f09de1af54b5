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

# %%
import matplotlib.pyplot as plt
import seaborn as sns
from IPython.display import Markdown, display

from kpz_analytics.reporting import figures, labels, quality, realism
from kpz_analytics.reporting.display import dutch
from kpz_analytics.reporting.header import provenance_block
from kpz_analytics.warehouse.connect import connect, extract_meta

figures.setup(language)
con = connect(warehouse)
meta = extract_meta(con)
display(provenance_block(meta, {"warehouse": warehouse}, ["regions", "zorgactiviteiten", "productcategorieen",
                                                          "wlz_zorgprofielen", "specialismen"], language))

# %% [markdown]
# ## De levering

# %%
display(dutch(quality.meta_table(con)))

# %% [markdown]
# ## Rijen per bestand
# Elke rij van de levering komt in het warehouse of in de quarantaine:
# *rijen in = rijen behouden + rijen in quarantaine*. Dubbele rijen en gecrediteerde regels
# tellen mee als behouden en worden daarna verrekend.

# %%
dq = quality.dq_summary(con)
display(dutch(dq.rename(columns=labels.DQ_COLUMNS)))

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
display(dutch(quality.table_sizes(con)))

# %% [markdown]
# ## Zorggebruik per maand en domein
# Aantal personen in de levering met zorg in de maand (na verrekening van creditregels).
# Bij een cohort-plus-steekproeflevering zijn dit de personen in de levering (selectie en
# steekproef samen, ongewogen), geen landelijke aantallen.

# %%
care = quality.care_per_month(con)
care["domein"] = care["domain"].map(lambda d: labels.label(labels.DOMAIN, d))
fig, ax = plt.subplots(figsize=(10, 4.5))
sns.lineplot(data=care, x="month", y="persons", hue="domein", ax=ax)
ax.set(xlabel="maand", ylabel="personen met zorg", title="Personen met zorg per maand")
ax.legend(title=None, loc="upper left", bbox_to_anchor=(1, 1))
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Bevolking (noemers)
# Verzekerden op 1 juli naar leeftijd, laatste jaar van de levering.

# %%
pop = quality.population_by_age(con)
last = pop[(pop["jaar"] == pop["jaar"].max()) & (pop["aantal"] > 0)].copy()
last["geslacht"] = last["geslacht"].map(lambda s: labels.label(labels.SEX, s))
fig, ax = plt.subplots(figsize=(10, 4))
sns.barplot(data=last, x="leeftijd", y="aantal", hue="geslacht", ax=ax)
ax.set(xlabel="leeftijd (jaren)", ylabel="verzekerden", title=f"Verzekerden op 1 juli {last['jaar'].max()}")
ax.legend(title=None, loc="upper left", bbox_to_anchor=(1, 1))
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Realisme: kerncijfers uit de levering naast referentiewaarden
# Bij een synthetische levering laat deze tabel zien of de generator de Nederlandse situatie
# benadert; bij een echte levering is het een eerste plausibiliteitscontrole.

# %%
display(dutch(realism.realism_table(warehouse)))

# %%
con.close()
