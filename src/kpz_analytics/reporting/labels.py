"""Labels for report tables and figures: the one place where code names get their Dutch (and English) text.

Every table below maps code names (as the analyses return them) to Dutch text; the Dutch
tables are the reference and the default (``language="nl"``). A table used in an English report
gets an **English twin**, registered right after it::

    OUTCOME = {"emergency": "SEH-bezoeken", ...}
    OUTCOME_EN = english(OUTCOME, {"emergency": "emergency department visits", ...})

:func:`english` checks that the twin has exactly the keys of the Dutch table (so a code added
to one and forgotten in the other fails at import) and registers it. Code that labels then asks
for the table in the report's language — ``in_language(OUTCOME, language)`` or
``label(OUTCOME, code, language)`` — and gets the Dutch table itself for ``"nl"`` and its twin
for ``"en"``; a table without a twin raises ``KeyError`` naming it, rather than leaving code
names in an English report. Text that is composed (a status with a stratum in it, a
sensitivity variant) has a function with a ``language`` parameter; :func:`labelled` labels a
whole result table (column names and values).
"""

from __future__ import annotations

import re

import pandas as pd

#: Report languages: Dutch (the reference) and English.
LANGUAGES = ("nl", "en")
# English twins by the id of their Dutch table (tables are module constants: their id is stable).
_TWINS: dict[int, dict] = {}


def english(dutch: dict, twin: dict) -> dict:
    """Register ``twin`` as the English text of the Dutch table ``dutch``; returns ``twin``.

    Raises ``ValueError`` when the keys differ: every code has a text in both languages.
    """
    if set(dutch) != set(twin):
        diff = sorted(map(str, set(dutch) ^ set(twin)))
        raise ValueError(f"English twin does not have the keys of its Dutch table: {', '.join(diff)}")
    _TWINS[id(dutch)] = twin
    return twin


def in_language(dutch: dict, language: str = "nl") -> dict:
    """The label table ``dutch`` in ``language``: itself for ``nl``, its registered twin for ``en``."""
    if language == "nl":
        return dutch
    if language != "en":
        raise KeyError(f"no labels in language {language!r} (languages: {', '.join(LANGUAGES)})")
    try:
        return _TWINS[id(dutch)]
    except KeyError:
        name = next((k for k, v in globals().items() if v is dutch), "a table")
        raise KeyError(f"labels.{name} has no English twin (register one with labels.english)") from None


def label(mapping: dict, value, language: str = "nl") -> str:
    """Label of a code in ``language``, falling back to the code itself."""
    return in_language(mapping, language).get(value, value)


DOMAIN = {
    "hospital": "Ziekenhuiszorg (DOT)",
    "hospital_activity": "Zorgactiviteiten ziekenhuis",
    "zvw": "Overige Zvw-zorg",
    "wlz": "Wlz",
    "wmo": "Wmo",
    "jeugdwet": "Jeugdwet",
}
DOMAIN_EN = english(DOMAIN, {
    "hospital": "Hospital care (DOT)",
    "hospital_activity": "Hospital care activities",
    "zvw": "Other Zvw care",
    "wlz": "Wlz",
    "wmo": "Wmo",
    "jeugdwet": "Jeugdwet",
})


DQ_COLUMNS = {
    "file": "bestand", "rows_in": "rijen in", "rows_kept": "rijen behouden",
    "rows_quarantined": "rijen in quarantaine", "duplicates_removed": "dubbele rijen verwijderd",
    "credits_netted": "creditregels verrekend", "lines_cancelled": "regels gecrediteerd",
    "reason": "reden", "n_rows": "aantal rijen",
}
DQ_COLUMNS_EN = english(DQ_COLUMNS, {
    "file": "file", "rows_in": "rows in", "rows_kept": "rows kept",
    "rows_quarantined": "rows quarantined", "duplicates_removed": "duplicate rows removed",
    "credits_netted": "credit lines netted", "lines_cancelled": "lines credited",
    "reason": "reason", "n_rows": "rows",
})

QUARANTINE_REASON = {
    "date": "ongeldige datum", "period_order": "einddatum vóór begindatum",
    "unknown_person": "onbekende persoon", "enum": "waarde buiten toegestane set",
    "negative": "negatief bedrag/aantal (geen creditregel)", "missing": "verplichte waarde ontbreekt",
    "out_of_period": "buiten de periode", "number": "ongeldig getal",
    "conflict": "conflicterende regels met dezelfde sleutel", "orphan_credit": "creditregel zonder origineel",
}
QUARANTINE_REASON_EN = english(QUARANTINE_REASON, {
    "date": "invalid date", "period_order": "end date before start date",
    "unknown_person": "unknown person", "enum": "value outside the allowed set",
    "negative": "negative amount/quantity (not a credit line)", "missing": "required value missing",
    "out_of_period": "outside the period", "number": "invalid number",
    "conflict": "conflicting lines with the same key", "orphan_credit": "credit line without an original",
})

SEX = {"M": "jongens/mannen", "V": "meisjes/vrouwen", "O": "onbekend"}
SEX_EN = english(SEX, {"M": "boys/men", "V": "girls/women", "O": "unknown"})
SEX_CHILDREN = {"M": "jongens", "V": "meisjes", "O": "onbekend"}  # tables of ages 0-19
SEX_CHILDREN_EN = english(SEX_CHILDREN, {"M": "boys", "V": "girls", "O": "unknown"})


# Prevalence (issue 9): measures, Fraser/Hain diagnostic groups, result-table columns.
MEASURE = {"llc": "levensbeperkende aandoening (LBA)",
              "palliative_need": "behoefte aan palliatieve zorg",
           "llc_consistent": "LBA, zonder palliatieve zorgactiviteiten",
           "palliative_need_consistent": "behoefte, zonder palliatieve zorgactiviteiten",
           "ccc": "complexe chronische aandoening (CCC, Feudtner)",
           "palliative_need_plus_activity_v1": "behoefte v2 plus palliatieve zorgactiviteiten (vanaf 2023)",
           # the parts of the LLC × CCC overlap (publish.llc_ccc_overlap)
           "llc_and_ccc": "LBA én CCC", "llc_only": "alleen LBA", "ccc_only": "alleen CCC",
           "llc_hospital_code": "LBA met LBA-code in het ziekenhuis",
           "llc_and_ccc_hospital_code": "LBA-code én CCC", "llc_only_hospital_code": "alleen LBA-code",
           "ccc_only_hospital_code": "alleen CCC (t.o.v. LBA-code)"}
