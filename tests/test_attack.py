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
    Magnitude,
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


def test_categories_below_an_unpublished_total_are_vacuous():
    # a <= t, b <= t, c <= t with t published nowhere: t can be as large as needed
    rel = [lp.Relation(((v, 1.0), (0, -1.0)), "le") for v in (1, 2, 3)]
    # ... but b <= d with d published and suppressed restricts b and d
    rel.append(lp.Relation(((2, 1.0), (4, -1.0)), "le"))
    system = lp.LinearSystem(5, rel)
    unknown = np.ones(5, dtype=bool)
    free = np.array([True, False, False, False, False])
    upper = np.full(5, np.inf)
    assert lp.useful_relations(system, unknown, free, upper) == [3]
    assert lp.useful_relations(system, unknown, free, upper, above=False) == [0, 1, 2, 3]
    # a bounded total (a published denominator) is not vacuous
    upper[0] = 20.0
    assert lp.useful_relations(system, unknown, free, upper) == [0, 1, 2, 3]
    # nor is a total that is also the sum of its parts: t = a + e, so b <= a + e
    upper[0] = np.inf
    system = lp.LinearSystem(6, [*rel, lp.Relation(((0, 1.0), (1, -1.0), (5, -1.0)), "eq")])
    assert lp.useful_relations(system, np.ones(6, dtype=bool), np.append(free, False),
                               np.full(6, np.inf)) == [0, 1, 2, 3, 4]
    # a cascade: once the inequalities on t go, s is the total of a single equality
    system = lp.LinearSystem(7, [*rel, lp.Relation(((6, 1.0), (0, -1.0), (5, -1.0)), "eq")])
    free7 = np.array([True, False, False, False, False, False, True])
    assert lp.useful_relations(system, np.ones(7, dtype=bool), free7, np.full(7, np.inf)) == [3]


def reference_useful_relations(system, unknown, free, upper, shadows=False, above=True):
    """:func:`lp.useful_relations` as its docstring says it, one cell at a time."""
    alive = [(shadows or not rel.shadow) and any(unknown[v] for v, _ in rel.terms)
             for rel in system.relations]
    changed = True
    while changed:
        changed = False
        for v in range(system.n):
            if not free[v] or not math.isinf(upper[v]):
                continue
            mine = [r for r, rel in enumerate(system.relations)
                    if alive[r] and any(u == v for u, _ in rel.terms)]
            if not mine:
                continue
            greater = [r for r in mine if system.relations[r].kind == "le"
                       and dict(system.relations[r].terms)[v] < 0]
            drop = []
            if above and len(greater) == len(mine):
                drop = mine
            elif len(mine) == 1:
                rel = system.relations[mine[0]]
                coef = dict(rel.terms)[v]
                if rel.kind == "le" or all(c * coef < 0 for u, c in rel.terms if u != v):
                    drop = mine
            for r in drop:
                alive[r] = False
                changed = True
    return [r for r, a in enumerate(alive) if a]


def reference_components(system, unknown, relations):
    """:func:`lp.components` by a search from each cell."""
    relations = list(relations)
    touching = {}
    for r in relations:
        for v, _ in system.relations[r].terms:
            if unknown[v]:
                touching.setdefault(v, []).append(r)
    comp = {}
    for start in sorted(touching):
        if start in comp:
            continue
        stack = [start]
        comp[start] = start
        while stack:
            v = stack.pop()
            for r in touching[v]:
                for u, _ in system.relations[r].terms:
                    if unknown[u] and u not in comp:
                        comp[u] = start
                        stack.append(u)
    rels = {}
    for r in relations:
        v = next(v for v, _ in system.relations[r].terms if unknown[v])
        rels.setdefault(comp[v], []).append(r)
    return comp, rels


def random_system(rng, n=30, n_rel=40):
    """Random relations of the kinds the disclosure model makes: sums, <=, nested totals."""
    rels = []
    for _ in range(n_rel):
        k = int(rng.integers(2, 6))
        vs = rng.choice(n, size=k, replace=False)
        if rng.random() < 0.5:
            terms = [(int(vs[0]), 1.0)] + [(int(v), -1.0) for v in vs[1:]]
            rels.append(lp.Relation(tuple(sorted(terms)), "eq", shadow=bool(rng.random() < 0.1)))
        elif rng.random() < 0.7:
            rels.append(lp.Relation(tuple(sorted([(int(vs[0]), 1.0), (int(vs[1]), -1.0)])), "le"))
        else:
            coefs = rng.choice([-1.0, 1.0], size=k)
            rels.append(lp.Relation(tuple(sorted(zip(vs.tolist(), coefs.tolist()))),
                                    "le" if rng.random() < 0.5 else "eq"))
    return lp.LinearSystem(n, rels)


