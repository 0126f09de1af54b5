"""kpz_analytics.methods.capture_recapture against independent references computed in R.

* ``tests/fixtures/r/cr_reference_<name>.csv``: base R ``glm(n ~ ..., family = poisson)`` for every
  hierarchical model (main effects + any subset of two-way terms) on a 3-, 4- and 5-source table;
  produced by ``Rscript tests/fixtures/r/cr_reference.R`` (the R version is in each file's first
  line). Python must match to 1e-6 relative for every model.
* ``tests/fixtures/r/cr_rcapture_profile.csv``: Rcapture 1.4-4 ``closedpCI.t`` (Poisson estimate,
  its standard error, the multinomial profile-likelihood maximum and interval of Cormack 1992).
  Rcapture uses Stirling's approximation for log N! above N = 100 and ``optimize``/``uniroot``
  with tolerance 1e-4, so the interval is compared to 0.05 person. The HIV row uses
  ``tests/fixtures/cr_published_hiv.csv``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kpz_analytics.methods.capture_recapture import estimate, fit_models

R_DIR = Path(__file__).parent / "fixtures" / "r"
TABLES = {"hav": 3, "diabetes": 4, "congenital": 5}


def _input(name: str) -> pd.DataFrame:
    if name == "hiv":
        return pd.read_csv(R_DIR.parent / "cr_published_hiv.csv", comment="#")
    return pd.read_csv(R_DIR / f"cr_input_{name}.csv", comment="#")


def _reference(name: str) -> pd.DataFrame:
    return pd.read_csv(R_DIR / f"cr_reference_{name}.csv", comment="#", keep_default_na=False)


def test_reference_files_record_how_they_were_made():
    for name in TABLES:
        first = (R_DIR / f"cr_reference_{name}.csv").read_text().splitlines()[0]
        assert first.startswith("# Produced by: Rscript tests/fixtures/r/cr_reference.R (R version")


@pytest.mark.parametrize("name", list(TABLES))
def test_every_model_matches_R_glm(name):
    k = TABLES[name]
    ref = _reference(name)
    assert len(ref) == {3: 8, 4: 64, 5: 1024}[k]
    assert (ref["converged"] == 1).all() and (ref["glm_warning"] == 0).all()
    py = fit_models(_input(name))
    assert len(py) == len(ref)
    assert py["model"].is_unique
    both = ref.merge(py, on="model", suffixes=("_r", "_py"), validate="one_to_one")
    assert len(both) == len(ref), "model names differ between R and Python"
    assert (both["terms_r"] == both["terms_py"]).all()
    assert (both["df_r"] == both["df_py"]).all()
    assert (both["n_params_r"] == both["n_params_py"]).all()
    for col in ("aic", "bic", "n_unseen"):
        np.testing.assert_allclose(both[f"{col}_py"], both[f"{col}_r"], rtol=1e-6, err_msg=col)
    # A model with df = 0 fits exactly: its deviance is zero up to rounding in both programs.
    np.testing.assert_allclose(both["deviance_py"], both["deviance_r"], rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(
        both["n_estimated"], both["n_unseen_r"] + _input(name)["n"].sum(), rtol=1e-6
    )


def test_selected_models_are_the_R_minimum():
    for name in TABLES:
        ref = _reference(name)
        for crit in ("aic", "bic"):
            res = estimate(_input(name), criterion=crit)
            assert not res.models["unstable"].any()
            assert res.model == ref.loc[ref[crit].idxmin(), "model"]
            assert res.n_unseen == pytest.approx(ref.loc[ref[crit].idxmin(), "n_unseen"], rel=1e-6)


RCAPTURE = pd.read_csv(R_DIR / "cr_rcapture_profile.csv", comment="#")


@pytest.mark.parametrize("row", RCAPTURE.to_dict("records"), ids=lambda r: f"{r['table']}{r['model']}")
def test_profile_interval_matches_rcapture(row):
    res = estimate(_input(row["table"]), model=row["model"], alpha=row["alpha"])
    assert res.n_estimated == pytest.approx(row["abundance"], rel=1e-7)
    assert res.se == pytest.approx(row["stderr"], rel=1e-4)
    assert res.n_profile_max == pytest.approx(row["n_profile_max"], abs=0.05)
    assert res.ci_low == pytest.approx(row["ci_low"], abs=0.05)
    assert res.ci_high == pytest.approx(row["ci_high"], abs=0.05)