MEASURE_EN = english(MEASURE, {
    "llc": "life-limiting condition (LLC)", "palliative_need": "need for palliative care",
    "llc_consistent": "LLC, without palliative care activities",
    "palliative_need_consistent": "need, without palliative care activities",
    "ccc": "complex chronic condition (CCC, Feudtner)",
    "palliative_need_plus_activity_v1": "need v2 plus palliative care activities (from 2023)",
    "llc_and_ccc": "LLC and CCC", "llc_only": "LLC only", "ccc_only": "CCC only",
    "llc_hospital_code": "LLC with an LLC code in hospital",
    "llc_and_ccc_hospital_code": "LLC code and CCC", "llc_only_hospital_code": "LLC code only",
    "ccc_only_hospital_code": "CCC only (against LLC code)"})
DIRECTION = {"in": "erbij", "out": "eraf"}
DIRECTION_EN = english(DIRECTION, {"in": "joins", "out": "leaves"})
CR_STRATUM = {"under18": "jonger dan 18 op een dag van het jaar", "18plus": "het hele jaar 18 of ouder"}
CR_STRATUM_EN = english(CR_STRATUM, {"under18": "under 18 on some day of the year",
                                     "18plus": "18 or older all year"})
# Need definitions (issue 15): the default v2 and the variant with the 2023 activities.
NEED_DEFINITION = {
    "palliative_need_v1": "behoefte v1 (elke marker, incl. IKZ/MKV en palliatieve zorgactiviteit)",
    "palliative_need_v2": "behoefte v2 (intensiteit: IC, SEH-reeks, opnamereeks, overlijden)",
    "palliative_need_plus_activity_v1": "behoefte v2 plus palliatieve zorgactiviteiten (vanaf 2023)",
}
NEED_DEFINITION_EN = english(NEED_DEFINITION, {
    "palliative_need_v1": "need v1 (any marker, incl. IKZ/MKV and palliative care activity)",
    "palliative_need_v2": "need v2 (intensity: ICU, run of emergency visits, run of admissions, death)",
    "palliative_need_plus_activity_v1": "need v2 plus palliative care activities (from 2023)",
})
BASIS = {"period": "periode (in leven en verzekerd op een dag van het jaar)",
         "point": "peildatum 1 juli (in leven en verzekerd op 1 juli)"}
BASIS_EN = english(BASIS, {"period": "period (alive and insured on some day of the year)",
                           "point": "reference date 1 July (alive and insured on 1 July)"})
GROUPING = {"e84_respiratory": "taaislijmziekte (E84) onder luchtwegen"}
GROUPING_EN = english(GROUPING, {"e84_respiratory": "cystic fibrosis (E84) under respiratory"})
LLC_DEFINITION = {"llc_all_sources": "LBA, alle bronnen", "llc_hospital_code": "LBA, met LBA-code in het ziekenhuis"}
LLC_DEFINITION_EN = english(LLC_DEFINITION, {"llc_all_sources": "LLC, all sources",
                                             "llc_hospital_code": "LLC, with an LLC code in hospital"})
DIAGNOSTIC_GROUP = {
    "congenital": "aangeboren afwijkingen", "oncology": "oncologie", "neurology": "neurologie",
    "haematology": "hematologie", "respiratory": "luchtwegen", "perinatal": "perinataal",
    "genitourinary": "urogenitaal", "metabolic": "metabool", "circulatory": "hart en vaten",
    "gastrointestinal": "maag-darm", "other": "overig", "no_llc_code": "geen LBA-code (andere bron)",
}
DIAGNOSTIC_GROUP_EN = english(DIAGNOSTIC_GROUP, {
    "congenital": "congenital", "oncology": "oncology", "neurology": "neurology",
    "haematology": "haematology", "respiratory": "respiratory", "perinatal": "perinatal",
    "genitourinary": "genitourinary", "metabolic": "metabolic", "circulatory": "circulatory",
    "gastrointestinal": "gastrointestinal", "other": "other", "no_llc_code": "no LLC code (other source)",
})
PREVALENCE_COLUMNS = {
    "jaar": "jaar", "measure": "maat", "n_cases": "aantal", "population": "populatie",
    "rate_per_10000": "per 10.000", "ci_low": "95%-BI laag", "ci_high": "95%-BI hoog",
    "age_group": "leeftijdsgroep", "geslacht": "geslacht", "provincie_code": "provincie",
    "nik_region": "NIK-regio", "diagnostic_group": "diagnosegroep", "crude_rate": "ruw per 10.000",
    "std_rate": "gestandaardiseerd per 10.000", "n_observed": "gezien in declaraties",
    "n_unseen": "geschat niet gezien", "n_estimated": "geschat totaal", "model": "model",
    "n_deaths": "overleden", "deaths_per_1000_cases": "overleden per 1.000",
    "variant": "variant", "share_of_llc": "aandeel van LBA", "n_llc_cases": "aantal LBA",
    "lookback": "terugkijkperiode (jaren)", "apc": "jaarlijkse verandering (%)",
    "apc_ci_low": "95%-BI laag", "apc_ci_high": "95%-BI hoog", "years": "jaren",
    "description": "stap", "n_rows": "rijen", "n_persons": "personen", "unit": "eenheid",
    "stratum": "leeftijd", "definition": "definitie",
    "flagged": "gemarkeerd in declaraties", "ppv": "positief voorspellende waarde",
    "sensitivity": "sensitiviteit", "status": "status", "change": "verandering",
    "jaar_from": "van", "jaar_to": "naar", "grouping": "indeling", "basis": "basis",
    "rate_ci_low": "95%-BI laag (per 10.000)", "rate_ci_high": "95%-BI hoog (per 10.000)",
    "ci_low_summed": "grenzen opgeteld, laag", "ci_high_summed": "grenzen opgeteld, hoog",
    "fallback": "terugval", "sources": "bronnen", "llc_definition": "LBA-definitie",
    "n_llc": "LBA", "n_ccc": "CCC", "n_both": "beide", "n_llc_only": "alleen LBA",
    "n_ccc_only": "alleen CCC", "share_of_llc_in_ccc": "aandeel LBA dat ook CCC is",
    "share_of_ccc_in_llc": "aandeel CCC dat ook LBA is",
    "step": "stapnummer", "standard": "standaardbevolking",
    "lookback_complete": "terugkijkperiode volledig", "criterion": "modelkeuze", "n_years": "aantal jaren",
    "p_value": "p-waarde", "n_moved": "verschoven kinderen", "direction": "richting",
    "n_observed_stratum": "gezien", "accuracy_source": "herkomst PPV en sensitiviteit",
}
PREVALENCE_COLUMNS_EN = english(PREVALENCE_COLUMNS, {
    "jaar": "year", "measure": "measure", "n_cases": "number", "population": "population",
    "rate_per_10000": "per 10,000", "ci_low": "95% CI low", "ci_high": "95% CI high",
    "age_group": "age group", "geslacht": "sex", "provincie_code": "province",
    "nik_region": "NIK region", "diagnostic_group": "diagnostic group", "crude_rate": "crude per 10,000",
    "std_rate": "standardised per 10,000", "n_observed": "seen in claims",
    "n_unseen": "estimated unseen", "n_estimated": "estimated total", "model": "model",
    "n_deaths": "deaths", "deaths_per_1000_cases": "deaths per 1,000",
    "variant": "variant", "share_of_llc": "share of LLC", "n_llc_cases": "number with LLC",
    "lookback": "lookback (years)", "apc": "annual change (%)",
    "apc_ci_low": "95% CI low", "apc_ci_high": "95% CI high", "years": "years",
    "description": "step", "n_rows": "rows", "n_persons": "persons", "unit": "unit",
    "stratum": "age", "definition": "definition",
    "flagged": "flagged in claims", "ppv": "positive predictive value",
    "sensitivity": "sensitivity", "status": "status", "change": "change",
    "jaar_from": "from", "jaar_to": "to", "grouping": "grouping", "basis": "basis",
    "rate_ci_low": "95% CI low (per 10,000)", "rate_ci_high": "95% CI high (per 10,000)",
    "ci_low_summed": "summed limits, low", "ci_high_summed": "summed limits, high",
    "fallback": "fallback", "sources": "sources", "llc_definition": "LLC definition",
    "n_llc": "LLC", "n_ccc": "CCC", "n_both": "both", "n_llc_only": "LLC only",
    "n_ccc_only": "CCC only", "share_of_llc_in_ccc": "share of LLC that is also CCC",
    "share_of_ccc_in_llc": "share of CCC that is also LLC",
    "step": "step number", "standard": "standard population",
    "lookback_complete": "lookback complete", "criterion": "model selection", "n_years": "number of years",
    "p_value": "p-value", "n_moved": "children moved", "direction": "direction",
    "n_observed_stratum": "seen", "accuracy_source": "source of PPV and sensitivity",
})

