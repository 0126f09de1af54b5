"""The prevalence report's sentences and figure texts, in Dutch and English.

The notebook ``02_prevalence`` shows tables of :mod:`kpz_analytics.analyses.prevalence` after
disclosure control; what it says about them is composed here, per report language, so the
notebook stays thin and one notebook renders both languages. Numbers are formatted by
:func:`figures.number` (Dutch 25.768 and 3,5; English 25,768 and 3.5).
"""

from __future__ import annotations

import math

from . import labels
from .figures import number

#: Figure texts and short sentences, per language.
TEXT = {
    "nl": {
        "year": "jaar", "years": "{n} jaar", "children": "aantal kinderen",
        "series_break": "vanaf 2023: palliatieve\nzorgactiviteiten declarabel",
        "new_source": "vanaf 2023: nieuwe bron\n(palliatieve zorgactiviteiten)",
        "lookback_incomplete": "terugkijkperiode onvolledig",
        "rate_axis": "per 10.000 kinderen ({age_min}–{age_max} jaar)",
        "by_year_title": "Prevalentie per jaar met {conf}-betrouwbaarheidsinterval (behoefte: gemarkeerd, ruw)",
        "corrected_label": "gecorrigeerd: {definition}", "flagged_raw": "gemarkeerd (ruw)",
        "need_title": "Behoefte aan palliatieve zorg met {conf}-interval",
        "change": "Verandering ten opzichte van het jaar ervoor (gecorrigeerd aantal, {conf}-interval; "
                  "verborgen waar een van beide jaren verborgen is):",
        "no_corrected": "Geen gecorrigeerde aantallen: ",
        "cr_band": "geschat totaal ({conf}-BI)", "cr_estimated": "geschat totaal",
        "cr_seen": "gezien in het jaar", "cr_lookback": "gezien incl. terugkijkperiode ({years})",
        "cr_need": "behoefte aan palliatieve zorg (gecorrigeerd)",
        "cr_title": "Gezien versus geschat aantal kinderen met een LBA",
        "age_x": "leeftijdsgroep (jaren, op 1 juli)", "age_y": "per 10.000 kinderen",
        "age_title": "Prevalentie naar leeftijd, {year} ({conf}-BI; behoefte ruw; ontbrekend: onderdrukt)",
        "dg_x": "aantal kinderen (ontbrekend: onderdrukt)", "dg_title": "Naar diagnosegroep, {year}",
        "left_out": "Niet getoond (een cel die elders verborgen is, zou hier zichtbaar zijn): ",
        "trend": "Trend: jaarlijkse procentuele verandering over de jaren met een volledige "
                 "terugkijkperiode. De reeksen \"zonder palliatieve zorgactiviteiten\" tellen zonder de "
                 "palliatieve zorgactiviteiten, die pas sinds 2023 gedeclareerd kunnen worden.",
        "warnings": "De analyse gaf {n} technische opmerking(en), vooral over de capture–recapture-"
                    "schatting (een bron die in een jaar niemand zag, een onstabiele modelfit of een interval "
                    "waarvan de ondergrens het geziene aantal is). Ze staan voluit in `prevalence_metadata.json` "
                    "bij de resultaattabellen van deze run (map `results/`).",
    },
    "en": {
        "year": "year", "years": "{n} years", "children": "number of children",
        "series_break": "from 2023: palliative care\nactivities claimable",
        "new_source": "from 2023: new source\n(palliative care activities)",
        "lookback_incomplete": "lookback incomplete",
        "rate_axis": "per 10,000 children (aged {age_min}–{age_max})",
        "by_year_title": "Prevalence per year with {conf} confidence interval (need: flagged, raw)",
        "corrected_label": "corrected: {definition}", "flagged_raw": "flagged (raw)",
        "need_title": "Need for palliative care with {conf} interval",
        "change": "Change from the year before (corrected number, {conf} interval; hidden where either "
                  "year is hidden):",
        "no_corrected": "No corrected numbers: ",
        "cr_band": "estimated total ({conf} CI)", "cr_estimated": "estimated total",
        "cr_seen": "seen in the year", "cr_lookback": "seen incl. lookback ({years})",
        "cr_need": "need for palliative care (corrected)",
        "cr_title": "Seen versus estimated number of children with an LLC",
        "age_x": "age group (years, on 1 July)", "age_y": "per 10,000 children",
        "age_title": "Prevalence by age, {year} ({conf} CI; need raw; missing: suppressed)",
        "dg_x": "number of children (missing: suppressed)", "dg_title": "By diagnostic group, {year}",
        "left_out": "Not shown (a cell hidden elsewhere would be visible here): ",
        "trend": "Trend: annual percentage change over the years with a complete lookback. The series "
                 "\"without palliative care activities\" count without the palliative care activities, "
                 "which can only be claimed since 2023.",
        "warnings": "The analysis gave {n} technical note(s), mostly on the capture–recapture estimate (a "
                    "source that saw nobody in a year, an unstable model fit or an interval whose lower limit "
                    "is the number seen). They are given in full in `prevalence_metadata.json` with the result "
                    "tables of this run (folder `results/`).",
    },
}