def test_array_algorithms_match_their_definitions():
    rng = np.random.default_rng(8)
    for _ in range(150):
        system = random_system(rng, n=int(rng.integers(5, 40)), n_rel=int(rng.integers(1, 50)))
        unknown = rng.random(system.n) < 0.7
        free = unknown & (rng.random(system.n) < 0.5)
        upper = np.where(rng.random(system.n) < 0.15, 30.0, np.inf)
        for shadows in (False, True):
            for above in (False, True):
                fast = lp.useful_relations(system, unknown, free, upper, shadows, above)
                assert fast == reference_useful_relations(system, unknown, free, upper,
                                                          shadows, above)
        useful = lp.useful_relations(system, unknown, free, upper)
        assert lp.components(system, unknown, useful) == reference_components(system, unknown,
                                                                              useful)
        for v in range(system.n):
            assert system.relations_of(v) == [r for r, rel in enumerate(system.relations)
                                               if v in rel.variables()]


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


# --------------------------------------------------------------------- event-time publications
def event_time_publication(seed: int, n_persons: int | None = None) -> list[TableSpec]:
    """Random tables shaped like the transition report, aggregated from synthetic persons.

    Persons of two cohorts are followed for some months; in each month they may use any of
    three services, and ``o12`` is "o1 or o2" (a category containing two others). The
    tables: cohort × outcome × month (non-additive dimensions, ``n_using <= n_at_risk``,
    a cost magnitude with dominance columns, derived shares and means), the same counts by
    outcome × month over both cohorts (linked when cohort is declared additive), persons at
    risk by cohort × region × month (their sum over regions is the total every outcome's
    ``n_at_risk`` lies below), persons by cohort × region with provinces nested in regions
    and a population denominator, and sometimes persons per cohort with a total row.
    """
    rng = np.random.default_rng(seed)
    n = int(n_persons or rng.integers(40, 300))
    months = list(range(int(rng.integers(2, 6))))
    cohort = rng.choice(["a", "b"], size=n, p=[0.6, 0.4])
    length = rng.integers(1, len(months) + 1, size=n)  # months followed
    region = rng.choice(["p1", "p2", "p3", "p4"], size=n, p=[0.4, 0.3, 0.2, 0.1])
    base = {"o1": 0.15, "o2": 0.08, "o3": 0.3}
    use = {o: rng.random((n, len(months))) < p * rng.uniform(0.3, 1.5) for o, p in base.items()}
    use["o12"] = use["o1"] | use["o2"]
    cost = {o: np.round(rng.lognormal(4, 2.2, size=(n, len(months))) * use[o], 2)
            for o in ("o1", "o2", "o3")}
    cost["o12"] = cost["o1"] + cost["o2"]
    outcomes = ["o1", "o2", "o3", "o12"]
    cohort_additive = bool(rng.random() < 0.5)

    def counts_by(cohorts):
        rows = []
        for c in cohorts:
            who = np.isin(cohort, [c] if c != "Totaal" else ["a", "b"])
            for o in outcomes:
                for m in months:
                    at_risk = who & (length > m)
                    users = at_risk & use[o][:, m]
                    contrib = np.sort(cost[o][users, m])[::-1]
                    top = np.append(contrib, [0.0, 0.0])
                    rows.append(dict(cohort=c, outcome=o, event_month=m,
                                     n_at_risk=int(at_risk.sum()), n_using=int(users.sum()),
                                     sum_cost=float(contrib.sum()), cost_top1=float(top[0]),
                                     cost_top2=float(top[1])))
        df = pd.DataFrame(rows)
        df["share_using"] = df["n_using"] / df["n_at_risk"].where(df["n_at_risk"] > 0)
        df["mean_cost"] = df["sum_cost"] / df["n_using"].where(df["n_using"] > 0)
        return df

    outcome_dim = Dim("outcome", additive=False, subset_of={"o1": "o12", "o2": "o12"},
                      covering=bool(rng.random() < 0.3))
    month_dim = Dim("event_month", additive=False)
    specs = [TableSpec(
        "event_time", counts_by(["a", "b"]),
        dims=[Dim("cohort", additive=cohort_additive), outcome_dim, month_dim],
        counts=["n_at_risk", "n_using"], denominators={"n_using": "n_at_risk"},
        magnitudes={"sum_cost": Magnitude("n_using", largest="cost_top1", second="cost_top2")},
        derived={"share_using": "n_using", "mean_cost": "sum_cost"}, total_code=None)]
    if rng.random() < 0.6:
        overall = counts_by(["Totaal"]).drop(columns=["cohort", "sum_cost", "cost_top1",
                                                       "cost_top2", "mean_cost"])
        specs.append(TableSpec("event_time_overall", overall, dims=[outcome_dim, month_dim],
                               counts=["n_at_risk", "n_using"],
                               denominators={"n_using": "n_at_risk"},
                               derived={"share_using": "n_using"}, total_code=None))
    if rng.random() < 0.6:  # its region total is the cohort total below every outcome
        rows = [dict(cohort=c, region=p, event_month=m,
                     n_at_risk=int(((cohort == c) & (region == p) & (length > m)).sum()))
                for c in ["a", "b"] for p in ["p1", "p2", "p3", "p4"] for m in months]
        specs.append(TableSpec("at_risk_by_region", pd.DataFrame(rows),
                               dims=["cohort", "region", month_dim], counts=["n_at_risk"],
                               total_code=None))
    rows = []
    margins = bool(rng.random() < 0.6)
    for c in ["a", "b"]:
        for p in ["p1", "p2", "p3", "p4"]:
            rows.append((c, p, int(((cohort == c) & (region == p)).sum())))
        if margins:
            rows += [(c, "R1", int(((cohort == c) & np.isin(region, ["p1", "p2"])).sum())),
                     (c, "R2", int(((cohort == c) & np.isin(region, ["p3", "p4"])).sum())),
                     (c, "Totaal", int((cohort == c).sum()))]
    df = pd.DataFrame(rows, columns=["cohort", "region", "n_persons"])
    df["population"] = rng.integers(20, 60, size=len(df)) * 100
    df["rate"] = df["n_persons"] / df["population"]
    specs.append(TableSpec("by_region", df, dims=["cohort", Dim("region", hierarchy={
        "R1": ["p1", "p2"], "R2": ["p3", "p4"]})], counts=["n_persons"],
        denominators={"n_persons": "population"}, derived={"rate": "n_persons"}))
    if rng.random() < 0.5:
        per_cohort = [int((cohort == "a").sum()), int((cohort == "b").sum()), n]
        df = pd.DataFrame({"cohort": ["a", "b", "Totaal"], "n_persons": per_cohort})
        specs.append(TableSpec("persons", df, dims=["cohort"], counts=["n_persons"]))
    return specs


