"""The attack: known leaks, an independent linear programme, random linked publications."""

from __future__ import annotations

import functools
import math
import time

import numpy as np
import pandas as pd
import pytest
from scipy import optimize

from kpz_analytics.errors import KpzError
from kpz_analytics.methods import attack as lp
from kpz_analytics.methods.disclosure import (
    SUPPRESSED,
    Dim,
    ProtectedSet,
    TableSpec,
    attack,
    protect,
)

THRESHOLD = 10


def marked(name, df, status, dims, **kw) -> TableSpec:
    """A table with a hand-made status column (true values kept in ``n_cases``)."""
    return TableSpec(name, df.assign(n_cases_status=status), dims=dims, counts=["n_cases"], **kw)


# --------------------------------------------------------------------------- known leaks
def test_known_leak_row_total_minus_the_other_cells():
    df = pd.DataFrame({"geslacht": ["M", "V", "O", "Totaal"], "n_cases": [4, 30, 25, 59]})
    pub = ProtectedSet.from_status_columns(
        [marked("t", df, ["primary", "shown", "shown", "shown"], ["geslacht"])])
    result = attack(pub)
    assert len(result) == 1
    row = result.iloc[0]
    assert row.cell == "geslacht=M" and row.true_value == 4
    assert row.feasible_min == row.feasible_max == 4
    assert not row.protected


def test_known_leak_through_markers():
    # M + V = 14 is published; V >= 10 because it is a complement: M is at most 4
    df = pd.DataFrame({"geslacht": ["M", "V", "O", "Totaal"], "n_cases": [4, 10, 0, 14]})
    pub = ProtectedSet.from_status_columns(
        [marked("t", df, ["primary", "secondary", "zero", "shown"], ["geslacht"])])
    row = attack(pub).iloc[0]
    assert (row.feasible_min, row.feasible_max, row.protected) == (1, 4, False)
    # with zeros hidden too the marker promises less, but 14 - V <= 4 still holds
    pub0 = ProtectedSet.from_status_columns(
        [marked("t", df, ["primary", "secondary", "primary", "shown"], ["geslacht"])],
        show_zeros=False)
    row0 = attack(pub0).set_index("cell").loc["geslacht=M"]
    assert (row0.feasible_min, row0.feasible_max) == (0, 4)


def test_known_leak_rate_next_to_its_denominator():
    df = pd.DataFrame({"geslacht": ["M", "V"], "n_cases": [4, 30], "population": [5000, 5200]})
    df["rate"] = df["n_cases"] / df["population"] * 1e4
    spec = TableSpec("t", df.assign(n_cases_status=["primary", "shown"],
                                    rate_status=["shown", "shown"]),
                     dims=["geslacht"], counts=["n_cases"], derived={"rate": "n_cases"},
                     denominators={"n_cases": "population"})
    row = attack(ProtectedSet.from_status_columns([spec])).iloc[0]
    assert row.feasible_min == row.feasible_max == 4 and not row.protected
    # hiding the rate closes the leak
    spec.data["rate_status"] = ["derived", "shown"]
    assert attack(ProtectedSet.from_status_columns([spec]))["protected"].all()


def test_known_leak_same_cell_shown_in_another_table():
    a = pd.DataFrame({"jaar": [2024, 2024], "geslacht": ["M", "V"], "n_cases": [4, 30]})
    b = pd.DataFrame({"jaar": [2024, 2024], "geslacht": ["M", "V"], "n_cases": [4, 30]})
    pub = ProtectedSet.from_status_columns([
        marked("a", a, ["primary", "shown"], ["jaar", "geslacht"]),
        marked("b", b, ["shown", "shown"], ["jaar", "geslacht"])])
    row = attack(pub).iloc[0]
    assert row.table == "a" and row.feasible_min == row.feasible_max == 4


def test_markers_must_tell_the_truth():
    df = pd.DataFrame({"geslacht": ["M", "V", "Totaal"], "n_cases": [4, 6, 10]})
    pub = ProtectedSet.from_status_columns(
        [marked("t", df, ["primary", "secondary", "shown"], ["geslacht"])])
    with pytest.raises(KpzError, match="below the threshold the marker promises"):
        attack(pub)