CR_STATUS = {
    "estimated": "geschat", "fallback": "geschat met eenvoudiger model (terugval)",
    "not identifiable": "niet te schatten uit de tabel", "nobody seen": "niemand gezien",
    "strata combined": "strata gecombineerd",
    "corrected for misclassification": "gecorrigeerd voor misclassificatie",
}
CR_STATUS_EN = english(CR_STATUS, {
    "estimated": "estimated", "fallback": "estimated with a simpler model (fallback)",
    "not identifiable": "not identifiable from the table", "nobody seen": "nobody seen",
    "strata combined": "strata combined",
    "corrected for misclassification": "corrected for misclassification",
})


def cr_status(status: str, language: str = "nl") -> str:
    """Text of a capture-recapture status (``pooled (stratum 18plus not identifiable)`` too)."""
    if status.startswith("pooled"):
        inner = status[status.find("(") + 1:status.rfind(")")]
        if language == "nl":
            return f"samengevoegde tabel ({inner.replace('not identifiable', 'niet te schatten')})"
        for code, text in CR_STRATUM_EN.items():
            inner = inner.replace(f"stratum {code}", f"stratum '{text}'")
        return f"pooled table ({inner})"
    return label(CR_STATUS, status, language)

NEED_MARKER = {
    "palliative_activity": "palliatieve zorgactiviteit", "intensive_care": "IC-dagen",
    "emergency_run": "reeks SEH-bezoeken", "admission_run": "reeks opnamedagen",
    "ikz_mkv": "intensieve kindzorg / MKV", "death": "overlijden",
}
NEED_MARKER_EN = english(NEED_MARKER, {
    "palliative_activity": "palliative care activity", "intensive_care": "ICU days",
    "emergency_run": "run of emergency visits", "admission_run": "run of admission days",
    "ikz_mkv": "intensive child care / MKV", "death": "death",
})


#: CBS province codes (``personen.provincie_code``, extract spec v1).
PROVINCE = {"PV20": "Groningen", "PV21": "Fryslân", "PV22": "Drenthe", "PV23": "Overijssel",
            "PV24": "Flevoland", "PV25": "Gelderland", "PV26": "Utrecht", "PV27": "Noord-Holland",
            "PV28": "Zuid-Holland", "PV29": "Zeeland", "PV30": "Noord-Brabant", "PV31": "Limburg"}
PROVINCE_EN = english(PROVINCE, dict(PROVINCE))  # proper names
#: Case-finding sources (``cohorts.cases.SOURCES``).
SOURCE = {"hospital_llc_code": "ziekenhuisdeclaratie met een LBA-code",
          "palliative_activity": "palliatieve zorgactiviteit in het ziekenhuis (vanaf 2023)",
          "ikz_mkv": "intensieve kindzorg / medisch kindzorgverblijf",
          "wlz_severe": "Wlz-indicatie ernstig meervoudig beperkt"}
SOURCE_EN = english(SOURCE, {"hospital_llc_code": "hospital claim with an LLC code",
                             "palliative_activity": "palliative care activity in hospital (from 2023)",
                             "ikz_mkv": "intensive child care / medical child care stay (IKZ/MKV)",
                             "wlz_severe": "Wlz assessment of severe multiple disabilities"})
#: Regression models of the trend table.
MODEL = {"poisson": "Poisson-regressie", "negative_binomial": "negatief-binomiale regressie",
         "quasi_poisson": "quasi-Poisson-regressie"}
MODEL_EN = english(MODEL, {"poisson": "Poisson regression", "negative_binomial": "negative binomial regression",
                           "quasi_poisson": "quasi-Poisson regression"})
#: Fields of the warehouse's ``meta_extract``.
META_FIELD = {"extract_id": "levering", "spec_version": "versie van de leveringsspecificatie",
              "period_start": "begin van de periode", "period_end": "einde van de periode",
              "design": "opzet", "sample_fraction": "steekproeffractie",
              "manifest_sha256": "controlegetal manifest (SHA-256)", "ingested_at": "ingelezen op",
              "package_version": "versie kpz-analytics bij inlezen", "git_commit": "git-commit bij inlezen"}