def shortcut_and_plain(specs, monkeypatch, **rules):
    """``protect`` and ``attack`` with the attack's shortcuts, then on its plain path."""
    out = []
    for shortcuts in (True, False):
        monkeypatch.setattr(lp, "SHORTCUTS", shortcuts)
        try:
            ps = protect(specs, **rules)
        except KpzError as exc:
            out.append((str(exc), None, None))
            continue
        out.append((ps, attack(ps), None))
    monkeypatch.setattr(lp, "SHORTCUTS", False)  # the plain attack of the fast result
    if not isinstance(out[0][0], str):
        out[0] = (out[0][0], out[0][1], attack(out[0][0]))
    return out


@pytest.mark.parametrize("seed", [0, 2, 5, 9, 23])
def test_shortcuts_give_the_statuses_and_intervals_of_the_plain_path(seed, monkeypatch):
    specs = event_time_publication(seed, n_persons=80 + 15 * seed)
    if seed % 2:
        specs += [s for s in random_publication(seed)[0] if s.name != "by_year"]
    rules = dict(show_zeros=False) if seed == 9 else {}
    (fast, fast_attack, fast_plain_attack), (plain, plain_attack, _) = \
        shortcut_and_plain(specs, monkeypatch, **rules)
    assert type(fast) is type(plain)
    if isinstance(fast, str):
        assert fast == plain
        return
    for name, table in fast.tables.items():
        pd.testing.assert_frame_equal(table, plain.tables[name])
    pd.testing.assert_frame_equal(fast.audit, plain.audit)
    assert len(fast_attack) and fast_attack["protected"].all()
    for result in (plain_attack, fast_plain_attack):
        pd.testing.assert_frame_equal(fast_attack, result, check_exact=False, rtol=1e-7)