def test_attack_of_separately_protected_sets_needs_same_rules():
    df = pd.DataFrame({"geslacht": ["M", "V"], "n_cases": [14, 30]})
    a = protect(TableSpec("a", df, dims=["geslacht"], counts=["n_cases"]))
    b = protect(TableSpec("b", df, dims=["geslacht"], counts=["n_cases"]), threshold=5)
    with pytest.raises(Exception, match="different rules"):
        attack([a, b])


# --------------------------------------------------------------------------- LP primitives
def test_single_relation_shortcut_equals_the_linear_programme():
    rng = np.random.default_rng(3)
    for _ in range(30):
        k = int(rng.integers(2, 6))
        coefs = rng.choice([-1.0, 1.0, 2.0], size=k)
        x = rng.integers(0, 20, size=k).astype(float)
        kind = "eq" if rng.random() < 0.6 else "le"
        rhs_shift = 0.0 if kind == "eq" else float(rng.integers(0, 5))
        # a shown cell carrying the constant: sum(coef * x) + c * shown (= or <=) 0
        shown_coef = -1.0
        shown_val = float(coefs @ x) + rhs_shift
        terms = tuple((i, float(a)) for i, a in enumerate(coefs)) + ((k, shown_coef),)
        system = lp.LinearSystem(k + 1, [lp.Relation(terms, kind)])
        value = np.append(x, shown_val)
        unknown = np.array([True] * k + [False])
        lower = np.where(rng.random(k) < 0.5, 0.0, np.maximum(0.0, x - rng.integers(0, 4, size=k)))
        upper = np.where(rng.random(k) < 0.3, np.inf, x + rng.integers(0, 6, size=k))
        lower, upper = np.append(lower, 0.0), np.append(upper, np.inf)
        free = np.zeros(k + 1, dtype=bool)
        fast = lp.feasible_intervals(system, value, unknown, free, lower, upper, list(range(k)))
        for t in range(k):
            ends = []
            for sign in (1, -1):
                c = np.zeros(k)
                c[t] = sign
                a = coefs.reshape(1, -1)
                res = optimize.linprog(c, A_eq=a if kind == "eq" else None,
                                       b_eq=[shown_val] if kind == "eq" else None,
                                       A_ub=a if kind == "le" else None,
                                       b_ub=[shown_val] if kind == "le" else None,
                                       bounds=list(zip(lower[:k], [None if math.isinf(u) else u
                                                                   for u in upper[:k]])),
                                       method="highs")
                ends.append(sign * res.fun if res.status == 0 else -sign * math.inf)
            assert fast[t][0] == pytest.approx(ends[0], abs=1e-7)
            assert fast[t][1] == pytest.approx(ends[1], abs=1e-7)


def test_scipy_back_end_gives_the_same_intervals(monkeypatch):
    specs, _ = random_publication(5)
    ps = protect(specs)
    expected = attack(ps)
    monkeypatch.setattr(lp, "solver", lambda: "scipy")
    pd.testing.assert_frame_equal(attack(ps), expected)


def test_determined_cells_follow_chains_of_sums():
    # t = a + b, t published; a = c + d with c, d published: a, then b follow
    rel = [lp.Relation(((0, 1.0), (1, -1.0), (2, -1.0)), "eq"),
           lp.Relation(((1, 1.0), (3, -1.0), (4, -1.0)), "eq")]
    system = lp.LinearSystem(5, rel)
    unknown = np.array([False, True, True, False, False])
    found = lp.determined_cells(system, unknown, np.zeros(5, bool), np.full(5, np.inf))
    assert list(found) == [1, 2]


def test_vacuous_relations_are_dropped():
    # an unpublished total t = a + b defines nothing; a published one would
    rel = [lp.Relation(((0, 1.0), (1, -1.0), (2, -1.0)), "eq")]
    system = lp.LinearSystem(3, rel)
    unknown = np.array([True, True, True])
    free = np.array([True, False, False])
    assert lp.useful_relations(system, unknown, free, np.full(3, np.inf)) == []
    # the same relation with the free cell on the side of the parts is not vacuous
    rel = [lp.Relation(((0, -1.0), (1, 1.0), (2, -1.0)), "eq")]
    assert lp.useful_relations(lp.LinearSystem(3, rel), unknown, free, np.full(3, np.inf)) == [0]