META_FIELD_EN = english(META_FIELD, {
    "extract_id": "extract", "spec_version": "version of the extract specification",
    "period_start": "start of the period", "period_end": "end of the period",
    "design": "design", "sample_fraction": "sampling fraction",
    "manifest_sha256": "manifest checksum (SHA-256)", "ingested_at": "ingested at",
    "package_version": "kpz-analytics version at ingest", "git_commit": "git commit at ingest"})
DESIGN = {"cohort_sample": "cohort plus steekproef", "population": "volledige populatie"}
DESIGN_EN = english(DESIGN, {"cohort_sample": "cohort plus random sample", "population": "whole population"})
LAYER = {"core": "kern", "mart": "analysetabel"}
LAYER_EN = english(LAYER, {"core": "core", "mart": "mart (analysis table)"})
UNIT_PREVALENCE = {"lines": "declaratieregels", "person-years": "persoonsjaren"}
UNIT_PREVALENCE_EN = english(UNIT_PREVALENCE, {"lines": "claim lines", "person-years": "person-years"})
#: Steps of the prevalence attrition table (``cohorts.cases.attrition``), by ``name``.
PREVALENCE_STEP = {
    "hospital_lines_icd10": "ziekenhuisregels met een ICD-10-code",
    "hospital_lines_llc": "… waarvan met een code van de LBA-lijst",
    "any_source": "persoonsjaren gezien door ten minste één gekozen bron (in leven en verzekerd)",
    "alive_insured_years": "in leven en verzekerd in een jaar, met een bron in dat jaar of de terugkijkperiode",
    "age_range": "binnen de leeftijdsgrenzen op 1 juli: kinderen met een LBA",
    "llc_cases": "kinderen met een LBA (als hierboven)",
    "any_marker": "met ten minste één marker in het jaar: behoefte aan palliatieve zorg",
}
PREVALENCE_STEP_EN = english(PREVALENCE_STEP, {
    "hospital_lines_icd10": "hospital lines with an ICD-10 code",
    "hospital_lines_llc": "… of which with a code from the LLC list",
    "any_source": "person-years seen by at least one chosen source (alive and insured)",
    "alive_insured_years": "alive and insured in a year, with a source in that year or the lookback",
    "age_range": "within the age limits on 1 July: children with an LLC",
    "llc_cases": "children with an LLC (as above)",
    "any_marker": "with at least one marker in the year: need for palliative care",
})
#: What a disclosure-control status means, for readers of tables and exports.
STATUS = {"shown": "getoond", "zero": "nul (getoond)", "primary": "onderdrukt: minder dan de drempel",
          "secondary": "onderdrukt: aanvullend, zodat een verborgen cel niet terug te rekenen is",
          "derived": "onderdrukt: afgeleid van een onderdrukt aantal",
          "dominance": "onderdrukt: gedomineerd door één of twee bijdragen",
          "suppressed": "onderdrukt (alle redenen)"}
STATUS_EN = english(STATUS, {
    "shown": "shown", "zero": "zero (shown)", "primary": "suppressed: below the threshold",
    "secondary": "suppressed: complementary, so that a hidden cell cannot be recalculated",
    "derived": "suppressed: derived from a suppressed count",
    "dominance": "suppressed: dominated by one or two contributions",
    "suppressed": "suppressed (all reasons)"})

# Composed phrases of the functions below, per language.
_PHRASE = {
    "nl": {"source": "persoonsjaren gezien door de bron {}", "marker": "met de marker {} in het jaar",
           "need_sources": "… gezien door {} binnen de terugkijkperiode",
           "all markers": "alle markers", "definition": "definitie ", "only": "alleen ", "without": "zonder ",
           "default": "standaard"},
    "en": {"source": "person-years seen by the source {}", "marker": "with the marker {} in the year",
           "need_sources": "… seen by {} within the lookback",
           "all markers": "all markers", "definition": "definition ", "only": "only ", "without": "without ",
           "default": "default"},
}


def prevalence_step(name: str, description: str, language: str = "nl") -> str:
    """Text of a prevalence attrition step, from its ``name``."""
    p = _PHRASE[language]
    if name in PREVALENCE_STEP:
        return label(PREVALENCE_STEP, name, language)
    if name.startswith("source_") and name[7:] in SOURCE:
        return p["source"].format(label(SOURCE, name[7:], language))
    if name.startswith("marker_") and name[7:] in NEED_MARKER:
        return p["marker"].format(label(NEED_MARKER, name[7:], language))
    seen_by = re.search(r"seen by (.+) within the lookback", str(description))
    if name == "need_sources" and seen_by:
        return p["need_sources"].format(sources_label(seen_by.group(1), language))
    return description


def definition_label(definition: str, language: str = "nl") -> str:
    """Name of a case or need definition (``palliative_need_v2``; ``llc (…)`` → LBA / LLC)."""
    if not isinstance(definition, str):
        return definition
    needs = in_language(NEED_DEFINITION, language)
    if definition in needs:
        return needs[definition]
    head = definition.split(" ", 1)[0]
    return in_language(MEASURE, language).get(head, needs.get(head, definition))


def age_group_label(group: str, age_min: int = 0, age_max: int = 19) -> str:
    """An age group label clipped to the age range: ``15-19`` with ``age_max=17`` is ``15-17``."""
    text = str(group)
    if "-" in text:
        lo, _, hi = text.partition("-")
        if lo.isdigit() and hi.isdigit():
            lo_, hi_ = max(int(lo), age_min), min(int(hi), age_max)
            return f"{lo_}-{hi_}" if lo_ != hi_ else f"{lo_}"
    if text.endswith("+") and text[:-1].isdigit() and age_max < 200:
        lo_ = max(int(text[:-1]), age_min)
        return f"{lo_}-{age_max}" if lo_ < age_max else f"{age_max}"
    return text


def need_variant(variant: str, language: str = "nl") -> str:
    """Text of a palliative-need sensitivity variant ('only ikz_mkv', 'emergency_run >= 6 (default 3)')."""
    p, markers = _PHRASE[language], in_language(NEED_MARKER, language)
    if variant == "all markers":
        return p["all markers"]
    if variant.startswith("definition "):
        name = variant[len("definition "):]
        return p["definition"] + label(NEED_DEFINITION, name, language)
    for en in ("only", "without"):
        if variant.startswith(en + " ") and variant[len(en) + 1:] in markers:
            return p[en] + markers[variant[len(en) + 1:]]
    marker, _, rest = variant.partition(" ")
    if marker in markers:
        return f"{markers[marker]} {rest.replace('default', p['default'])}"
    return variant


