"""Disclosure control: hand-built tables with exact suppression patterns, and refusals.

The attack itself (known leaks, an independent LP, random linked publications) is tested in
``test_attack.py``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from kpz_analytics.errors import KpzError, ParameterError
from kpz_analytics.methods.disclosure import (
    STATUSES,
    Dim,
    Magnitude,
    ProtectedSet,
    TableSpec,
    attack,
    check_aggregate,
    nk_rule,
    p_ratio_rule,
    protect,
    threshold_rule,
)


# --------------------------------------------------------------------------- helpers
def crosstab(cells: dict[tuple[str, str], int], rows=("regio", "A B"), cols=("geslacht", "M V O"),
             margins: bool = True) -> pd.DataFrame:
    """A two-way table in long form, with row, column and grand totals ("Totaal")."""
    rname, rcodes = rows[0], rows[1].split()
    cname, ccodes = cols[0], cols[1].split()
    out = [(r, c, cells[(r, c)]) for r in rcodes for c in ccodes]
    if margins:
        out += [(r, "Totaal", sum(cells[(r, c)] for c in ccodes)) for r in rcodes]
        out += [("Totaal", c, sum(cells[(r, c)] for r in rcodes)) for c in ccodes]
        out += [("Totaal", "Totaal", sum(cells.values()))]
    return pd.DataFrame(out, columns=[rname, cname, "n_cases"])


def by_year(name: str, dim: str, cats: list[str], values: list[list[int]], years=(2023, 2024)):
    """A year × category table with a year total per year (persons: years not additive)."""
    rows = []
    for y, row in zip(years, values):
        rows += [(y, c, v) for c, v in zip(cats, row)]
        rows.append((y, "Totaal", sum(row)))
    df = pd.DataFrame(rows, columns=["jaar", dim, "n_cases"])
    return TableSpec(name, df, dims=[Dim("jaar", additive=False), dim], counts=["n_cases"])


def statuses(ps: ProtectedSet, table: str, col: str = "n_cases", dims=None) -> dict:
    t = ps.tables[table]
    spec = next(s for s in ps.specs if s.name == table)
    dims = dims or [d.name for d in spec.dim_list]
    return {tuple(r[d] for d in dims) if len(dims) > 1 else r[dims[0]]: r[f"{col}_status"]
            for _, r in t.iterrows()}


def suppressed(ps: ProtectedSet, table: str, status: str, col: str = "n_cases") -> set:
    return {k for k, v in statuses(ps, table, col).items() if v == status}


# --------------------------------------------------------------------------- exact patterns
def test_2x3_table_one_small_cell_needs_a_rectangle_of_complements():
    cells = {("A", "M"): 3, ("A", "V"): 50, ("A", "O"): 47,
             ("B", "M"): 20, ("B", "V"): 30, ("B", "O"): 40}
    ps = protect(TableSpec("t", crosstab(cells), dims=["regio", "geslacht"], counts=["n_cases"]))
    assert suppressed(ps, "t", "primary") == {("A", "M")}
    # the smallest other cell of its row (47) and of its column (20), and the cell closing
    # the rectangle (40); no margin is touched
    assert suppressed(ps, "t", "secondary") == {("A", "O"), ("B", "M"), ("B", "O")}
    t = ps.tables["t"]
    assert t["n_cases"].isna().sum() == 4
    assert t.loc[t["regio"].eq("Totaal") | t["geslacht"].eq("Totaal"), "n_cases_status"].eq("shown").all()
    result = attack(ps)
    assert len(result) == 1
    row = result.iloc[0]
    assert (row.true_value, row.feasible_min, row.feasible_max) == (3, 1, 9)
    assert row.protected


def test_cell_alone_in_its_row_pulls_the_smallest_other_cell():
    df = pd.DataFrame({"regio": ["A", "B", "C", "Totaal"], "n_cases": [5, 40, 30, 75]})
    ps = protect(TableSpec("t", df, dims=["regio"], counts=["n_cases"]))
    assert statuses(ps, "t") == {"A": "primary", "B": "shown", "C": "secondary", "Totaal": "shown"}
    result = attack(ps).iloc[0]
    # A + C = 35 and C >= 10 (its marker): A anywhere in 1..9
    assert (result.feasible_min, result.feasible_max, result.protected) == (1, 9, True)


def test_without_published_totals_a_small_cell_needs_no_complement():
    cells = {("A", "M"): 3, ("A", "V"): 50, ("A", "O"): 47,
             ("B", "M"): 20, ("B", "V"): 30, ("B", "O"): 40}
    ps = protect(TableSpec("t", crosstab(cells, margins=False), dims=["regio", "geslacht"],
                           counts=["n_cases"]))
    assert suppressed(ps, "t", "secondary") == set()
    assert attack(ps)["protected"].all()


def test_linked_tables_naive_protection_leaks_and_joint_protection_does_not():
    # 2023: 12 children. By sex 1 / 10 / 1, by age 7 / 4 / 1: every cell small but one.
    sex = by_year("by_sex", "geslacht", ["M", "V", "O"], [[1, 10, 1], [40, 45, 12]])
    age = by_year("by_age", "leeftijd", ["0-4", "5-9", "10-19"], [[7, 4, 1], [30, 35, 32]])
    naive_sex, naive_age = protect(sex), protect(age)
    # Each table is safe on its own: by_sex hides its 2023 total, by_age hides its cells.
    assert attack(naive_sex)["protected"].all() and attack(naive_age)["protected"].all()
    assert statuses(naive_sex, "by_sex")[(2023, "Totaal")] == "secondary"
    assert statuses(naive_age, "by_age")[(2023, "Totaal")] == "shown"
    # Published together, by_age gives the total (12) that by_sex hides; V >= 10 (a
    # complement) and M, O >= 1 (zeros are shown) leave only M = O = 1.
    leak = attack([naive_sex, naive_age])
    exposed = leak[~leak["protected"]]
    assert set(exposed["cell"]) == {"jaar=2023, geslacht=M", "jaar=2023, geslacht=O"}
    assert (exposed["feasible_min"] == exposed["true_value"]).all()
    assert (exposed["feasible_max"] == exposed["true_value"]).all()
    # Protected together, the shared year total is hidden in both tables.
    joint = protect([sex, age])
    assert statuses(joint, "by_sex")[(2023, "Totaal")] == "secondary"
    assert statuses(joint, "by_age")[(2023, "Totaal")] == "secondary"
    result = attack(joint)
    assert result["protected"].all()
    assert (result["feasible_max"] - result["feasible_min"] >= 5).all()
    # 2024 has no small cells and stays whole
    for name in ("by_sex", "by_age"):
        t = joint.tables[name]
        assert t.loc[t["jaar"] == 2024, "n_cases_status"].eq("shown").all()


def test_linked_through_a_separate_year_table():
    sex = by_year("by_sex", "geslacht", ["M", "V", "O"], [[1, 10, 1], [40, 45, 12]])
    sex.data = sex.data[sex.data["geslacht"] != "Totaal"].reset_index(drop=True)  # no margins
    years = TableSpec("by_year", pd.DataFrame({"jaar": [2023, 2024], "n_cases": [12, 97]}),
                      dims=[Dim("jaar", additive=False)], counts=["n_cases"])
    # Alone, by_sex has no total: the small cells need no complement.
    assert suppressed(protect(sex), "by_sex", "secondary") == set()
    # With the year table, 1 + 10 + 1 = 12 is published: V and the total must go.
    joint = protect([sex, years])
    assert suppressed(joint, "by_sex", "secondary") == {(2023, "V")}
    assert statuses(joint, "by_year") == {2023: "secondary", 2024: "shown"}
    assert attack(joint)["protected"].all()


def test_non_additive_dimension_has_no_sum_relation():
    # A child counts in every diagnostic group it has: groups sum to more than the total.
    df = pd.DataFrame({"jaar": [2024] * 4,
                       "diagnostic_group": ["oncology", "neurology", "metabolic", "Totaal"],
                       "n_cases": [60, 45, 4, 100]})
    spec = TableSpec("by_group", df, dims=["jaar", Dim("diagnostic_group", additive=False)],
                     counts=["n_cases"])
    ps = protect(spec)
    # 100 - 60 - 45 is no count of anything: the small group needs no complement
    assert statuses(ps, "by_group", dims=["diagnostic_group"]) == {
        "oncology": "shown", "neurology": "shown", "metabolic": "primary", "Totaal": "shown"}
    result = attack(ps).iloc[0]
    assert (result.feasible_min, result.feasible_max, result.protected) == (1, 9, True)
    # Declared additive, the table contradicts itself and is refused with a hint.
    with pytest.raises(KpzError, match="additive=False"):
        protect(TableSpec("by_group", df, dims=["jaar", "diagnostic_group"], counts=["n_cases"]))


def test_a_category_never_exceeds_its_total_and_the_attacker_knows_it():
    # Non-additive groups of a small year: the group count is bounded by the total
    df = pd.DataFrame({"jaar": [2024] * 3, "diagnostic_group": ["oncology", "metabolic", "Totaal"],
                       "n_cases": [11, 3, 12]})
    spec = TableSpec("by_group", df, dims=["jaar", Dim("diagnostic_group", additive=False)],
                     counts=["n_cases"])
    ps = protect(spec)
    result = attack(ps).iloc[0]
    assert result.cell == "jaar=2024, diagnostic_group=metabolic"
    assert (result.feasible_min, result.feasible_max) == (1, 9)
    # a group larger than its total contradicts the declaration
    df2 = df.assign(n_cases=[13, 3, 12])
    with pytest.raises(KpzError, match="contradict"):
        protect(TableSpec("g", df2, dims=["jaar", Dim("diagnostic_group", additive=False)],
                          counts=["n_cases"]))


def test_covering_categories_bound_a_small_group_from_below():
    # every child has at least one group: oncology + metabolic >= 20, so metabolic >= 5
    df = pd.DataFrame({"jaar": [2024] * 3, "diagnostic_group": ["oncology", "metabolic", "Totaal"],
                       "n_cases": [15, 6, 20]})
    loose = TableSpec("g", df, dims=["jaar", Dim("diagnostic_group", additive=False)],
                      counts=["n_cases"])
    assert suppressed(protect(loose), "g", "secondary") == set()
    covering = TableSpec("g", df, dims=["jaar", Dim("diagnostic_group", additive=False,
                                                      covering=True)], counts=["n_cases"])
    naive = ProtectedSet.from_status_columns([TableSpec(
        "g", df.assign(n_cases_status=["shown", "primary", "shown"]), dims=covering.dims,
        counts=["n_cases"])])
    row = attack(naive).iloc[0]
    assert (row.feasible_min, row.feasible_max, row.protected) == (5, 9, False)
    ps = protect(covering)
    assert suppressed(ps, "g", "secondary") == {(2024, "oncology")}
    assert attack(ps)["protected"].all()


def test_nested_measures_are_bounded_by_their_container():
    # palliative_need is a subset of llc: a hidden llc count is at least the shown subset
    df = pd.DataFrame({"jaar": [2024] * 2, "measure": ["llc", "palliative_need"],
                       "n_cases": [9, 8]})
    spec = TableSpec("m", df, dims=["jaar", Dim("measure", additive=False,
                                                  subset_of={"palliative_need": "llc"})],
                     counts=["n_cases"])
    ps = protect(spec)
    result = attack(ps).set_index("cell")
    # llc >= palliative_need >= 1 and both <= 9: nothing narrows below 1..9 here
    assert result["protected"].all()
    # ... but a shown container does bound a hidden subset
    df = pd.DataFrame({"jaar": [2024] * 2, "measure": ["llc", "palliative_need"],
                       "n_cases": [12, 3]})
    spec = TableSpec("m", df, dims=["jaar", Dim("measure", additive=False,
                                                  subset_of={"palliative_need": "llc"})],
                     counts=["n_cases"])
    ps = protect(spec)
    assert statuses(ps, "m", dims=["measure"]) == {"llc": "shown", "palliative_need": "primary"}
    row = attack(ps).iloc[0]
    assert (row.feasible_min, row.feasible_max) == (1, 9)


def test_hierarchy_provinces_inside_regions():
    regions = {"Noord": ["PV20", "PV21", "PV22"], "Zuid": ["PV30", "PV31"]}
    prov = pd.DataFrame({"provincie": ["PV20", "PV21", "PV22", "PV30", "PV31"],
                         "n_cases": [4, 30, 25, 40, 35]})
    reg = pd.DataFrame({"nik_region": ["Noord", "Zuid"], "n_cases": [59, 75]})
    p_spec = TableSpec("by_province", prov, dims=[Dim("provincie", variable="geo", hierarchy=regions)],
                       counts=["n_cases"])
    r_spec = TableSpec("by_region", reg, dims=[Dim("nik_region", variable="geo")], counts=["n_cases"])
    # Alone, neither table reveals anything (no totals); together Noord = PV20 + PV21 + PV22.
    naive = [protect(p_spec), protect(r_spec)]
    leak = attack(naive)
    assert not leak["protected"].any()
    assert leak.iloc[0][["feasible_min", "feasible_max"]].tolist() == [4, 4]
    joint = protect([p_spec, r_spec])
    assert statuses(joint, "by_province") == {"PV20": "primary", "PV21": "shown", "PV22": "secondary",
                                              "PV30": "shown", "PV31": "shown"}
    assert attack(joint)["protected"].all()


def test_rate_and_interval_are_hidden_with_their_count_and_population_stays():
    df = pd.DataFrame({"jaar": [2024, 2024, 2024], "geslacht": ["M", "V", "Totaal"],
                       "n_cases": [7, 120, 127], "population": [50_000, 48_000, 98_000]})
    df["rate_per_10000"] = df["n_cases"] / df["population"] * 1e4
    df["ci_low"] = df["rate_per_10000"] * 0.8
    df["ci_high"] = df["rate_per_10000"] * 1.2
    spec = TableSpec("rates", df, dims=["jaar", "geslacht"], counts=["n_cases"],
                     derived={"rate_per_10000": "n_cases", "ci_low": "n_cases", "ci_high": "n_cases"},
                     denominators={"n_cases": "population"})
    ps = protect(spec)
    t = ps.tables["rates"].set_index("geslacht")
    assert t.loc["M", "n_cases_status"] == "primary"
    for col in ("rate_per_10000", "ci_low", "ci_high"):
        assert t.loc["M", f"{col}_status"] == "derived" and math.isnan(t.loc["M", col])
    # the complement (V) takes its rate along; the margin and the populations stay
    assert t.loc["V", "n_cases_status"] == "secondary"
    assert t.loc["V", "rate_per_10000_status"] == "derived"
    assert t.loc["Totaal", "rate_per_10000_status"] == "shown"
    assert t["population"].tolist() == [50_000, 48_000, 98_000]
    assert list(ps.tables["rates"].columns) == [
        "jaar", "geslacht", "n_cases", "n_cases_status", "population", "rate_per_10000",
        "rate_per_10000_status", "ci_low", "ci_low_status", "ci_high", "ci_high_status"]
    assert attack(ps)["protected"].all()


def test_rate_without_its_count_is_refused():
    df = pd.DataFrame({"geslacht": ["M", "V"], "rate": [1.4, 25.0], "population": [5e4, 4.8e4]})
    with pytest.raises(KpzError, match="reveals its count"):
        check_aggregate(TableSpec("r", df, dims=["geslacht"], counts=[],
                                  derived={"rate": "n_cases"}, passthrough=["population"]))


def test_zeros_shown_by_default_never_used_as_complements():
    cells = {("A", "M"): 3, ("A", "V"): 0, ("A", "O"): 47,
             ("B", "M"): 20, ("B", "V"): 0, ("B", "O"): 40}
    ps = protect(TableSpec("t", crosstab(cells), dims=["regio", "geslacht"], counts=["n_cases"]))
    st = statuses(ps, "t")
    assert st[("A", "V")] == "zero" and st[("B", "V")] == "zero"
    assert ps.tables["t"].set_index(["regio", "geslacht"]).loc[("A", "V"), "n_cases"] == 0
    assert suppressed(ps, "t", "secondary") == {("A", "O"), ("B", "M"), ("B", "O")}
    assert attack(ps)["protected"].all()


def test_zeros_suppressed_on_request_as_acro_does_by_default():
    cells = {("A", "M"): 3, ("A", "V"): 0, ("A", "O"): 47,
             ("B", "M"): 20, ("B", "V"): 0, ("B", "O"): 40}
    ps = protect(TableSpec("t", crosstab(cells), dims=["regio", "geslacht"], counts=["n_cases"]),
                 show_zeros=False)
    st = statuses(ps, "t")
    assert st[("A", "V")] == "primary" and st[("B", "V")] == "primary"
    assert ps.audit.query("status == 'primary'")["rule"].str.contains("PresenceOfZeroCheck").any()
    result = attack(ps)
    assert result["protected"].all()
    assert (result["feasible_min"] == 0).all()  # the attacker no longer knows a hidden cell is >= 1


def test_table_without_small_cells_is_untouched():
    cells = {("A", "M"): 13, ("A", "V"): 50, ("A", "O"): 47,
             ("B", "M"): 20, ("B", "V"): 30, ("B", "O"): 40}
    spec = TableSpec("t", crosstab(cells), dims=["regio", "geslacht"], counts=["n_cases"])
    ps = protect(spec)
    assert set(ps.tables["t"]["n_cases_status"]) == {"shown"}
    assert ps.tables["t"]["n_cases"].tolist() == spec.data["n_cases"].tolist()
    assert len(attack(ps)) == 0
    total = ps.audit.query("status == 'suppressed'").iloc[0]
    assert total.n_cells == 0 and total.share == 0.0
    assert bool(ps.audit["attack_passed"].all())


def test_table_too_small_to_protect_is_suppressed_entirely_and_passes():
    cells = {("A", "M"): 1, ("A", "V"): 2, ("B", "M"): 2, ("B", "V"): 1}
    spec = TableSpec("t", crosstab(cells, cols=("geslacht", "M V")), dims=["regio", "geslacht"],
                     counts=["n_cases"])
    ps = protect(spec)
    assert set(ps.tables["t"]["n_cases_status"]) == {"primary"}
    assert ps.tables["t"]["n_cases"].isna().all()
    result = attack(ps)
    assert len(result) == 9 and result["protected"].all()
    # four cells of at least 1 under a grand total of at most 9: a cell is 1..6
    inner = result[~result["cell"].str.contains("Totaal")]
    assert (inner["feasible_min"] == 1).all() and (inner["feasible_max"] == 6).all()


def test_unprotectable_publication_is_refused_with_advice():
    # six non-zero cells under a total below 10: each is 1..4 whatever is hidden
    df = pd.DataFrame({"leeftijd": ["a", "b", "c", "d", "e", "f", "Totaal"],
                       "n_cases": [1, 2, 1, 1, 1, 1, 7]})
    spec = TableSpec("t", df, dims=["leeftijd"], counts=["n_cases"])
    with pytest.raises(KpzError, match="cannot be protected.*coarser"):
        protect(spec)
    # without the knowledge that hidden cells are non-zero the table can be published
    assert attack(protect(spec, show_zeros=False))["protected"].all()


def test_threshold_and_min_width_are_parameters():
    df = pd.DataFrame({"regio": ["A", "B", "C", "Totaal"], "n_cases": [12, 40, 30, 82]})
    spec = TableSpec("t", df, dims=["regio"], counts=["n_cases"])
    assert statuses(protect(spec), "t")["A"] == "shown"
    ps = protect(spec, threshold=15)
    assert statuses(ps, "t") == {"A": "primary", "B": "shown", "C": "secondary", "Totaal": "shown"}
    assert ps.audit["threshold"].eq(15).all() and ps.audit["min_width"].eq(8).all()
    assert protect(spec, threshold=15, min_width=3).audit["min_width"].eq(3).all()
    with pytest.raises(ParameterError):
        protect(spec, threshold=1)
    with pytest.raises(ParameterError):
        protect(spec, p_ratio=0)


# --------------------------------------------------------------------------- dominance
def cost_table() -> pd.DataFrame:
    return pd.DataFrame({
        "zorgvorm": ["ic", "thuis", "logeer", "Totaal"],
        "cost": [1_000_000.0, 200_000.0, 150_000.0, 1_350_000.0],
        "n_persons": [40, 25, 30, 95],
        "cost_max1": [950_000.0, 20_000.0, 12_000.0, 950_000.0],
        "cost_max2": [10_000.0, 15_000.0, 11_000.0, 20_000.0],
    })


def test_dominated_cost_cell_is_suppressed_with_a_protection_interval():
    df = cost_table()
    spec = TableSpec("costs", df, dims=["zorgvorm"], counts=["n_persons"],
                     magnitudes={"cost": Magnitude("n_persons", largest="cost_max1", second="cost_max2")},
                     passthrough=["cost_max1", "cost_max2"])
    ps = protect(spec)
    st = statuses(ps, "costs", col="cost")
    # one child makes 95% of the IC cost: (n=2, k=0.9) and p-ratio both fire; in the grand
    # total the same child makes 70%, which both rules accept; a complement protects IC
    assert st["ic"] == "dominance" and st["Totaal"] == "shown"
    assert sorted(st.values()).count("secondary") == 1
    assert ps.audit.query("column == 'cost' and status == 'dominance'")["rule"].iloc[0] == \
        "NKCheck; PPercentCheck"
    result = attack(ps)
    assert result["protected"].all()
    ic = result.set_index("cell").loc["zorgvorm=ic"]
    # p-ratio: U = 0.1 * 950000 - (1000000 - 950000 - 10000) = 55000; nk: 960000/0.9 - 1e6
    assert ic["required"] == "min <= 933333 and max >= 1.06667e+06"
    assert ic["feasible_max"] >= 1_000_000 + 66_666 and ic["feasible_min"] <= 1_000_000 - 66_666
    # counts are not dominated and stay
    assert set(ps.tables["costs"]["n_persons_status"]) == {"shown"}


def test_cost_of_too_few_children_is_suppressed():
    df = cost_table().assign(n_persons=[40, 25, 3, 68], cost_max1=[100e3, 20e3, 60e3, 100e3],
                             cost_max2=[90e3, 15e3, 50e3, 90e3])
    spec = TableSpec("costs", df, dims=["zorgvorm"], counts=["n_persons"],
                     magnitudes={"cost": Magnitude("n_persons", largest="cost_max1", second="cost_max2")},
                     passthrough=["cost_max1", "cost_max2"])
    ps = protect(spec)
    assert statuses(ps, "costs", col="cost")["logeer"] == "primary"
    assert statuses(ps, "costs", col="n_persons")["logeer"] == "primary"
    assert attack(ps)["protected"].all()


def test_negative_contributions_are_refused():
    df = cost_table()
    df.loc[1, "cost"] = -5.0
    spec = TableSpec("costs", df, dims=["zorgvorm"], counts=["n_persons"],
                     magnitudes={"cost": Magnitude("n_persons", largest="cost_max1", second="cost_max2")},
                     passthrough=["cost_max1", "cost_max2"])
    with pytest.raises(KpzError, match="negative"):
        protect(spec)


def test_rule_functions_follow_acro_definitions():
    # threshold: strictly below (10 is safe); zeros optional
    assert threshold_rule([0, 1, 9, 10], 10).tolist() == [False, True, True, False]
    assert threshold_rule([0, 1, 9, 10], 10, show_zeros=False).tolist() == [True, True, True, False]
    # nk: top_n / total >= k (boundary included); total 0 is not dominated
    assert nk_rule([100, 100, 100, 0], [89, 90, 91, 0], 0.9).tolist() == [False, True, True, False]
    # p-ratio: (total - x1 - x2) / x1 < p (boundary safe); x1 == 0 is safe
    assert p_ratio_rule([100, 100, 0], [80, 80, 0], [12, 13, 0], 0.1).tolist() == [False, True, False]


def test_rule_functions_agree_with_acro():
    pytest.importorskip("acro")
    from types import SimpleNamespace

    from acro.sdcchecks import SDCChecks, SDCEvidence

    rng = np.random.default_rng(7)
    n = 200
    contributions = [np.sort(rng.pareto(1.2, size=rng.integers(1, 12)))[::-1] * 1000 for _ in range(n)]
    total = np.array([c.sum() for c in contributions])
    x1 = np.array([c[0] for c in contributions])
    x2 = np.array([c[1] if len(c) > 1 else 0.0 for c in contributions])
    count = np.array([len(c) for c in contributions])
    frame = lambda v: pd.DataFrame({"col": v})  # noqa: E731
    checks = SDCChecks({"safe_threshold": 10, "safe_nk_n": 2, "safe_nk_k": 0.9,
                        "safe_pratio_p": 0.1, "zeros_are_disclosive": False,
                        "check_missing_values": False})
    evidence = SDCEvidence(interim_tables={
        "count_table": frame(count), "sum": frame(total), "max": frame(x1),
        "top_2_sum": frame(x1 + x2), "top_n_sum": frame(x1 + x2), "num_negative": frame(0 * count)})
    _, _, acro_nk = checks.check_nk_dominance("table", evidence, None)
    _, _, acro_p = checks.check_ppercent_dominance("table", evidence, None)
    _, _, acro_t = checks.check_min_threshold("table", evidence, SimpleNamespace(model_type="table"))
    assert (nk_rule(total, x1 + x2, 0.9) == acro_nk["col"].to_numpy()).all()
    assert (p_ratio_rule(total, x1, x2, 0.1) == acro_p["col"].to_numpy()).all()
    assert (threshold_rule(count, 10, show_zeros=False) == acro_t["col"].to_numpy()).all()
    assert acro_nk["col"].any() and acro_p["col"].any() and not acro_p["col"].all()


# --------------------------------------------------------------------------- refusals
@pytest.mark.parametrize("column", ["persoon_id", "rinpersoon", "bsn", "patient_id", "geboortedatum",
                                    "pseudo_id", "client_nr"])
def test_person_level_columns_are_refused(column):
    df = pd.DataFrame({"geslacht": ["M", "V"], "n_cases": [12, 14], column: ["a", "b"]})
    with pytest.raises(KpzError, match="person-level"):
        protect(TableSpec("t", df, dims=["geslacht"], counts=["n_cases"]))


def test_person_level_rows_are_refused():
    people = pd.DataFrame({"geslacht": ["M", "V", "V", "M"], "leeftijd": [3, 5, 5, 9],
                           "n_cases": [1, 1, 1, 1]})
    with pytest.raises(KpzError, match="not an aggregate"):
        protect(TableSpec("t", people, dims=["geslacht", "leeftijd"], counts=["n_cases"]))
    ones = pd.DataFrame({"volgnummer": [f"x{i}" for i in range(25)], "n_cases": [1] * 25})
    with pytest.raises(KpzError, match="one row per person"):
        protect(TableSpec("t", ones, dims=["volgnummer"], counts=["n_cases"]))


def test_counts_must_be_whole_non_negative_numbers():
    df = pd.DataFrame({"geslacht": ["M", "V"], "n_cases": [12.5, 14]})
    with pytest.raises(KpzError, match="whole numbers"):
        protect(TableSpec("t", df, dims=["geslacht"], counts=["n_cases"]))


def test_undeclared_numeric_column_is_refused():
    df = pd.DataFrame({"geslacht": ["M", "V"], "n_cases": [12, 14], "n_deaths": [1, 2]})
    with pytest.raises(KpzError, match="n_deaths.*unprotected"):
        protect(TableSpec("t", df, dims=["geslacht"], counts=["n_cases"]))
    flags = df.drop(columns="n_deaths").assign(lookback=[2, 2], complete=[True, False])
    protect(TableSpec("t", flags, dims=["geslacht"], counts=["n_cases"], passthrough=["lookback"]))


def test_undeclared_margin_code_is_refused():
    df = pd.DataFrame({"geslacht": ["M", "V", "Total"], "n_cases": [12, 14, 26]})
    with pytest.raises(KpzError, match="total_code"):
        protect(TableSpec("t", df, dims=["geslacht"], counts=["n_cases"]))
    ps = protect(TableSpec("t", df, dims=["geslacht"], counts=["n_cases"], total_code="Total"))
    assert set(ps.tables["t"]["n_cases_status"]) == {"shown"}


def test_same_cell_with_two_values_is_refused():
    a = pd.DataFrame({"jaar": [2024], "n_cases": [120]})
    b = pd.DataFrame({"jaar": [2024, 2024], "geslacht": ["M", "V"], "n_cases": [60, 59]})
    with pytest.raises(KpzError, match="two values"):
        protect([TableSpec("a", a, dims=["jaar"], counts=["n_cases"]),
                 TableSpec("b", b, dims=["jaar", "geslacht"], counts=["n_cases"])])
    # counted differently: say so with a quantity name
    protect([TableSpec("a", a, dims=["jaar"], counts=["n_cases"]),
             TableSpec("b", b, dims=["jaar", "geslacht"], counts=["n_cases"],
                       quantities={"n_cases": "n_cases_with_sex_known"})])


# --------------------------------------------------------------------------- outputs
def test_audit_is_tidy_and_holds_no_hidden_value():
    cells = {("A", "M"): 3, ("A", "V"): 50, ("A", "O"): 47,
             ("B", "M"): 20, ("B", "V"): 30, ("B", "O"): 40}
    ps = protect(TableSpec("t", crosstab(cells), dims=["regio", "geslacht"], counts=["n_cases"]))
    audit = ps.audit
    assert list(audit.columns[:8]) == ["table", "column", "role", "status", "rule", "n_cells",
                                       "n_cells_column", "share"]
    by_status = audit.set_index("status")
    assert by_status.loc["primary", "n_cells"] == 1
    assert by_status.loc["primary", "rule"] == "MinimumThresholdCheck"
    assert by_status.loc["secondary", "n_cells"] == 3
    assert by_status.loc["suppressed", "share"] == pytest.approx(4 / 12)
    assert set(audit["status"]) <= set(STATUSES) | {"suppressed"}
    # the hidden values appear nowhere in what is published; the audit has counts of cells
    # and parameters only
    hidden = {"3", "47", "20", "40"}
    assert not ps.tables["t"].astype(str).isin(hidden).any().any()
    assert set(audit.columns) == {"table", "column", "role", "status", "rule", "n_cells",
                                  "n_cells_column", "share", "threshold", "show_zeros", "min_width",
                                  "nk_n", "nk_k", "p_ratio", "attack_passed", "method"}


def test_from_status_columns_round_trip():
    cells = {("A", "M"): 3, ("A", "V"): 50, ("A", "O"): 47,
             ("B", "M"): 20, ("B", "V"): 30, ("B", "O"): 40}
    spec = TableSpec("t", crosstab(cells), dims=["regio", "geslacht"], counts=["n_cases"])
    ps = protect(spec)
    marked = spec.data.assign(n_cases_status=ps.tables["t"]["n_cases_status"])
    again = ProtectedSet.from_status_columns([TableSpec("t", marked, dims=["regio", "geslacht"],
                                                        counts=["n_cases"])])
    pd.testing.assert_frame_equal(again.tables["t"], ps.tables["t"])
    pd.testing.assert_frame_equal(attack(again), attack(ps))