# --------------------------------------------------------------------------- random publications
def random_publication(seed: int):
    """Linked year × category tables that partition the same yearly totals.

    Returns the specs and, for the independent attacker, the structure: per table and year
    the rows of the detail cells and of the year margin (if published).
    """
    rng = np.random.default_rng(seed)
    years = [2021, 2022, 2023][: int(rng.integers(1, 4))]
    # now and then a tiny year that no suppression can protect (many non-zero cells under 10)
    totals = {y: int(rng.integers(5, 10) if rng.random() < 0.1 else rng.integers(4, 90))
              for y in years}
    specs, structure = [], []
    for t in range(int(rng.integers(1, 4))):
        k = int(rng.integers(2, 8))
        cats = [f"c{i}" for i in range(k)]
        margins = rng.random() < 0.7
        rows = []
        for y in years:
            counts = rng.multinomial(totals[y], rng.dirichlet(np.full(k, 0.8 if totals[y] > 9 else 5)))
            rows += [(y, c, int(v)) for c, v in zip(cats, counts)]
            if margins:
                rows.append((y, "Totaal", totals[y]))
        df = pd.DataFrame(rows, columns=["jaar", f"x{t}", "n_cases"])
        kw = {}
        if rng.random() < 0.4:
            df["population"] = rng.integers(200, 400, size=len(df)) * 100
            df["rate"] = df["n_cases"] / df["population"] * 1e4
            kw = dict(derived={"rate": "n_cases"}, denominators={"n_cases": "population"})
        specs.append(TableSpec(f"t{t}", df, dims=[Dim("jaar", additive=False), f"x{t}"],
                               counts=["n_cases"], **kw))
        structure.append(f"x{t}")
    if rng.random() < 0.5 or not any(s.data[s.dims[1]].eq("Totaal").any() for s in specs):
        df = pd.DataFrame({"jaar": years, "n_cases": [totals[y] for y in years]})
        specs.append(TableSpec("by_year", df, dims=[Dim("jaar", additive=False)], counts=["n_cases"]))
        structure.append(None)
    return specs, structure


def independent_attack(ps: ProtectedSet, structure) -> dict[tuple[str, int], tuple[float, float]]:
    """The attacker's LP written directly from the publication's known structure.

    Variables: every published cell of every table (by table and row) plus one total per
    year shared by all tables; constraints: each table's categories sum to the year total,
    every margin row equals it. Nothing of the module's model is used.
    """
    cells, values, lo, hi = [], [], [], []
    index = {}

    def var(key, value, status, cap=math.inf):
        if key not in index:
            index[key] = len(cells)
            cells.append(key)
            values.append(value)
            if status in ("shown", "zero"):
                lo.append(value)
                hi.append(value)
            elif status == "primary":
                lo.append(1.0)
                hi.append(min(THRESHOLD - 1.0, cap))
            elif status == "secondary":
                lo.append(float(THRESHOLD))
                hi.append(cap)
            else:  # unpublished year total
                lo.append(0.0)
                hi.append(math.inf)
        return index[key]

    years = sorted({int(y) for s in ps.specs for y in s.data["jaar"]})
    # status of each year total: shown anywhere wins
    year_status, year_value = {}, {}
    for spec, dim in zip(ps.specs, structure):
        t = ps.tables[spec.name]
        rows = t if dim is None else t[t[dim] == "Totaal"]
        for _, r in rows.iterrows():
            st = r["n_cases_status"]
            if year_status.get(r["jaar"]) != "shown":
                year_status[r["jaar"]] = st
                year_value[r["jaar"]] = float(r["n_cases"]) if st == "shown" else float("nan")
    for y in years:
        var(("T", y), year_value.get(y, float("nan")), year_status.get(y, "free"))
    eqs = []
    for spec, dim in zip(ps.specs, structure):
        if dim is None:
            continue
        t = ps.tables[spec.name]
        for y in years:
            parts = []
            for r in np.flatnonzero((t["jaar"] == y) & (t[dim] != "Totaal")):
                cap = spec.data.at[r, "population"] if "population" in spec.data else math.inf
                shown = t.at[r, "n_cases_status"] in ("shown", "zero")
                parts.append(var((spec.name, int(r)),  # the published value only
                                 float(t.at[r, "n_cases"]) if shown else float("nan"),
                                 t.at[r, "n_cases_status"], float(cap)))
            eqs.append((index[("T", y)], parts))
    n = len(cells)
    a_eq = np.zeros((len(eqs), n))
    for k, (tot, parts) in enumerate(eqs):
        a_eq[k, tot] = 1
        a_eq[k, parts] = -1
    out = {}
    for spec, dim in zip(ps.specs, structure):
        t = ps.tables[spec.name]
        for r in np.flatnonzero(t["n_cases_status"] == "primary"):
            key = ("T", int(t.at[r, "jaar"])) if dim is None or t.at[r, dim] == "Totaal" \
                else (spec.name, int(r))
            j = index[key]
            ends = []
            for sign in (1, -1):
                c = np.zeros(n)
                c[j] = sign
                res = optimize.linprog(c, A_eq=a_eq if len(eqs) else None,
                                       b_eq=np.zeros(len(eqs)) if len(eqs) else None,
                                       bounds=[(a, None if math.isinf(b) else b) for a, b in zip(lo, hi)],
                                       method="highs")
                assert res.status in (0, 3)
                ends.append(sign * res.fun if res.status == 0 else -sign * math.inf)
            out[(spec.name, int(r))] = (math.ceil(ends[0] - 1e-6),
                                       ends[1] if math.isinf(ends[1]) else math.floor(ends[1] + 1e-6))
    return out