def sources_label(sources: str, language: str = "nl") -> str:
    """Case-finding sources joined by ``,``, ``+`` or ``;`` (``hospital_llc_code,ikz_mkv``) as text."""
    if not isinstance(sources, str) or not sources:
        return sources
    return "; ".join(label(SOURCE, s.strip(), language) for s in re.split(r"[,+;]", sources))


def labelled(df: pd.DataFrame, columns: list[str], language: str = "nl", age_min: int = 0,
             age_max: int = 19) -> pd.DataFrame:
    """Select ``columns`` of a result table and give them names and values in ``language``.

    Age groups are clipped to ``age_min``–``age_max`` in either language.
    """
    def by(table):
        words = in_language(table, language)
        return lambda v: words.get(v, v)

    out = df[[c for c in columns if c in df.columns]].copy()
    if "age_group" in out:
        out["age_group"] = out["age_group"].map(lambda g: age_group_label(g, age_min, age_max))
    if "provincie_code" in out:
        out["provincie_code"] = out["provincie_code"].map(by(PROVINCE))
    if "model" in out:
        out["model"] = out["model"].map(by(MODEL))
    if "description" in out and "name" in df.columns:
        out["description"] = [prevalence_step(n, d, language) for n, d in zip(df["name"], out["description"])]
    if "definition" in out:
        out["definition"] = out["definition"].map(lambda d: definition_label(d, language))
    if "unit" in out:
        out["unit"] = out["unit"].map(by(UNIT_PREVALENCE))
    if "measure" in out:
        out["measure"] = out["measure"].map(by(MEASURE))
    if "diagnostic_group" in out:
        out["diagnostic_group"] = out["diagnostic_group"].map(by(DIAGNOSTIC_GROUP))
    if "geslacht" in out:
        out["geslacht"] = out["geslacht"].map(in_language(SEX_CHILDREN, language))
    if "variant" in out:
        out["variant"] = out["variant"].map(lambda v: need_variant(v, language))
    if "basis" in out:
        out["basis"] = out["basis"].map(by(BASIS))
    if "grouping" in out:
        out["grouping"] = out["grouping"].map(by(GROUPING))
    if "status" in out:
        out["status"] = out["status"].map(lambda s: cr_status(s, language) if isinstance(s, str) else s)
    if "direction" in out:
        out["direction"] = out["direction"].map(by(DIRECTION))
    if "stratum" in out:
        out["stratum"] = out["stratum"].map(by(CR_STRATUM))
    if "llc_definition" in out:
        out["llc_definition"] = out["llc_definition"].map(by(LLC_DEFINITION))
    if "sources" in out:
        out["sources"] = out["sources"].map(lambda s: sources_label(s, language))
    return out.rename(columns=in_language(PREVALENCE_COLUMNS, language))


# Transition around 18 and the zorgval (issue 13): outcomes, cohorts, groups, columns.
COHORT = {"llc": "jongeren met een LBA", "comparison": "vergelijkingsgroep (steekproef)",
          "difference": "verschil LBA − vergelijking"}
OUTCOME = {
    "hospital_paediatric": "ziekenhuiszorg kindergeneeskunde",
    "hospital_adult": "ziekenhuiszorg volwassenenspecialismen",
    "ic_paediatric": "IC-dagen kinder-/neonatale IC", "ic_adult": "IC-dagen volwassenen-IC",
    "emergency": "SEH-bezoeken", "nursing_days": "verpleegdagen", "admissions": "opnames",
    "ikz_mkv": "intensieve kindzorg / MKV", "wijkverpleging": "wijkverpleging",
    "jeugdwet_any": "Jeugdwet (alle jeugdhulp)", "jeugdwet_ambulant": "Jeugdwet: ambulante jeugdhulp",
    "jeugdwet_verblijf": "Jeugdwet: jeugdhulp met verblijf", "jeugdwet_ggz": "Jeugdwet: jeugd-ggz",
    "jeugdwet_dagbesteding": "Jeugdwet: dagbesteding", "jeugdwet_respite": "Jeugdwet: logeren/kortdurend verblijf",
    "wmo_any": "Wmo (alle ondersteuning)", "wmo_begeleiding": "Wmo: begeleiding",
    "wmo_dagbesteding": "Wmo: dagbesteding", "wmo_respite": "Wmo: logeren/kortdurend verblijf",
    "wmo_huishoudelijke_hulp": "Wmo: huishoudelijke hulp",
    "wmo_hulpmiddelen_woning": "Wmo: hulpmiddelen en woningaanpassing",
    "respite_any": "logeren/kortdurend verblijf (Jeugdwet of Wmo)",
    "wlz_any": "Wlz (alle zorg)", "wlz_verblijf": "Wlz: verblijf", "wlz_vpt": "Wlz: volledig pakket thuis",
    "wlz_mpt": "Wlz: modulair pakket thuis", "wlz_pgb": "Wlz: pgb", "wlz_meerzorg": "Wlz: meerzorg",
    "pgb_support": "ondersteuning via pgb", "zin_support": "ondersteuning in natura",
    "any_support": "enige thuis- of maatschappelijke ondersteuning",
    "adult_successor": "volwassenenzorg (Wmo, Wlz of wijkverpleging)",
}
UNIT = {"days": "dagen", "visits": "bezoeken", "admissions": "opnames", "hours": "uren",
        "dagdelen": "dagdelen", "": ""}
GROUP_BY = {"overall": "totaal", "diagnostic_group": "diagnosegroep", "geslacht": "geslacht",
            "wlz_before": "Wlz vóór 18", "pgb_before": "pgb vóór 18", "nik_region": "NIK-regio"}
YES_NO = {"0": "nee", "1": "ja", "all": "alle"}
CENSOR_REASON = {"window_end": "24 maanden gevolgd", "death": "overleden",
                 "end_of_data": "einde van de gegevens", "insurance_end": "verzekering beëindigd (emigratie)"}
