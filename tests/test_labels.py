"""Dutch labels of report tables."""

import pandas as pd

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
    assert labels.labelled(df, ["measure"], language="en")["measure"].tolist() == ["llc", "palliative_need_consistent"]


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
