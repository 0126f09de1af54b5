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
           "ccc": "complexe chronische aandoening (CCC, Feudtner)",
           "palliative_need_plus_activity_v1": "behoefte v2 plus palliatieve zorgactiviteiten (vanaf 2023)",
           # the parts of the LLC × CCC overlap (publish.llc_ccc_overlap)
           "llc_and_ccc": "LBA én CCC", "llc_only": "alleen LBA", "ccc_only": "alleen CCC",
           "llc_hospital_code": "LBA met LBA-code in het ziekenhuis",
           "llc_and_ccc_hospital_code": "LBA-code én CCC", "llc_only_hospital_code": "alleen LBA-code",
           "ccc_only_hospital_code": "alleen CCC (t.o.v. LBA-code)"}
DIRECTION = {"in": "erbij", "out": "eraf"}
CR_STRATUM = {"under18": "jonger dan 18 op een dag van het jaar", "18plus": "het hele jaar 18 of ouder"}
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
    "step": "stapnummer", "standard": "standaardbevolking",
    "lookback_complete": "terugkijkperiode volledig", "criterion": "modelkeuze", "n_years": "aantal jaren",
    "p_value": "p-waarde", "n_moved": "verschoven kinderen", "direction": "richting",
    "n_observed_stratum": "gezien", "accuracy_source": "herkomst PPV en sensitiviteit",
}

CR_STATUS = {
    "estimated": "geschat", "fallback": "geschat met eenvoudiger model (terugval)",
    "not identifiable": "niet te schatten uit de tabel", "nobody seen": "niemand gezien",
    "strata combined": "strata gecombineerd",
    "corrected for misclassification": "gecorrigeerd voor misclassificatie",
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


#: CBS province codes (``personen.provincie_code``, extract spec v1).
PROVINCE = {"PV20": "Groningen", "PV21": "Fryslân", "PV22": "Drenthe", "PV23": "Overijssel",
            "PV24": "Flevoland", "PV25": "Gelderland", "PV26": "Utrecht", "PV27": "Noord-Holland",
            "PV28": "Zuid-Holland", "PV29": "Zeeland", "PV30": "Noord-Brabant", "PV31": "Limburg"}
#: Case-finding sources (``cohorts.cases.SOURCES``).
SOURCE = {"hospital_llc_code": "ziekenhuisdeclaratie met een LBA-code",
          "palliative_activity": "palliatieve zorgactiviteit in het ziekenhuis (vanaf 2023)",
          "ikz_mkv": "intensieve kindzorg / medisch kindzorgverblijf",
          "wlz_severe": "Wlz-indicatie ernstig meervoudig beperkt"}
#: Regression models of the trend table.
MODEL = {"poisson": "Poisson-regressie", "negative_binomial": "negatief-binomiale regressie",
         "quasi_poisson": "quasi-Poisson-regressie"}
#: Fields of the warehouse's ``meta_extract``.
META_FIELD = {"extract_id": "levering", "spec_version": "versie van de leveringsspecificatie",
              "period_start": "begin van de periode", "period_end": "einde van de periode",
              "design": "opzet", "sample_fraction": "steekproeffractie",
              "manifest_sha256": "controlegetal manifest (SHA-256)", "ingested_at": "ingelezen op",
              "package_version": "versie kpz-analytics bij inlezen", "git_commit": "git-commit bij inlezen"}
DESIGN = {"cohort_sample": "cohort plus steekproef", "population": "volledige populatie"}
LAYER = {"core": "kern", "mart": "analysetabel"}
UNIT_PREVALENCE = {"lines": "declaratieregels", "person-years": "persoonsjaren"}
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
#: What a disclosure-control status means, for readers of tables and exports.
STATUS = {"shown": "getoond", "zero": "nul (getoond)", "primary": "onderdrukt: minder dan de drempel",
          "secondary": "onderdrukt: aanvullend, zodat een verborgen cel niet terug te rekenen is",
          "derived": "onderdrukt: afgeleid van een onderdrukt aantal",
          "dominance": "onderdrukt: gedomineerd door één of twee bijdragen",
          "suppressed": "onderdrukt (alle redenen)"}


def prevalence_step(name: str, description: str) -> str:
    """Dutch text of a prevalence attrition step, from its ``name``."""
    if name in PREVALENCE_STEP:
        return PREVALENCE_STEP[name]
    if name.startswith("source_") and name[7:] in SOURCE:
        return f"persoonsjaren gezien door de bron {SOURCE[name[7:]]}"
    if name.startswith("marker_") and name[7:] in NEED_MARKER:
        return f"met de marker {NEED_MARKER[name[7:]]} in het jaar"
    return description


def definition_label(definition: str) -> str:
    """Dutch name of a case or need definition (``palliative_need_v2``; ``llc (…)`` → LBA)."""
    if not isinstance(definition, str):
        return definition
    if definition in NEED_DEFINITION:
        return NEED_DEFINITION[definition]
    head = definition.split(" ", 1)[0]
    return MEASURE.get(head, NEED_DEFINITION.get(head, definition))


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


def labelled(df: pd.DataFrame, columns: list[str], language: str = "nl", age_min: int = 0,
             age_max: int = 19) -> pd.DataFrame:
    """Select ``columns`` of a result table and, for ``language="nl"``, give Dutch names and values.

    Age groups are clipped to ``age_min``–``age_max`` in either language.
    """
    out = df[[c for c in columns if c in df.columns]].copy()
    if "age_group" in out:
        out["age_group"] = out["age_group"].map(lambda g: age_group_label(g, age_min, age_max))
    if language != "nl":
        return out
    if "provincie_code" in out:
        out["provincie_code"] = out["provincie_code"].map(PROVINCE).fillna(out["provincie_code"])
    if "model" in out:
        out["model"] = out["model"].map(lambda m: MODEL.get(m, m))
    if "description" in out and "name" in df.columns:
        out["description"] = [prevalence_step(n, d) for n, d in zip(df["name"], out["description"])]
    if "definition" in out:
        out["definition"] = out["definition"].map(definition_label)
    if "unit" in out:
        out["unit"] = out["unit"].map(lambda u: UNIT_PREVALENCE.get(u, u))
    if "measure" in out:
        out["measure"] = out["measure"].map(MEASURE).fillna(out["measure"])
    if "diagnostic_group" in out:
        out["diagnostic_group"] = out["diagnostic_group"].map(DIAGNOSTIC_GROUP).fillna(out["diagnostic_group"])
    if "geslacht" in out:
        out["geslacht"] = out["geslacht"].map(SEX_CHILDREN)
    if "variant" in out:
        out["variant"] = out["variant"].map(need_variant)
    if "basis" in out:
        out["basis"] = out["basis"].map(lambda b: BASIS.get(b, b))
    if "grouping" in out:
        out["grouping"] = out["grouping"].map(lambda g: GROUPING.get(g, g))
    if "status" in out:
        out["status"] = out["status"].map(lambda s: cr_status(s) if isinstance(s, str) else s)
    if "direction" in out:
        out["direction"] = out["direction"].map(lambda d: DIRECTION.get(d, d))
    if "stratum" in out:
        out["stratum"] = out["stratum"].map(lambda d: CR_STRATUM.get(d, d))
    if "llc_definition" in out:
        out["llc_definition"] = out["llc_definition"].map(lambda d: LLC_DEFINITION.get(d, d))
    return out.rename(columns=PREVALENCE_COLUMNS)


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
    "m18_in_period": "18e verjaardagsmaand binnen de periode van het extract",
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