RD_SPEC = {"main": "hoofdanalyse", "donut": "zonder verjaardagsmaand (donut)"}
PERIOD = {"before": "12 maanden vóór 18", "after": "12 maanden vanaf 18"}
LAW = {"jeugdwet": "Jeugdwet", "wmo": "Wmo", "wlz": "Wlz"}
JW_MEASURE = {"extended": "Jeugdwet verlengd na 18", "wmo_within_12": "Wmo binnen 12 maanden na 18"}
TRANSITION_COLUMNS = {
    "cohort": "groep", "outcome": "uitkomst", "event_month": "maand t.o.v. 18e verjaardag",
    "n_at_risk": "personen in beeld", "n_using": "met zorg", "share_using": "aandeel met zorg",
    "estimate": "sprong (procentpunt)", "ci_low": "95%-BI laag", "ci_high": "95%-BI hoog",
    "bandwidth_months": "bandbreedte (maanden)", "n_persons": "personen", "spec": "analyse",
    "group_by": "indeling", "group": "subgroep", "n_gap": "met zorgval", "share_gap": "aandeel met zorgval",
    "median_months_to_adult_care": "mediaan maanden tot volwassenenzorg", "median_ci_low": "mediaan 95%-BI laag",
    "median_ci_high": "mediaan 95%-BI hoog", "rate_before": "per maand vóór 18", "rate_after": "per maand na 18",
    "rate_ratio": "verhouding na/vóór", "n_person_months": "persoonsmaanden", "description": "stap",
    "n_excluded": "afgevallen", "censor_reason": "einde follow-up", "median_months_followed": "mediaan maanden gevolgd",
    "law": "wet", "n_episodes": "episodes", "n_complete": "volledig in beeld",
    "median_length_months": "mediane duur (maanden)", "p25_length_months": "duur p25", "p75_length_months": "duur p75",
    "n_followed": "gevolgd door nieuwe episode", "median_gap_months": "mediane onderbreking (maanden)",
    "measure": "maat", "n_events": "aantal", "median_months": "mediaan maanden", "share": "aandeel",
    "period": "periode", "nik_region": "NIK-regio", "time": "maanden na 18", "cumulative_share": "bereikt",
    "n_with_hospital": "met ziekenhuiszorg", "n_paediatric": "kindergeneeskunde", "n_adult": "volwassenenspecialisme",
    "share_paediatric": "aandeel kindergeneeskunde", "term": "kenmerk", "hazard_ratio": "hazard ratio",
    "p_value": "p-waarde", "cause": "gebeurtenis", "statistic": "toetsgrootheid", "df": "vrijheidsgraden",
    "cumulative_incidence": "cumulatief aandeel", "cumulative_ci_low": "95%-BI laag",
    "cumulative_ci_high": "95%-BI hoog", "n_persons_time_to_care": "personen (tijd tot zorg)",
}
CAUSE = {"event": "volwassenenzorg", "competing": "overleden (concurrerend)"}
COX_TERM = {"geslacht[V]": "meisje/vrouw (t.o.v. jongen/man)", "geslacht[O]": "geslacht onbekend",
            "geslacht": "geslacht", "wlz_before": "Wlz vóór 18", "pgb_before": "pgb vóór 18",
            "jeugdwet_before": "Jeugdwet vóór 18", "ikz_before": "intensieve kindzorg vóór 18",
            "GLOBAL": "model als geheel"}
ATTRITION_STEP = {
    "found": "gevonden door een bron voor levensbeperkende aandoeningen",
    "m18_in_period": "18e verjaardagsmaand binnen de periode van de levering",
    "found_by_17_5": "gevonden op of vóór de leeftijd van 17½ jaar",
    "window_in_period": "de maanden vóór 18 vallen binnen de periode",
    "alive_insured_at_18": "in leven en verzekerd op de 18e verjaardag",
    "observed_before": "verzekerd in elke maand vóór 18",
    "never_found": "in de steekproef en nooit gevonden door een LBA-bron",
    "seeded_order": "onderzocht in de vaste willekeurige volgorde",
    "subset": "vergelijkingsgroep (ten hoogste het ingestelde aantal)",
}


# Care landscape (issue 17): laws, measures, domains, indicators, table columns.
LANDSCAPE_LAW = {"zvw": "Zvw", "wlz": "Wlz", "wmo": "Wmo", "jeugdwet": "Jeugdwet", "none": "geen",
                 "ikz_mkv": "intensieve kindzorg / MKV",
                 "three_laws": "drie of meer wetten", "three_streams": "drie of meer financieringsstromen"}
PGB_DOMAIN = {"zvw_home": "Zvw thuis (wijkverpleging, IKZ, MKV)", "wlz": "Wlz", "wmo": "Wmo", "jeugdwet": "Jeugdwet"}
EOL_MEASURE = {"hospital": "ziekenhuiszorg", "admissions": "opname", "intensive_care": "IC-dag",
               "emergency": "SEH-bezoek", "palliative_activity": "palliatieve zorgactiviteit (vanaf 2023)",
               "wijkverpleging": "wijkverpleging", "ikz_mkv": "intensieve kindzorg / MKV", "wlz": "Wlz-zorg",
               "high_intensity": "hoog-intensieve zorg (IC, ≥2 SEH-bezoeken of ≥2 opnames)",
               "hospital_death_month": "ziekenhuiszorg in de maand van overlijden"}
INSTITUTION_TYPE = {"umc": "UMC (academisch)", "algemeen": "algemeen ziekenhuis", "categoraal": "categoraal centrum",
                    "palliative_umc": "palliatieve zorgactiviteit in een UMC",
                    "palliative_algemeen": "palliatieve zorgactiviteit in een algemeen ziekenhuis",
                    "palliative_categoraal": "palliatieve zorgactiviteit in een categoraal centrum"}
LANDSCAPE_GROUP_BY = {"age_band": "leeftijdsgroep", "leeftijd": "leeftijd op 1 juli",
                      "diagnostic_group": "diagnosegroep", "nik_region": "NIK-regio",
                      "palliative_need": "behoefte aan palliatieve zorg"}
