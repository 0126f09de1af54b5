"""Dutch labels for report tables and figures: the one place where code names get their Dutch text."""

DOMAIN = {
    "hospital": "Ziekenhuiszorg (DOT)",
    "hospital_activity": "Zorgactiviteiten ziekenhuis",
    "zvw": "Overige Zvw-zorg",
    "wlz": "Wlz",
    "wmo": "Wmo",
    "jeugdwet": "Jeugdwet",
}

SUBDOMAIN = {
    "paediatrics": "kindergeneeskunde",
    "adult": "volwassenenspecialisme",
    "ic_day_paediatric": "IC-dag kinderen (PICU)",
    "ic_day_adult": "IC-dag volwassenen",
    "emergency_visit": "SEH-bezoek",
    "outpatient_visit": "polikliniekbezoek",
    "palliative_care": "kinderpalliatieve zorg",
    "nursing_day": "verpleegdag",
    "intensieve_kindzorg": "intensieve kindzorg",
    "medisch_kindzorgverblijf": "medisch kindzorgverblijf",
    "wijkverpleging": "wijkverpleging",
}

TABLE = {
    "personen": "personen", "verzekeringsperioden": "verzekeringsperioden",
    "populatie": "populatie", "dot": "DOT-subtrajecten", "dot_zorgactiviteiten": "zorgactiviteiten",
    "zvw_overig": "overige Zvw", "wlz_indicaties": "Wlz-indicaties",
    "wlz_declaraties": "Wlz-declaraties", "wmo": "Wmo", "jeugdwet": "Jeugdwet",
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


def label(mapping: dict, value) -> str:
    """Dutch label for a code, falling back to the code itself."""
    return mapping.get(value, value)
