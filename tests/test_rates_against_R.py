"""kpz_analytics.methods.rates pinned to R reference values.

The fixtures in tests/fixtures/r/rates_*.csv were produced by
``Rscript tests/fixtures/r/rates_reference.R`` (R 4.2.2, MASS 7.3-58.2; the command and version
are in each file's first line). R is not needed to run these tests.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kpz_analytics.refdata import standard_population
from kpz_analytics.methods.rates import RateWarning, direct_standardise, poisson_ci, poisson_trend

FIXTURES = Path(__file__).parent / "fixtures" / "r"
INTERVAL_RTOL = 1e-6
GLM_RTOL = 1e-4


def _read(name: str) -> pd.DataFrame:
    path = FIXTURES / name
    first = path.read_text().splitlines()[0]
    assert first.startswith("# Produced by: Rscript tests/fixtures/r/rates_reference.R"), first
    return pd.read_csv(path, comment="#")


def test_poisson_ci_matches_poisson_test():
    ref = _read("rates_poisson_ci.csv")
    assert len(ref) == 30 and set(ref["x"]) == {0, 1, 7, 50, 1234}
    for cl, part in ref.groupby("conf_level"):
        low, high = poisson_ci(part["x"].to_numpy(), alpha=1 - cl)
        np.testing.assert_allclose(low / part["T"], part["lower"], rtol=INTERVAL_RTOL, atol=0)
        np.testing.assert_allclose(high / part["T"], part["upper"], rtol=INTERVAL_RTOL, atol=0)


@pytest.mark.parametrize("table", ["equidispersed", "overdispersed", "three_years"])
def test_poisson_trend_matches_glm_and_glm_nb(table):
    data = _read("rates_trend_input.csv")
    ref = _read("rates_trend_reference.csv")
    data = data[data["table"] == table].rename(columns={"n": "n_cases", "pop": "population"})
    expected = ref[(ref["table"] == table) & ref["chosen"]].iloc[0]
    poisson_ref = ref[(ref["table"] == table) & (ref["fit"] == "poisson")].iloc[0]

    got = poisson_trend(data).iloc[0]
    assert got["model"] == expected["fit"]
    assert got["n_years"] == len(data)
    # Quasi-Poisson dispersion of the Poisson fit, whichever model is chosen.
    assert got["dispersion"] == pytest.approx(poisson_ref["dispersion"], rel=GLM_RTOL)
    for column in ["beta", "se", "p_value", "deviance", "apc", "apc_ci_low", "apc_ci_high"]:
        assert got[column] == pytest.approx(expected[column], rel=GLM_RTOL), column
    if expected["fit"] == "negative_binomial":
        assert got["nb_alpha"] == pytest.approx(expected["nb_alpha"], rel=GLM_RTOL)
        assert got["overdispersion_p"] == pytest.approx(expected["lr_p"], rel=GLM_RTOL)


def test_overdispersed_fixture_really_exercises_the_nb_branch():
    ref = _read("rates_trend_reference.csv")
    chosen = ref[ref["chosen"]].set_index("table")["fit"].to_dict()
    assert chosen == {
        "equidispersed": "poisson",
        "overdispersed": "negative_binomial",
        "three_years": "poisson",
    }


@pytest.mark.parametrize("conf_level", [0.95, 0.90])
def test_direct_standardise_matches_fay_feuer_in_R(conf_level):
    data = _read("rates_dsr_input.csv").rename(columns={"n": "n_cases", "pop": "population"})
    ref = _read("rates_dsr_reference.csv")
    ref = ref[ref["conf_level"] == conf_level].reset_index(drop=True)
    # Group B has a stratum with population 0: re-normalised with a warning.
    with pytest.warns(RateWarning, match="grp.*B.*<1 V"):
        got = direct_standardise(data, by="grp", alpha=1 - conf_level, standard=standard_population("esp2013"))
    assert got["grp"].tolist() == ref["grp"].tolist() == ["A", "B", "C"]
    np.testing.assert_array_equal(got["n_cases"], ref["n_cases"])
    np.testing.assert_array_equal(got["population"], ref["population"])
    for column in ["crude_rate", "std_rate", "ci_low", "ci_high"]:
        np.testing.assert_allclose(got[column], ref[column], rtol=INTERVAL_RTOL, atol=0, err_msg=column)