INDICATOR = {
    "llc_0_19": "kinderen (0–19) met een LBA, per 10.000 kinderen",
    "palliative_need_0_19": "kinderen (0–19) gemarkeerd met behoefte aan palliatieve zorg (ruwe telling, niet gecorrigeerd), per 10.000 kinderen",
    "deaths_llc_0_19": "overleden kinderen (0–19) met een LBA, per 1.000",
    "three_laws_0_17": "kinderen (0–17) met zorg uit drie of meer wetten (%)",
    "pgb_support": "ondersteunde kinderen en jongvolwassenen met een pgb (%)",
    "respite_0_17": "kinderen (0–17) met logeeropvang, per 1.000",
    "respite_18_25": "jongvolwassenen (18–25) met logeeropvang, per 1.000",
    "eol_high_intensity": "overledenen met hoog-intensieve zorg in de laatste 30 dagen (%)",
    "eol_palliative_activity": "overledenen met een palliatieve zorgactiviteit in de laatste 90 dagen (%)",
    "hospital_general_0_17": "kinderen (0–17) met ziekenhuiszorg die (ook) in een algemeen ziekenhuis kwamen (%)",
}
UNIT_INDICATOR = {"per_10000": "per 10.000", "per_1000": "per 1.000", "percent": "%"}
FUNNEL_FLAG = {"below": "lager dan landelijk", "above": "hoger dan landelijk", "within": "binnen de trechter"}
LANDSCAPE_COLUMNS = {
    "jaar": "jaar", "age_band": "leeftijdsgroep", "measure": "zorg", "n_persons": "personen",
    "n_using": "met deze zorg", "share": "aandeel", "ci_low": "BI laag", "ci_high": "BI hoog",
    "combination": "combinatie van wetten", "n_laws": "aantal wetten", "domain": "domein",
    "window_days": "venster (dagen)", "nik_region": "NIK-regio", "rate_per_1000": "per 1.000",
    "national_rate_per_1000": "landelijk per 1.000", "expected": "verwacht", "lower_flag": "trechter onder",
    "upper_flag": "trechter boven", "lower_95": "95%-grens onder", "upper_95": "95%-grens boven",
    "p_below": "p (lager)", "flag": "oordeel", "indicator": "indicator", "numerator": "teller",
    "denominator": "noemer", "value": "waarde", "unit": "eenheid", "group": "groep", "law": "wet",
    "n_episodes": "episodes", "n_complete": "volledig gezien", "median_length_months": "mediane duur (mnd)",
    "p25_length_months": "duur p25", "p75_length_months": "duur p75", "n_followed": "gevolgd door nieuwe",
    "median_gap_months": "mediaan hiaat (mnd)", "severe": "ernstig meervoudig beperkt (zorgprofiel)",
    "n_indications": "indicaties", "n_seamless": "naadloos verlengd",
}


# English twins of the transition and landscape tables (issue 14), registered with english().
# The law names (Zvw, Wlz, Wmo, Jeugdwet), pgb, NIK and the codes IKZ/MKV are Dutch proper names
# and stay; "LBA" is LLC (life-limiting condition), as in the English literature.
COHORT_EN = english(COHORT, {"llc": "young people with an LLC", "comparison": "comparison group (sample)",
                             "difference": "difference LLC − comparison"})
OUTCOME_EN = english(OUTCOME, {
    "hospital_paediatric": "hospital care, paediatrics",
    "hospital_adult": "hospital care, adult specialties",
    "ic_paediatric": "IC days, paediatric/neonatal IC", "ic_adult": "IC days, adult IC",
    "emergency": "emergency department visits", "nursing_days": "inpatient days", "admissions": "admissions",
    "ikz_mkv": "intensive home care for children (IKZ) / MKV", "wijkverpleging": "community nursing",
    "jeugdwet_any": "Jeugdwet (all youth care)", "jeugdwet_ambulant": "Jeugdwet: ambulatory youth care",
    "jeugdwet_verblijf": "Jeugdwet: youth care with stay", "jeugdwet_ggz": "Jeugdwet: youth mental health",
    "jeugdwet_dagbesteding": "Jeugdwet: day activities", "jeugdwet_respite": "Jeugdwet: respite/short stay",
    "wmo_any": "Wmo (all support)", "wmo_begeleiding": "Wmo: personal guidance",
    "wmo_dagbesteding": "Wmo: day activities", "wmo_respite": "Wmo: respite/short stay",
    "wmo_huishoudelijke_hulp": "Wmo: household help",
    "wmo_hulpmiddelen_woning": "Wmo: aids and home adaptations",
    "respite_any": "respite/short stay (Jeugdwet or Wmo)",
    "wlz_any": "Wlz (all care)", "wlz_verblijf": "Wlz: residential stay", "wlz_vpt": "Wlz: full package at home",
    "wlz_mpt": "Wlz: modular package at home", "wlz_pgb": "Wlz: pgb", "wlz_meerzorg": "Wlz: extra care (meerzorg)",
    "pgb_support": "support via a personal budget (pgb)", "zin_support": "support in kind",
    "any_support": "any home or social support",
    "adult_successor": "adult care (Wmo, Wlz or community nursing)",
})
UNIT_EN = english(UNIT, {"days": "days", "visits": "visits", "admissions": "admissions", "hours": "hours",
                         "dagdelen": "half-days", "": ""})