def check_publication(ps: ProtectedSet, structure=None) -> None:
    result = attack(ps)
    assert result["protected"].all(), result[~result["protected"]]
    for spec in ps.specs:
        t = ps.tables[spec.name]
        st = t["n_cases_status"]
        shown = st.isin(["shown", "zero"])
        # nothing below the threshold is shown, hidden values are missing
        v = spec.data["n_cases"]
        assert ((v[shown] == 0) | (v[shown] >= THRESHOLD)).all()
        assert t.loc[~shown, "n_cases"].isna().all()
        assert (t.loc[shown, "n_cases"] == v[shown]).all()
        assert ((st == "zero") == (v == 0)).all()
        for col in spec.derived:
            assert ((t[f"{col}_status"] == "derived") == st.isin(SUPPRESSED)).all()
            assert t.loc[st.isin(SUPPRESSED), col].isna().all()
    if structure is not None and len(result):
        rows = {}
        for spec in ps.specs:
            for r, row in spec.data.iterrows():
                label = ", ".join(f"{d.name}={row[d.name]}" for d in spec.dim_list)
                rows[(spec.name, label)] = int(r)
        mine = {(r.table, rows[(r.table, r.cell)]): (r.feasible_min, r.feasible_max)
                for r in result.itertuples()}
        assert mine == independent_attack(ps, structure)


def test_year_totals_have_one_status_across_tables():
    specs, _ = random_publication(11)
    ps = protect(specs)
    seen = {}
    for spec, t in ((s, ps.tables[s.name]) for s in ps.specs):
        dim = spec.dims[1] if len(spec.dims) > 1 else None
        rows = t if dim is None else t[t[dim] == "Totaal"]
        for _, r in rows.iterrows():
            assert seen.setdefault(r["jaar"], r["n_cases_status"]) == r["n_cases_status"]


@functools.lru_cache(maxsize=None)
def protected_random(seed: int):
    """``(specs, structure, protected set or the refusal)`` of random publication ``seed``."""
    specs, structure = random_publication(seed)
    try:
        return specs, structure, protect(specs)
    except KpzError as exc:
        return specs, structure, exc


@pytest.mark.parametrize("seed", range(50))
def test_random_linked_publications_are_protected(seed):
    specs, structure, ps = protected_random(seed)
    if isinstance(ps, KpzError):
        assert "cannot be protected" in str(ps)
        # Refused only when hiding every eligible cell would not help either.
        everything = []
        for spec in specs:
            v = spec.data["n_cases"]
            st = np.where(v == 0, "zero", np.where(v < THRESHOLD, "primary", "secondary"))
            data = spec.data.assign(n_cases_status=st)
            for col in spec.derived:
                data[f"{col}_status"] = np.where(v == 0, "shown", "derived")
            everything.append(TableSpec(spec.name, data, dims=spec.dims, counts=spec.counts,
                                        derived=spec.derived, denominators=spec.denominators))
        result = attack(ProtectedSet.from_status_columns(everything))
        assert not result["protected"].all()
        return
    check_publication(ps, structure)


