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
# # Datakwaliteit van de levering
#
# Dit rapport beschrijft wat er is binnengekomen in de claimslevering, wat er bij de controle
# is afgekeurd (quarantaine, met reden) en wat er in het datawarehouse staat. Alle getallen
# zijn aantallen rijen of personen; er staan geen gegevens van individuele personen in.

# %% [markdown] tags=["lang-en"]
# # Data quality of the extract
#
# This report describes what arrived in the claims extract, what the checks rejected
# (quarantine, with the reason) and what the data warehouse holds. Every figure is a number of
# rows or persons; the report contains no data on individual persons.

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
T = quality.TEXT[language]
display(provenance_block(meta, {"warehouse": warehouse}, ["regions", "zorgactiviteiten", "productcategorieen",
                                                          "wlz_zorgprofielen", "specialismen"], language,
                         threshold=threshold))

# %% [markdown] tags=["lang-nl"]
# ## De levering

# %% [markdown] tags=["lang-en"]
# ## The extract

# %%
display(dutch(quality.meta_table(con, language), language=language))

# %% [markdown] tags=["lang-nl"]
# ## Rijen per bestand
# Elke rij van de levering komt in het warehouse of in de quarantaine:
# *rijen in = rijen behouden + rijen in quarantaine*. Dubbele rijen en gecrediteerde regels
# tellen mee als behouden en worden daarna verrekend.

# %% [markdown] tags=["lang-en"]
# ## Rows per file
# Every row of the extract ends up in the warehouse or in quarantine:
# *rows in = rows kept + rows quarantined*. Duplicate rows and credited lines count as kept
# and are netted afterwards.

# %% tags=["summary"]
dq = quality.dq_summary(con)
display(Markdown(quality.summary_text(dq, language)))

# %%
display(dutch(dq.rename(columns=labels.in_language(labels.DQ_COLUMNS, language)), language=language))

# %%
by_reason = quality.quarantine_by_reason(con)
if by_reason.empty:
    display(Markdown(T["no_quarantine"]))
else:
    by_reason["reason"] = by_reason["reason"].map(lambda r: labels.label(labels.QUARANTINE_REASON, r, language))
    display(dutch(by_reason.rename(columns=labels.in_language(labels.DQ_COLUMNS, language)), language=language))

# %% [markdown] tags=["lang-nl"]
# ## Tabellen in het warehouse

# %% [markdown] tags=["lang-en"]
# ## Tables in the warehouse

# %%
display(dutch(quality.table_sizes(con, language), language=language))

# %% [markdown] tags=["lang-nl"]
# ## Zorggebruik per maand en domein
# Aantal personen in de levering met zorg in de maand (na verrekening van creditregels).
# Bij een cohort-plus-steekproeflevering zijn dit de personen in de levering (selectie en
# steekproef samen, ongewogen), geen landelijke aantallen. Maanden met 1 tot 9 personen zijn niet getoond
# (een gat in de lijn), net als in de tabellen van de andere rapporten.

# %% [markdown] tags=["lang-en"]
# ## Care use per month and domain
# Number of persons in the extract with care in the month (after netting credit lines).
# In a cohort-plus-sample extract these are the persons in the extract (selection and random
# sample together, unweighted), not national numbers. Months with 1 to 9 persons are not shown
# (a gap in the line), as in the tables of the other reports.

# %%
published = protect_quality(quality.care_per_month(con), quality.population_by_age(con), threshold=threshold)
care = published.tables["care_per_month"].assign(month=lambda d: pd.to_datetime(d["month"]),
                                                  persons=lambda d: d["persons"].astype(float))
care[T["domain"]] = care["domain"].map(lambda d: labels.label(labels.DOMAIN, d, language))
fig, ax = plt.subplots(figsize=(10, 4.5))
sns.lineplot(data=care, x="month", y="persons", hue=T["domain"], ax=ax)
ax.set(xlabel=T["care_x"], ylabel=T["care_y"], title=T["care_title"])
ax.yaxis.set_major_formatter(figures.number_axis(language))
figures.legend_outside(ax)
plt.tight_layout()
plt.show()

# %% [markdown] tags=["lang-nl"]
# ## Bevolking (noemers)
# Verzekerden op 1 juli naar leeftijd, laatste jaar van de levering.

# %% [markdown] tags=["lang-en"]
# ## Population (denominators)
# Insured persons on 1 July by age, last year of the extract.

# %%
pop = published.tables["population_by_age"].assign(aantal=lambda d: d["aantal"].astype(float))
last = pop[(pop["jaar"] == pop["jaar"].max()) & (pop["aantal"] > 0)].copy()
last[T["sex"]] = last["geslacht"].map(lambda s: labels.label(labels.SEX, s, language))
fig, ax = plt.subplots(figsize=(10, 4))
sns.barplot(data=last, x="leeftijd", y="aantal", hue=T["sex"], ax=ax)
ax.set(xlabel=T["pop_x"], ylabel=T["pop_y"], title=T["pop_title"].format(year=last["jaar"].max()))
ax.yaxis.set_major_formatter(figures.number_axis(language))
figures.legend_outside(ax)
plt.tight_layout()
plt.show()

# %% [markdown] tags=["lang-nl"]
# ## Realisme: kerncijfers uit de levering naast referentiewaarden
# Bij een synthetische levering laat deze tabel zien of de generator de Nederlandse situatie
# benadert; bij een echte levering is het een eerste plausibiliteitscontrole.

# %% [markdown] tags=["lang-en"]
# ## Realism: key figures from the extract beside reference values
# For a synthetic extract this table shows whether the generator resembles the situation in
# the Netherlands; for a real extract it is a first plausibility check.

# %%
display(realism.flag_outside(realism.realism_table(warehouse, language=language)))
display(Markdown(T["realism_note"]))

# %%
con.close()