GROUP_BY_EN = english(GROUP_BY, {
    "overall": "total", "diagnostic_group": "diagnostic group", "geslacht": "sex",
    "wlz_before": "Wlz before 18", "pgb_before": "pgb before 18", "nik_region": "NIK region",
})
YES_NO_EN = english(YES_NO, {"0": "no", "1": "yes", "all": "all"})
CENSOR_REASON_EN = english(CENSOR_REASON, {
    "window_end": "followed for 24 months", "death": "died",
    "end_of_data": "end of the data", "insurance_end": "insurance ended (emigration)",
})
RD_SPEC_EN = english(RD_SPEC, {"main": "main analysis", "donut": "without the birthday month (donut)"})
PERIOD_EN = english(PERIOD, {"before": "12 months before 18", "after": "12 months from 18"})
LAW_EN = english(LAW, {"jeugdwet": "Jeugdwet", "wmo": "Wmo", "wlz": "Wlz"})
JW_MEASURE_EN = english(JW_MEASURE, {
    "extended": "Jeugdwet extended after 18", "wmo_within_12": "Wmo within 12 months of 18",
})
TRANSITION_COLUMNS_EN = english(TRANSITION_COLUMNS, {
    "cohort": "group", "outcome": "outcome", "event_month": "month relative to 18th birthday",
    "n_at_risk": "persons observed", "n_using": "with care", "share_using": "share with care",
    "estimate": "jump (percentage points)", "ci_low": "95% CI low", "ci_high": "95% CI high",
    "bandwidth_months": "bandwidth (months)", "n_persons": "persons", "spec": "analysis",
    "group_by": "grouping", "group": "subgroup", "n_gap": "with care gap", "share_gap": "share with care gap",
    "median_months_to_adult_care": "median months to adult care", "median_ci_low": "median 95% CI low",
    "median_ci_high": "median 95% CI high", "rate_before": "per month before 18", "rate_after": "per month after 18",
    "rate_ratio": "ratio after/before", "n_person_months": "person-months", "description": "step",
    "n_excluded": "dropped", "censor_reason": "end of follow-up", "median_months_followed": "median months followed",
    "law": "law", "n_episodes": "episodes", "n_complete": "fully observed",
    "median_length_months": "median length (months)", "p25_length_months": "length p25",
    "p75_length_months": "length p75", "n_followed": "followed by a new episode",
    "median_gap_months": "median interruption (months)",
    "measure": "measure", "n_events": "number", "median_months": "median months", "share": "share",
    "period": "period", "nik_region": "NIK region", "time": "months after 18", "cumulative_share": "reached",
    "n_with_hospital": "with hospital care", "n_paediatric": "paediatrics", "n_adult": "adult specialty",
    "share_paediatric": "share paediatrics", "term": "characteristic", "hazard_ratio": "hazard ratio",
    "p_value": "p-value", "cause": "event", "statistic": "test statistic", "df": "degrees of freedom",
    "cumulative_incidence": "cumulative share", "cumulative_ci_low": "95% CI low",
    "cumulative_ci_high": "95% CI high", "n_persons_time_to_care": "persons (time to care)",
})
CAUSE_EN = english(CAUSE, {"event": "adult care", "competing": "died (competing)"})
COX_TERM_EN = english(COX_TERM, {
    "geslacht[V]": "girl/woman (vs boy/man)", "geslacht[O]": "sex unknown",
    "geslacht": "sex", "wlz_before": "Wlz before 18", "pgb_before": "pgb before 18",
    "jeugdwet_before": "Jeugdwet before 18", "ikz_before": "intensive home care (IKZ) before 18",
    "GLOBAL": "model as a whole",
})
ATTRITION_STEP_EN = english(ATTRITION_STEP, {
    "found": "found by a source for life-limiting conditions",
    "m18_in_period": "18th-birthday month within the period of the extract",
    "found_by_17_5": "found at or before the age of 17½",
    "window_in_period": "the months before 18 lie within the period",
    "alive_insured_at_18": "alive and insured on the 18th birthday",
    "observed_before": "insured in every month before 18",
    "never_found": "in the sample and never found by an LLC source",
    "seeded_order": "examined in the fixed random order",
    "subset": "comparison group (at most the set number)",
})
LANDSCAPE_LAW_EN = english(LANDSCAPE_LAW, {
    "zvw": "Zvw", "wlz": "Wlz", "wmo": "Wmo", "jeugdwet": "Jeugdwet", "none": "none",
    "ikz_mkv": "intensive home care for children (IKZ) / MKV",
    "three_laws": "three or more laws", "three_streams": "three or more funding streams",
})
PGB_DOMAIN_EN = english(PGB_DOMAIN, {
    "zvw_home": "Zvw at home (community nursing, IKZ, MKV)", "wlz": "Wlz", "wmo": "Wmo",
    "jeugdwet": "Jeugdwet",
})
EOL_MEASURE_EN = english(EOL_MEASURE, {
    "hospital": "hospital care", "admissions": "admission", "intensive_care": "IC day",
    "emergency": "emergency department visit",
    "palliative_activity": "palliative care activity (from 2023)",
    "wijkverpleging": "community nursing", "ikz_mkv": "intensive home care for children (IKZ) / MKV",
    "wlz": "Wlz care",
    "high_intensity": "high-intensity care (IC, ≥2 emergency visits or ≥2 admissions)",
    "hospital_death_month": "hospital care in the month of death",
})
INSTITUTION_TYPE_EN = english(INSTITUTION_TYPE, {
    "umc": "university medical centre (UMC)", "algemeen": "general hospital",
    "categoraal": "specialised centre",
    "palliative_umc": "palliative care activity in a UMC",
    "palliative_algemeen": "palliative care activity in a general hospital",
    "palliative_categoraal": "palliative care activity in a specialised centre",
})
LANDSCAPE_GROUP_BY_EN = english(LANDSCAPE_GROUP_BY, {
    "age_band": "age group", "leeftijd": "age on 1 July",
    "diagnostic_group": "diagnostic group", "nik_region": "NIK region",
    "palliative_need": "need for palliative care",
})
INDICATOR_EN = english(INDICATOR, {
    "llc_0_19": "children (0–19) with an LLC, per 10,000 children",
    "palliative_need_0_19": "children (0–19) flagged with a need for palliative care (raw count, not corrected), "
                            "per 10,000 children",
    "deaths_llc_0_19": "deaths of children (0–19) with an LLC, per 1,000",
    "three_laws_0_17": "children (0–17) with care from three or more laws (%)",
    "pgb_support": "supported children and young adults with a pgb (%)",
    "respite_0_17": "children (0–17) with respite care, per 1,000",
    "respite_18_25": "young adults (18–25) with respite care, per 1,000",
    "eol_high_intensity": "decedents with high-intensity care in the last 30 days (%)",
    "eol_palliative_activity": "decedents with a palliative care activity in the last 90 days (%)",
    "hospital_general_0_17": "children (0–17) with hospital care who (also) attended a general hospital (%)",
})
UNIT_INDICATOR_EN = english(UNIT_INDICATOR, {"per_10000": "per 10,000", "per_1000": "per 1,000", "percent": "%"})
FUNNEL_FLAG_EN = english(FUNNEL_FLAG, {
    "below": "lower than national", "above": "higher than national", "within": "within the funnel",
})
LANDSCAPE_COLUMNS_EN = english(LANDSCAPE_COLUMNS, {
    "jaar": "year", "age_band": "age group", "measure": "care", "n_persons": "persons",
    "n_using": "with this care", "share": "share", "ci_low": "CI low", "ci_high": "CI high",
    "combination": "combination of laws", "n_laws": "number of laws", "domain": "domain",
    "window_days": "window (days)", "nik_region": "NIK region", "rate_per_1000": "per 1,000",
    "national_rate_per_1000": "national per 1,000", "expected": "expected", "lower_flag": "funnel lower",
    "upper_flag": "funnel upper", "lower_95": "95% limit lower", "upper_95": "95% limit upper",
    "p_below": "p (lower)", "flag": "verdict", "indicator": "indicator", "numerator": "numerator",
    "denominator": "denominator", "value": "value", "unit": "unit", "group": "group", "law": "law",
    "n_episodes": "episodes", "n_complete": "fully observed", "median_length_months": "median length (mo)",
    "p25_length_months": "length p25", "p75_length_months": "length p75", "n_followed": "followed by a new one",
    "median_gap_months": "median gap (mo)", "severe": "severely multiply disabled (care profile)",
    "n_indications": "indications", "n_seamless": "renewed without a gap",
})