def test_most_random_publications_can_be_published():
    refused = [seed for seed in range(50) if isinstance(protected_random(seed)[2], KpzError)]
    assert 1 <= len(refused) <= 5  # the generator plants a few unprotectable tiny years


# --------------------------------------------------------------------------- scale
def large_publication(n_tables=10, n_categories=50, seed=1):
    """``n_tables`` year × category tables of 10 years (500 cells each) plus year totals."""
    rng = np.random.default_rng(seed)
    years = list(range(2015, 2025))
    totals = {y: int(rng.integers(3000, 5000)) for y in years}
    specs = []
    for t in range(n_tables):
        rows = []
        for y in years:
            counts = rng.multinomial(totals[y], rng.dirichlet(np.full(n_categories, 0.7)))
            rows += [(y, f"c{k}", int(c)) for k, c in enumerate(counts)]
            rows.append((y, "Totaal", totals[y]))
        df = pd.DataFrame(rows, columns=["jaar", f"x{t}", "n_cases"])
        df["population"] = 100_000
        df["rate"] = df["n_cases"] / df["population"] * 1e4
        specs.append(TableSpec(f"t{t}", df, dims=[Dim("jaar", additive=False), f"x{t}"],
                               counts=["n_cases"], derived={"rate": "n_cases"},
                               denominators={"n_cases": "population"}))
    return specs


@pytest.mark.slow
def test_ten_tables_of_five_hundred_cells():
    specs = large_publication()
    start = time.perf_counter()
    ps = protect(specs)
    protect_s = time.perf_counter() - start
    start = time.perf_counter()
    result = attack(ps)
    attack_s = time.perf_counter() - start
    assert result["protected"].all()
    check_publication(ps)
    print(f"\n10 x 510 cells: protect {protect_s:.1f} s (attack included), attack {attack_s:.1f} s, "
          f"{len(result)} primary cells, "
          f"{int((ps.audit['status'] == 'secondary').mul(ps.audit['n_cells']).sum())} complements")
    assert protect_s < 300


# --------------------------------------------------------------------------- a real publication
PROVINCES = {"Noordoost": ["PV20", "PV21", "PV22"], "Utrecht": ["PV26"],
             "Noord-Holland en Flevoland": ["PV27", "PV24"], "Zuidwest": ["PV29", "PV28"],
             "Zuidoost": ["PV25", "PV30"], "Limburg": ["PV31"], "Zeeland": ["PV23"]}
AGES = ["<1", "1-4", "5-9", "10-14", "15-19"]
GROUPS = ["congenital", "oncology", "neurology", "haematology", "respiratory", "perinatal",
          "metabolic", "other"]