#: Table names of the prevalence publication (``tables_left_out``), for readers.
TABLE = {"prevalence_by_year": "prevalentie per jaar", "prevalence_by_age_group": "naar leeftijdsgroep",
         "prevalence_by_diagnostic_group": "naar diagnosegroep", "prevalence_by_nik_region": "naar NIK-regio",
         "prevalence_by_province": "naar provincie", "prevalence_standardised": "gestandaardiseerd",
         "prevalence_trend": "trend", "prevalence_lookback": "terugkijkperiodes",
         "prevalence_e84_variant": "indeling taaislijmziekte (E84)", "prevalence_ccc": "CCC (Feudtner)",
         "llc_ccc_overlap": "overlap LBA en CCC", "llc_ccc_overlap_hospital_code": "overlap LBA-code en CCC",
         "deaths_among_cases": "overlijden", "palliative_need_sensitivity": "gevoeligheid behoefte",
         "palliative_need_corrected": "behoefte gecorrigeerd", "palliative_need_change": "verandering behoefte",
         "capture_recapture": "capture–recapture", "capture_recapture_strata": "capture–recapture per stratum",
         "attrition": "selectiestappen"}
TABLE_EN = labels.english(TABLE, {
    "prevalence_by_year": "prevalence per year", "prevalence_by_age_group": "by age group",
    "prevalence_by_diagnostic_group": "by diagnostic group", "prevalence_by_nik_region": "by NIK region",
    "prevalence_by_province": "by province", "prevalence_standardised": "standardised",
    "prevalence_trend": "trend", "prevalence_lookback": "lookback periods",
    "prevalence_e84_variant": "grouping of cystic fibrosis (E84)", "prevalence_ccc": "CCC (Feudtner)",
    "llc_ccc_overlap": "overlap of LLC and CCC", "llc_ccc_overlap_hospital_code": "overlap of LLC code and CCC",
    "deaths_among_cases": "deaths", "palliative_need_sensitivity": "sensitivity of need",
    "palliative_need_corrected": "need corrected", "palliative_need_change": "change in need",
    "capture_recapture": "capture–recapture", "capture_recapture_strata": "capture–recapture by stratum",
    "attrition": "selection steps"})


def text(key: str, language: str = "nl", **values) -> str:
    """A figure text or sentence of the report in ``language``, with ``values`` filled in."""
    return TEXT[language][key].format(**values)


def years(n: int, language: str = "nl") -> str:
    """``2 jaar`` / ``2 years``, and ``1 year`` in English."""
    return f"{n} year" if language == "en" and n == 1 else text("years", language, n=n)


def _known(x) -> bool:
    return x is not None and not (isinstance(x, float) and math.isnan(x))


