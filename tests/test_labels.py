"""Labels of report tables: Dutch, and the English twins of the same tables."""

import re

import pandas as pd
import pytest

from kpz_analytics.reporting import labels


def test_need_variants_in_dutch():
    assert labels.need_variant("all markers") == "alle markers"
    assert labels.need_variant("only ikz_mkv") == "alleen intensieve kindzorg / MKV"
    assert labels.need_variant("without death") == "zonder overlijden"
    assert labels.need_variant("emergency_run >= 6 (default 3)") == "reeks SEH-bezoeken >= 6 (standaard 3)"
    assert labels.need_variant("something new") == "something new"  # unknown: shown as is


def test_labelled_translates_values_and_columns():
    df = pd.DataFrame({"measure": ["llc", "palliative_need_consistent"], "variant": ["only death", "all markers"],
                       "n_cases": [3, 4]})
    out = labels.labelled(df, ["measure", "variant", "n_cases"])
    assert list(out.columns) == ["maat", "variant", "aantal"]
    assert out["maat"].tolist() == ["levensbeperkende aandoening (LBA)",
                                    "behoefte, zonder palliatieve zorgactiviteiten"]
    assert out["variant"].tolist() == ["alleen overlijden", "alle markers"]
    en = labels.labelled(df, ["measure", "variant", "n_cases"], language="en")
    assert list(en.columns) == ["measure", "variant", "number"]
    assert en["measure"].tolist() == ["life-limiting condition (LLC)", "need, without palliative care activities"]
    assert en["variant"].tolist() == ["only death", "all markers"]


def test_issue15_labels():
    assert labels.need_variant("definition palliative_need_v1").startswith("definitie behoefte v1")
    assert labels.cr_status("pooled (stratum 18plus not identifiable)") == \
        "samengevoegde tabel (stratum 18plus niet te schatten)"
    assert labels.cr_status("not identifiable") == "niet te schatten uit de tabel"
    df = pd.DataFrame({"definition": ["palliative_need_v2"], "basis": ["point"], "flagged": [5],
                       "grouping": ["e84_respiratory"], "measure": ["ccc"]})
    out = labels.labelled(df, ["definition", "basis", "flagged", "grouping", "measure"])
    assert out.iloc[0].tolist() == [labels.NEED_DEFINITION["palliative_need_v2"], labels.BASIS["point"], 5,
                                    "taaislijmziekte (E84) onder luchtwegen",
                                    "complexe chronische aandoening (CCC, Feudtner)"]
    assert "gemarkeerd in declaraties" in out.columns


def test_english_twins_have_the_keys_of_their_dutch_tables():
    with pytest.raises(ValueError, match="keys of its Dutch table: b"):
        labels.english({"a": "een"}, {"a": "one", "b": "two"})
    assert labels.in_language(labels.DOMAIN, "nl") is labels.DOMAIN
    assert labels.in_language(labels.DOMAIN, "en") is labels.DOMAIN_EN
    assert labels.label(labels.SEX, "V", "en") == "girls/women" and labels.label(labels.SEX, "V") == "meisjes/vrouwen"
    assert labels.label(labels.SEX, "X", "en") == "X"  # unknown code: shown as is
    with pytest.raises(KeyError, match="no labels in language 'fr'"):
        labels.in_language(labels.DOMAIN, "fr")
    with pytest.raises(KeyError, match="has no English twin"):
        labels.in_language({"x": "iks"}, "en")
    # every table the prevalence and data-quality reports use has a twin with the same keys
    for name in ("DOMAIN", "DQ_COLUMNS", "QUARANTINE_REASON", "SEX", "SEX_CHILDREN", "MEASURE", "DIRECTION",
                 "CR_STRATUM", "NEED_DEFINITION", "BASIS", "GROUPING", "LLC_DEFINITION", "DIAGNOSTIC_GROUP",
                 "PREVALENCE_COLUMNS", "CR_STATUS", "NEED_MARKER", "PROVINCE", "SOURCE", "MODEL", "META_FIELD",
                 "DESIGN", "LAYER", "UNIT_PREVALENCE", "PREVALENCE_STEP", "STATUS"):
        dutch = getattr(labels, name)
        twin = labels.in_language(dutch, "en")
        assert set(twin) == set(dutch), name
        # no Dutch text left in a twin (proper names and abbreviations may be the same)
        for code, text in twin.items():
            dutch = re.search(r"\b(een|het|de|van|met|zonder|alleen|jaar|aantal|kinderen)\b", text)
            assert not dutch, (name, code, text)


def test_english_composed_labels():
    assert labels.need_variant("only ikz_mkv", "en") == "only intensive child care / MKV"
    assert labels.need_variant("emergency_run >= 6 (default 3)", "en") == "run of emergency visits >= 6 (default 3)"
    assert labels.need_variant("definition palliative_need_v1", "en").startswith("definition need v1")
    assert labels.cr_status("pooled (stratum 18plus not identifiable)", "en") == \
        "pooled table (stratum '18 or older all year' not identifiable)"
    assert labels.cr_status("fallback", "en") == "estimated with a simpler model (fallback)"
    assert labels.prevalence_step("source_ikz_mkv", "x", "en").startswith("person-years seen by the source intensive")
    assert labels.prevalence_step("marker_death", "x", "en") == "with the marker death in the year"
    assert labels.definition_label("llc (lookback 2)", "en") == "life-limiting condition (LLC)"
    assert labels.sources_label("hospital_llc_code,ikz_mkv", "en") == \
        "hospital claim with an LLC code; intensive child care / medical child care stay (IKZ/MKV)"
    df = pd.DataFrame({"provincie_code": ["PV27"], "geslacht": ["V"], "status": ["estimated"], "model": ["poisson"],
                       "stratum": ["under18"], "rate_per_10000": [1.5]})
    out = labels.labelled(df, list(df.columns), language="en")
    assert list(out.columns) == ["province", "sex", "status", "model", "age", "per 10,000"]
    assert out.iloc[0].tolist() == ["Noord-Holland", "girls", "estimated", "Poisson regression",
                                    "under 18 on some day of the year", 1.5]


def test_percent_ticks_have_the_decimals_their_spacing_needs():
    from kpz_analytics.reporting import figures

    nl = figures.percent_axis("nl")
    assert nl.format_ticks([0.0, 0.1, 0.2]) == ["0%", "10%", "20%"]
    # ticks half a percent apart: none may read like its neighbour
    assert nl.format_ticks([0.005, 0.01, 0.015]) == ["0,5%", "1,0%", "1,5%"]
    assert nl.format_ticks([0.0, 0.0025, 0.005]) == ["0,00%", "0,25%", "0,50%"]
    assert figures.percent_axis("en").format_ticks([0.005, 0.01]) == ["0.5%", "1.0%"]
    assert figures.percent_axis("nl")(0.25) == "25%"  # a label before any ticks were set