def prevalence_publication(n_per_year: int = 1500, seed: int = 5) -> list[TableSpec]:
    """The tables of the prevalence report, aggregated from synthetic children.

    Same shapes as ``prevalence.compute_prevalence``: per year and measure (``llc`` and its
    subset ``palliative_need``) by sex, age group, province, NIK region (provinces nested in
    regions) and diagnostic group (overlapping), with populations and rates, plus deaths
    among cases by age group.
    """
    rng = np.random.default_rng(seed)
    province_of = [p for ps in PROVINCES.values() for p in ps]
    region_of = {p: r for r, ps in PROVINCES.items() for p in ps}
    people = []
    for y in (2022, 2023, 2024):
        n = int(n_per_year * rng.uniform(0.9, 1.1))
        people.append(pd.DataFrame({
            "jaar": y,
            "geslacht": rng.choice(["M", "V", "O"], size=n, p=[0.52, 0.475, 0.005]),
            "age_group": rng.choice(AGES, size=n, p=[0.08, 0.2, 0.22, 0.24, 0.26]),
            "provincie_code": rng.choice(province_of, size=n,
                                         p=rng.dirichlet(np.full(len(province_of), 3.0))),
            "need": rng.random(n) < 0.3,
            "died": rng.random(n) < 0.02,
            "groups": [list(rng.choice(GROUPS, size=rng.integers(1, 3), replace=False))
                       for _ in range(n)],
        }))
    people = pd.concat(people, ignore_index=True)
    people["nik_region"] = people["provincie_code"].map(region_of)
    frames = {"llc": people, "palliative_need": people[people["need"]]}
    measure = Dim("measure", additive=False, subset_of={"palliative_need": "llc"})
    jaar = Dim("jaar", additive=False)

    def table(name: str, by: list[str], dims: list) -> TableSpec:
        parts = []
        for m, df in frames.items():
            if by == ["diagnostic_group"]:
                df = df.explode("groups").rename(columns={"groups": "diagnostic_group"})
            g = df.groupby(["jaar", *by]).size().rename("n_cases")
            levels = [[2022, 2023, 2024]] + [sorted(people[b].unique()) if b != "diagnostic_group"
                                             else GROUPS for b in by]
            index = (pd.MultiIndex.from_product(levels, names=["jaar", *by]) if by
                     else pd.Index(levels[0], name="jaar"))
            g = g.reindex(index, fill_value=0)
            parts.append(g.reset_index().assign(measure=m))
        out = pd.concat(parts, ignore_index=True)
        out["population"] = 700_000 // max(1, len(out) // 6)
        out["rate_per_10000"] = out["n_cases"] / out["population"] * 1e4
        out["ci_low"], out["ci_high"] = out["rate_per_10000"] * 0.8, out["rate_per_10000"] * 1.25
        return TableSpec(name, out[["jaar", "measure", *by, "n_cases", "population",
                                    "rate_per_10000", "ci_low", "ci_high"]],
                         dims=[jaar, measure, *dims], counts=["n_cases"],
                         derived={c: "n_cases" for c in ("rate_per_10000", "ci_low", "ci_high")},
                         denominators={"n_cases": "population"})

    specs = [
        table("prevalence_by_year", [], []),
        table("prevalence_by_sex", ["geslacht"], ["geslacht"]),
        table("prevalence_by_age_group", ["age_group"], ["age_group"]),
        table("prevalence_by_province", ["provincie_code"],
              [Dim("provincie_code", variable="regio", hierarchy=PROVINCES)]),
        table("prevalence_by_nik_region", ["nik_region"], [Dim("nik_region", variable="regio")]),
        table("prevalence_by_diagnostic_group", ["diagnostic_group"],
              [Dim("diagnostic_group", additive=False)]),
    ]
    deaths = []
    for m, df in frames.items():
        g = df.groupby(["jaar", "age_group"]).agg(n_cases=("died", "size"), n_deaths=("died", "sum"))
        deaths.append(g.reset_index().assign(measure=m))
    d = pd.concat(deaths, ignore_index=True)
    d["n_deaths"] = d["n_deaths"].astype(int)
    d["deaths_per_1000_cases"] = 1000 * d["n_deaths"] / d["n_cases"]
    specs.append(TableSpec("deaths_among_cases", d[["jaar", "measure", "age_group", "n_cases",
                                                      "n_deaths", "deaths_per_1000_cases"]],
                           dims=[jaar, measure, "age_group"], counts=["n_cases", "n_deaths"],
                           derived={"deaths_per_1000_cases": ["n_deaths", "n_cases"]},
                           denominators={"n_deaths": "n_cases"}))
    return specs


def test_prevalence_publication_at_region_scale():
    specs = prevalence_publication()
    ps = protect(specs)
    assert attack(ps)["protected"].all()
    for spec in ps.specs:
        t = ps.tables[spec.name]
        for col in spec.counts:
            shown = t[f"{col}_status"].isin(["shown", "zero"])
            v = spec.data[col]
            assert ((v[shown] == 0) | (v[shown] >= THRESHOLD)).all()
    # the same cell (year, measure, age group) has one status in both tables that show it
    a = ps.tables["prevalence_by_age_group"].set_index(["jaar", "measure", "age_group"])
    d = ps.tables["deaths_among_cases"].set_index(["jaar", "measure", "age_group"])
    assert (a.loc[d.index, "n_cases_status"] == d["n_cases_status"]).all()
    # provinces are suppressed so that no region total gives one away
    audit = ps.audit.set_index(["table", "status"]).sort_index()
    assert audit.loc[("prevalence_by_province", "primary"), "n_cells"].sum() > 0
    assert audit.loc[("deaths_among_cases", "primary"), "n_cells"].sum() > 0
