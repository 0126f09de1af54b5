"""Dutch labels for report tables and figures: the one place where code names get their Dutch text."""

from __future__ import annotations

import pandas as pd

DOMAIN = {
    "hospital": "Ziekenhuiszorg (DOT)",
    "hospital_activity": "Zorgactiviteiten ziekenhuis",
    "zvw": "Overige Zvw-zorg",
    "wlz": "Wlz",
    "wmo": "Wmo",
    "jeugdwet": "Jeugdwet",
}


DQ_COLUMNS = {
    "file": "bestand", "rows_in": "rijen in", "rows_kept": "rijen behouden",
    "rows_quarantined": "rijen in quarantaine", "duplicates_removed": "dubbele rijen verwijderd",
    "credits_netted": "creditregels verrekend", "lines_cancelled": "regels gecrediteerd",
    "reason": "reden", "n_rows": "aantal rijen",
}

QUARANTINE_REASON = {
    "date": "ongeldige datum", "period_order": "einddatum vóór begindatum",
    "unknown_person": "onbekende persoon", "enum": "waarde buiten toegestane set",
    "negative": "negatief bedrag/aantal (geen creditregel)", "missing": "verplichte waarde ontbreekt",
    "out_of_period": "buiten de periode", "number": "ongeldig getal",
    "conflict": "conflicterende regels met dezelfde sleutel", "orphan_credit": "creditregel zonder origineel",
}

SEX = {"M": "jongens/mannen", "V": "meisjes/vrouwen", "O": "onbekend"}
SEX_CHILDREN = {"M": "jongens", "V": "meisjes", "O": "onbekend"}  # tables of ages 0-19


# Prevalence (issue 9): measures, Fraser/Hain diagnostic groups, result-table columns.
MEASURE = {"llc": "levensbeperkende aandoening (LBA)",
              "palliative_need": "behoefte aan palliatieve zorg",
           "llc_consistent": "LBA, zonder palliatieve zorgactiviteiten",
           "palliative_need_consistent": "behoefte, zonder palliatieve zorgactiviteiten",
           "ccc": "complexe chronische aandoening (CCC, Feudtner)"}
# Need definitions (issue 15): the default v2 and the variant with the 2023 activities.
NEED_DEFINITION = {
    "palliative_need_v1": "behoefte v1 (elke marker, incl. IKZ/MKV en palliatieve zorgactiviteit)",
    "palliative_need_v2": "behoefte v2 (intensiteit: IC, SEH-reeks, opnamereeks, overlijden)",
    "palliative_need_plus_activity_v1": "behoefte v2 plus palliatieve zorgactiviteiten (vanaf 2023)",
}
BASIS = {"period": "periode (in leven en verzekerd op een dag van het jaar)",
         "point": "peildatum 1 juli (in leven en verzekerd op 1 juli)"}
GROUPING = {"e84_respiratory": "taaislijmziekte (E84) onder luchtwegen"}
LLC_DEFINITION = {"llc_all_sources": "LBA, alle bronnen", "llc_hospital_code": "LBA, met LBA-code in het ziekenhuis"}
DIAGNOSTIC_GROUP = {
    "congenital": "aangeboren afwijkingen", "oncology": "oncologie", "neurology": "neurologie",
    "haematology": "hematologie", "respiratory": "luchtwegen", "perinatal": "perinataal",
    "genitourinary": "urogenitaal", "metabolic": "metabool", "circulatory": "hart en vaten",
    "gastrointestinal": "maag-darm", "other": "overig", "no_llc_code": "geen LBA-code (andere bron)",
}
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
}

CR_STATUS = {
    "estimated": "geschat", "fallback": "geschat met eenvoudiger model (terugval)",
    "not identifiable": "niet te schatten uit de tabel", "nobody seen": "niemand gezien",
    "strata combined": "strata gecombineerd",
}


def cr_status(status: str) -> str:
    """Dutch text of a capture-recapture status (``pooled (stratum 18plus not identifiable)`` too)."""
    if status.startswith("pooled"):
        inner = status[status.find("(") + 1:status.rfind(")")].replace("not identifiable", "niet te schatten")
        return f"samengevoegde tabel ({inner})"
    return CR_STATUS.get(status, status)

NEED_MARKER = {
    "palliative_activity": "palliatieve zorgactiviteit", "intensive_care": "IC-dagen",
    "emergency_run": "reeks SEH-bezoeken", "admission_run": "reeks opnamedagen",
    "ikz_mkv": "intensieve kindzorg / MKV", "death": "overlijden",
}


def need_variant(variant: str) -> str:
    """Dutch text of a palliative-need sensitivity variant ('only ikz_mkv', 'emergency_run >= 6 (default 3)')."""
    if variant == "all markers":
        return "alle markers"
    if variant.startswith("definition "):
        name = variant[len("definition "):]
        return "definitie " + NEED_DEFINITION.get(name, name)
    for en, nl in (("only ", "alleen "), ("without ", "zonder ")):
        if variant.startswith(en) and variant[len(en):] in NEED_MARKER:
            return nl + NEED_MARKER[variant[len(en):]]
    marker, _, rest = variant.partition(" ")
    if marker in NEED_MARKER:
        return f"{NEED_MARKER[marker]} {rest.replace('default', 'standaard')}"
    return variant


def label(mapping: dict, value) -> str:
    """Dutch label for a code, falling back to the code itself."""
    return mapping.get(value, value)


def labelled(df: pd.DataFrame, columns: list[str], language: str = "nl") -> pd.DataFrame:
    """Select ``columns`` of a result table and, for ``language="nl"``, give Dutch names and values."""
    out = df[columns].copy()
    if language != "nl":
        return out
    if "measure" in out:
        out["measure"] = out["measure"].map(MEASURE).fillna(out["measure"])
    if "diagnostic_group" in out:
        out["diagnostic_group"] = out["diagnostic_group"].map(DIAGNOSTIC_GROUP).fillna(out["diagnostic_group"])
    if "geslacht" in out:
        out["geslacht"] = out["geslacht"].map(SEX_CHILDREN)
    if "variant" in out:
        out["variant"] = out["variant"].map(need_variant)
    if "definition" in out:
        out["definition"] = out["definition"].map(lambda d: NEED_DEFINITION.get(d, d))
    if "basis" in out:
        out["basis"] = out["basis"].map(lambda b: BASIS.get(b, b))
    if "grouping" in out:
        out["grouping"] = out["grouping"].map(lambda g: GROUPING.get(g, g))
    if "status" in out:
        out["status"] = out["status"].map(lambda s: cr_status(s) if isinstance(s, str) else s)
    if "llc_definition" in out:
        out["llc_definition"] = out["llc_definition"].map(lambda d: LLC_DEFINITION.get(d, d))
    return out.rename(columns=PREVALENCE_COLUMNS)