def headline(h: dict, conf: str, age_min: int, age_max: int, language: str = "nl") -> str:
    """The report's key message (the cell tagged ``summary``) from the published headline ``h``.

    ``conf`` is the confidence level as text (``95%``). Quotes the capture–recapture total when
    it could be estimated, else the children seen; the need for palliative care corrected for
    misclassification when it could be, else the flagged (raw) count, else says it is suppressed.
    """
    num = lambda x: number(x, 0, language)  # noqa: E731
    last = h["jaar"]
    nl = language == "nl"
    if h["need_quoted"] == "corrected" and _known(h.get("n_need")):
        need = (f"naar schatting **{num(h['n_need'])}** kinderen ({conf}-BI {num(h['need_ci_low'])}–"
                f"{num(h['need_ci_high'])}) hadden dat jaar behoefte aan palliatieve zorg "
                f"({num(h['n_need_flagged'])} gemarkeerd in de declaraties, gecorrigeerd voor misclassificatie)"
                if nl else
                f"an estimated **{num(h['n_need'])}** children ({conf} CI {num(h['need_ci_low'])}–"
                f"{num(h['need_ci_high'])}) needed palliative care that year "
                f"({num(h['n_need_flagged'])} flagged in claims, corrected for misclassification)")
    elif _known(h.get("n_need")):
        need = (f"**{num(h['n_need'])}** kinderen ({conf}-BI {num(h['need_ci_low'])}–{num(h['need_ci_high'])}) "
                "waren gemarkeerd als kind met behoefte aan palliatieve zorg (ruwe telling, niet gecorrigeerd "
                "voor misclassificatie: er zijn geen geldige PPV en sensitiviteit voor dit extract)"
                if nl else
                f"**{num(h['n_need'])}** children ({conf} CI {num(h['need_ci_low'])}–{num(h['need_ci_high'])}) "
                "were flagged as needing palliative care (raw count, not corrected for misclassification: "
                "there are no valid PPV and sensitivity for this extract)")
    else:
        need = ("het aantal kinderen met behoefte aan palliatieve zorg is onderdrukt (te klein om te tonen)"
                if nl else "the number of children needing palliative care is suppressed (too small to show)")
    if _known(h.get("n_estimated")):
        if nl:
            return (f"In {last} leefden naar schatting **{num(h['n_estimated'])}** kinderen van {age_min}–{age_max} "
                    f"jaar met een levensbeperkende aandoening ({conf}-BI {num(h['ci_low'])}–{num(h['ci_high'])}); "
                    f"{need}.")
        return (f"In {last} an estimated **{num(h['n_estimated'])}** children aged {age_min}–{age_max} lived with "
                f"a life-limiting condition ({conf} CI {num(h['ci_low'])}–{num(h['ci_high'])}); {need}.")
    if nl:
        return (f"In {last} waren **{num(h['n_llc_cases'])}** kinderen van {age_min}–{age_max} jaar met een "
                "levensbeperkende aandoening zichtbaar in de declaraties (een schatting inclusief de kinderen "
                f"die geen bron ziet, was niet te maken); {need}.")
    return (f"In {last} **{num(h['n_llc_cases'])}** children aged {age_min}–{age_max} with a life-limiting "
            "condition were visible in claims (an estimate including the children no source sees could not "
            f"be made); {need}.")


def three_counts(h: dict, lookback: int, sources: list[str], basis: str, age_min: int, age_max: int,
                 language: str = "nl") -> str:
    """The three numbers of children with an LLC in the last year, each with what it means."""
    num = lambda x: number(x, 0, language)  # noqa: E731
    last = h["jaar"]
    source_text = ", ".join(labels.label(labels.SOURCE, s, language) for s in sources)
    basis_text = labels.label(labels.BASIS, basis, language)
    corrected = h["need_quoted"] == "corrected"
    if language == "nl":
        return (
            f"Drie aantallen kinderen met een LBA in {last}, elk met een eigen betekenis:\n\n"
            f"* **{num(h['n_estimated'])}** — *geschat totaal*: de kinderen die een bron in {last} zelf zag, plus "
            "de kinderen die geen enkele bron zag, geschat met capture–recapture (de kernboodschap);\n"
            f"* **{num(h['n_observed'])}** — *gezien in {last}*: kinderen die in {last} zelf door minstens één "
            "bron zijn gezien (de basis van de schatting);\n"
            f"* **{num(h['n_llc_cases'])}** — *gezien met terugkijkperiode*: kinderen die in {last} of de "
            f"{lookback} jaar ervoor door een bron zijn gezien en in {last} leefden en verzekerd waren "
            "(de tabellen hieronder; zo tellen ook kinderen mee die in het jaar zelf geen zorg declareerden).\n\n"
            f"Leeftijd {age_min}–{age_max} jaar op 1 juli; bronnen: {source_text}; basis: {basis_text}. "
            "Het getal voor behoefte aan palliatieve zorg in de kernboodschap is "
            + ("het aantal gecorrigeerd voor misclassificatie (hieronder), niet het aantal gemarkeerde kinderen."
               if corrected else "het aantal gemarkeerde kinderen (ruwe telling)."))
    return (
        f"Three numbers of children with an LLC in {last}, each with its own meaning:\n\n"
        f"* **{num(h['n_estimated'])}** — *estimated total*: the children a source saw in {last} itself, plus "
        "the children no source saw, estimated by capture–recapture (the key message);\n"
        f"* **{num(h['n_observed'])}** — *seen in {last}*: children seen by at least one source in {last} itself "
        "(the basis of the estimate);\n"
        f"* **{num(h['n_llc_cases'])}** — *seen with lookback*: children seen by a source in {last} or the "
        f"{years(lookback, language)} before, who were alive and insured in {last} (the tables below; this way "
        "children who claimed no care in the year itself count too).\n\n"
        f"Age {age_min}–{age_max} on 1 July; sources: {source_text}; basis: {basis_text}. "
        "The number for need for palliative care in the key message is "
        + ("the number corrected for misclassification (below), not the number of children flagged."
           if corrected else "the number of children flagged (raw count)."))


def tables_left_out(names: list[str], language: str = "nl") -> str:
    """The sentence naming the tables left out of the report (a hidden cell would show in them)."""
    return text("left_out", language) + ", ".join(labels.label(TABLE, n, language) for n in names) + "."
