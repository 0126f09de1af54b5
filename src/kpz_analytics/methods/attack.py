"""The attacker's linear programme: how far can a suppressed cell be narrowed down?

This module knows nothing about tables. It works on a :class:`LinearSystem`: numbered cell
values ``x_0 … x_{n-1}`` tied together by homogeneous linear relations

    sum_i a_i x_i  = 0      (kind ``"eq"``: a total equals the sum of its parts,
                             two tables publish the same total)
    sum_i a_i x_i <= 0      (kind ``"le"``: a count cannot exceed its denominator, a category of
                             an overlapping classification cannot exceed its total, ...)

together with, per cell, what the attacker knows about it: its exact value when it is shown,
otherwise lower and upper bounds (non-negativity, a published denominator, what a suppression
marker says). :mod:`kpz_analytics.methods.disclosure` builds the system from the published
tables and decides what the bounds are.

For a suppressed cell ``c`` the attacker solves

    minimise / maximise  x_c
    subject to           every relation, every bound, shown cells fixed at their values

with the HiGHS solver: through ``highspy`` when it is installed (one model per group of
linked cells, re-solved with a new objective and a warm start), otherwise through
``scipy.optimize.linprog(method="highs")``, which bundles the same solver. The optimum pair
is the cell's *feasible interval*: every value in it is consistent with everything
published. This is the audit of sdcTable's ``attack()`` and of tau-ARGUS's interval check
(Hundepool et al. 2012, *Statistical Disclosure Control*, §4.2 and §5.4), run over all tables
of a publication at once.

Three devices keep this fast without changing any answer:

- **vacuous relations** are dropped: a relation whose only role is to define an unpublished,
  unbounded total (``t = a + b`` with ``t`` published nowhere else) cannot restrict anything,
  nor can an inequality whose unpublished side can always move out of the way, nor all the
  inequalities ``a <= t``, ``b <= t``, ... that put the categories of a non-additive
  classification below a total published nowhere (``t`` can be as large as needed); this
  is what keeps tables with several non-additive dimensions from becoming one programme
  over all their hidden cells. Relations implied by others (``shadow``) are left out of
  the programmes;
- **components**: the remaining relations are split into connected groups of unknown cells,
  and each cell's programme contains only its own group; a group with a single relation is
  solved exactly by interval arithmetic;
- **witnesses**: every solution found is a feasible point for all other cells of its group,
  so (pass/fail mode) a cell whose values seen so far already span its requirement needs no
  programme of its own, and (always) a cell seen at one of its own bounds (a marker's 1 or
  9, a magnitude's 0) needs no programme for that end of its interval.

A cheap combinatorial pass, :func:`determined_cells`, finds cells that follow exactly from a
chain of sums (the classic "row total minus the other cells"); the LP finds everything else,
including narrowing by bounds.

The LP relaxes integrality. For counts the attacker also knows the value is a whole number,
so :func:`feasible_intervals` rounds a count's interval *inward* to integers
(``ceil(min)``, ``floor(max)``). An attacker with an integer programme could in rare cases do
a little better still (when an interval's end point is not attained by any integer
solution; never for a two-way table with its margins, whose constraint matrix is totally
unimodular); sdcTable and tau-ARGUS share this limitation.
"""

from __future__ import annotations

import math
import os
import sys
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize, sparse
from scipy.sparse import csgraph

from ..errors import KpzError

__all__ = ["Relation", "LinearSystem", "useful_relations", "components", "determined_cells",
           "feasible_intervals", "solver"]

#: Tolerance of the LP solutions (HiGHS default primal feasibility tolerance is 1e-7).
TOLERANCE = 1e-6

#: With False, :func:`feasible_intervals` takes the plain path: every target gets its two
#: programmes over its whole component (components joined by every relation that is not
#: vacuous in the sense of ``useful_relations(..., above=False)``), without dropping the
#: inequalities below unpublished totals, without interval arithmetic for single relations,
#: witnesses or the cache. Slow; the tests compare the default path with it.
SHORTCUTS = True


@dataclass(frozen=True)
class Relation:
    """One homogeneous relation ``sum(coef * x[var]) (= or <=) 0``.

    ``origin`` says in words where the relation comes from (shown in error messages). A
    ``shadow`` relation is implied by the others: it is left out of the programmes (where it
    would only merge components) but used by :func:`determined_cells`.
    """

    terms: tuple[tuple[int, float], ...]
    kind: str  # "eq" or "le"
    origin: str = ""
    shadow: bool = False

    def variables(self) -> list[int]:
        return [v for v, _ in self.terms]


@dataclass
class LinearSystem:
    """Cells ``0 … n-1`` and the relations the attacker knows to hold between them.

    The relations are not changed after construction: the index by cell and the array form
    are built once, on first use.
    """

    n: int
    relations: list[Relation] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._by_var: tuple[np.ndarray, np.ndarray] | None = None
        self._arrays: _Arrays | None = None

    def relations_of(self, var: int) -> list[int]:
        """Indices of the relations in which ``var`` appears, in increasing order."""
        if self._by_var is None:
            a = self.arrays()
            order = np.argsort(a.var, kind="stable")
            start = np.searchsorted(a.var[order], np.arange(self.n + 1))
            self._by_var = (start, a.rel[order])
        start, rel = self._by_var
        if not 0 <= var < self.n:
            return []
        return rel[start[var]:start[var + 1]].tolist()

    def arrays(self) -> _Arrays:
        """The relations as flat arrays, one entry per term (see :class:`_Arrays`)."""
        if self._arrays is None:
            rels = self.relations
            sizes = np.array([len(rel.terms) for rel in rels], dtype=np.int64)
            var = np.array([v for rel in rels for v, _ in rel.terms], dtype=np.int64)
            coef = np.array([c for rel in rels for _, c in rel.terms], dtype=float)
            le = np.array([rel.kind == "le" for rel in rels], dtype=bool)
            shadow = np.array([rel.shadow for rel in rels], dtype=bool)
            rel = np.repeat(np.arange(len(rels), dtype=np.int64), sizes)
            self._arrays = _Arrays(var, coef, rel, sizes, le, shadow)
        return self._arrays


@dataclass(frozen=True)
class _Arrays:
    """A :class:`LinearSystem` as arrays: term ``e`` is ``coef[e] * x[var[e]]`` in relation
    ``rel[e]`` (terms in the order of the relations); per relation its number of terms,
    whether it is an inequality and whether it is a shadow."""

    var: np.ndarray
    coef: np.ndarray
    rel: np.ndarray
    sizes: np.ndarray
    le: np.ndarray
    shadow: np.ndarray


def useful_relations(system: LinearSystem, unknown: np.ndarray, free: np.ndarray,
                      upper: np.ndarray, shadows: bool = False, above: bool = True) -> list[int]:
    """Indices of the relations that can restrict an unknown cell, in increasing order.

    Drops relations without unknowns and, repeatedly, relations in which an unpublished
    (``free``), unbounded cell can absorb anything:

    - it appears once, as the total of an equality whose other terms all have the opposite
      sign (``t - a - b = 0``: ``t`` is whatever ``a + b`` is), or on either side of an
      inequality (set it to 0 or make it large);
    - with ``above`` (the default), it appears only on the greater side of inequalities,
      in any number of them (``a <= t``, ``b <= t``, ...: the categories of a classification
      that is not additive, below a total that is published nowhere). Whatever values the
      other cells take, ``t`` can be made large enough for all of them, so the relations
      restrict nothing else. ``above=False`` keeps them (the grouping the complement search
      uses).

    Dropping a relation never changes the set of values the other cells can take together,
    and never makes another cell's relations less droppable, so every cell that qualifies
    is dropped at once, round after round (one round per level of nested unpublished
    totals), and the answer does not depend on the order.
    """
    a = system.arrays()
    n_rel = len(system.relations)
    if n_rel == 0:
        return []
    unknown = np.asarray(unknown, dtype=bool)
    alive = np.bincount(a.rel, weights=unknown[a.var], minlength=n_rel) > 0
    if not shadows:
        alive &= ~a.shadow
    absorbing = (np.asarray(free, dtype=bool) & np.isinf(np.asarray(upper, dtype=float)))[a.var]
    le = a.le[a.rel]
    # an equality term whose coefficient has the opposite sign of all the others' (a total)
    pos = np.bincount(a.rel, weights=a.coef > 0, minlength=n_rel)[a.rel]
    neg = np.bincount(a.rel, weights=a.coef < 0, minlength=n_rel)[a.rel]
    size = a.sizes[a.rel]
    total = ((a.coef > 0) & (pos == 1) & (neg == size - 1)) | \
            ((a.coef < 0) & (neg == 1) & (pos == size - 1))
    alone_ok = le | total        # vacuous when it is the cell's only relation
    greater = le & (a.coef < 0)  # the cell is on the greater side of an inequality
    while True:
        e = alive[a.rel] & absorbing  # terms of absorbing cells in live relations
        count = np.bincount(a.var[e], minlength=system.n)[a.var]
        drop = e & (count == 1) & alone_ok
        if above:
            below = np.bincount(a.var[e & greater], minlength=system.n)[a.var]
            drop |= e & (count == below)
        if not drop.any():
            break
        alive[a.rel[drop]] = False
    return np.flatnonzero(alive).tolist()


def determined_cells(system: LinearSystem, unknown: np.ndarray, free: np.ndarray,
                     upper: np.ndarray) -> dict[int, int]:
    """Unknown cells that follow exactly from equalities, by repeated substitution.

    Starting from the shown cells, an equality with a single unknown term determines that
    term; the cell is then known and may determine others. This is the "difference"
    attack (a total minus all other parts), chained across tables. It finds a subset of
    what :func:`feasible_intervals` finds, in linear time.

    Returns
    -------
    dict
        ``{cell: index of the relation that determined it}``, in the order found (cells
        that are the only unknown of a relation from the start come first).
    """
    useful = useful_relations(system, unknown, free, upper, shadows=True, above=False)
    eqs = [r for r in useful if system.relations[r].kind == "eq"]
    remaining = {r: sum(1 for v, _ in system.relations[r].terms if unknown[v]) for r in eqs}
    members: dict[int, list[int]] = defaultdict(list)
    for r in eqs:
        for v, _ in system.relations[r].terms:
            if unknown[v]:
                members[v].append(r)
    known = np.array(unknown, dtype=bool)  # True = still unknown
    queue = deque(r for r, k in remaining.items() if k == 1)  # breadth first: direct
    found: dict[int, int] = {}                                 # differences come first
    while queue:
        r = queue.popleft()
        if remaining[r] != 1:
            continue
        v = next(v for v, _ in system.relations[r].terms if known[v])
        known[v] = False
        found[v] = r
        for r2 in members[v]:
            remaining[r2] -= 1
            if remaining[r2] == 1:
                queue.append(r2)
    return found


def components(system: LinearSystem, unknown: np.ndarray, relations: Iterable[int]
               ) -> tuple[dict[int, int], dict[int, list[int]]]:
    """Group unknown cells connected through ``relations`` (each with an unknown cell).

    Returns ``({cell: component id}, {component id: relation indices})``; a component's id
    is its smallest cell, its relations are in the order given.
    """
    relations = np.asarray(list(relations), dtype=np.int64)
    if not len(relations):
        return {}, {}
    a = system.arrays()
    n, n_rel = system.n, len(system.relations)
    chosen = np.zeros(n_rel, dtype=bool)
    chosen[relations] = True
    e = chosen[a.rel] & np.asarray(unknown, dtype=bool)[a.var]
    cells, rels = a.var[e], a.rel[e]
    # a graph of cells (0 … n-1) and relations (n …): connected through their terms
    graph = sparse.coo_matrix((np.ones(len(cells)), (cells, n + rels)),
                              shape=(n + n_rel, n + n_rel))
    _, label = csgraph.connected_components(graph, directed=False)
    used = np.unique(cells)
    root = np.full(label.max() + 1, n, dtype=np.int64)
    np.minimum.at(root, label[used], used)
    comp = dict(zip(used.tolist(), root[label[used]].tolist()))
    ids = root[label[n + relations]]
    out: dict[int, list[int]] = defaultdict(list)
    for c, r in zip(ids.tolist(), relations.tolist()):
        out[c].append(r)
    return comp, dict(out)


def _single_relation(rel: Relation, cells: list[int], value, unknown, lower, upper,
                     targets: Sequence[int]) -> dict[int, tuple[float, float]]:
    """Exact optimum when a component has one relation: interval arithmetic on the others
    (linear in the number of terms: the sum over all terms less the target's own)."""
    const = sum(a * value[v] for v, a in rel.terms if not unknown[v])
    coef = {v: a for v, a in rel.terms if unknown[v]}

    def span(v: int, a: float) -> tuple[float, float]:
        lo, hi = a * lower[v], a * upper[v]
        return (lo, hi) if a > 0 else (hi, lo)

    # the sum of the other terms lies in [s_lo, s_hi]: all terms' spans less the target's
    # (infinite ends counted apart, so that a sum without them stays finite)
    spans = {v: span(v, a) for v, a in coef.items()}
    lo_finite = sum(lo for lo, _ in spans.values() if not math.isinf(lo))
    hi_finite = sum(hi for _, hi in spans.values() if not math.isinf(hi))
    lo_infinite = sum(1 for lo, _ in spans.values() if math.isinf(lo))
    hi_infinite = sum(1 for _, hi in spans.values() if math.isinf(hi))
    out = {}
    for t in targets:
        a_t = coef[t]
        t_lo, t_hi = spans[t]
        if lo_infinite - math.isinf(t_lo):
            s_lo = -math.inf
        else:
            s_lo = lo_finite - (0.0 if math.isinf(t_lo) else t_lo)
        if hi_infinite - math.isinf(t_hi):
            s_hi = math.inf
        else:
            s_hi = hi_finite - (0.0 if math.isinf(t_hi) else t_hi)
        # a_t * x_t + S + const (= or <=) 0 with S in [s_lo, s_hi]
        ends_hi = (-const - s_lo) / a_t
        ends_lo = (-const - s_hi) / a_t
        if a_t < 0:
            ends_lo, ends_hi = ends_hi, ends_lo
        if rel.kind == "eq":
            lo, hi = max(lower[t], ends_lo), min(upper[t], ends_hi)
        elif a_t > 0:  # x_t <= (-const - S) / a_t, loosest with S at s_lo
            lo, hi = float(lower[t]), min(upper[t], ends_hi)
        else:          # x_t >= (-const - S) / a_t, loosest with S at s_lo
            lo, hi = max(lower[t], ends_lo), float(upper[t])
        out[t] = (float(lo), float(hi))
    return out


_BANNER_SHOWN = False


def _highs():
    """A silent HiGHS instance (the first construction prints a banner on file descriptor 1)."""
    global _BANNER_SHOWN
    import highspy

    if _BANNER_SHOWN:
        h = highspy.Highs()
    else:
        _BANNER_SHOWN = True
        try:
            sys.stdout.flush()
            saved, devnull = os.dup(1), os.open(os.devnull, os.O_WRONLY)
        except (OSError, ValueError):
            h = highspy.Highs()
        else:
            try:
                os.dup2(devnull, 1)
                h = highspy.Highs()
            finally:
                os.dup2(saved, 1)
                os.close(saved)
                os.close(devnull)
    h.setOptionValue("output_flag", False)
    return h


def _solve_highspy(a_csc, row_lo, row_hi, col_lo, col_hi, targets_local, start, enough,
                   reach=False):
    import highspy

    inf = highspy.kHighsInf
    h = _highs()
    model = highspy.HighsLp()
    n = a_csc.shape[1]
    model.num_col_ = n
    model.num_row_ = a_csc.shape[0]
    model.col_cost_ = np.zeros(n)
    model.col_lower_ = np.asarray(col_lo, dtype=float)
    model.col_upper_ = np.where(np.isinf(col_hi), inf, col_hi).astype(float)
    model.row_lower_ = np.where(np.isinf(row_lo), -inf, row_lo).astype(float)
    model.row_upper_ = np.asarray(row_hi, dtype=float)
    model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    model.a_matrix_.start_ = a_csc.indptr.astype(np.int32)
    model.a_matrix_.index_ = a_csc.indices.astype(np.int32)
    model.a_matrix_.value_ = a_csc.data.astype(float)
    model.a_matrix_.num_col_ = n
    model.a_matrix_.num_row_ = a_csc.shape[0]
    h.passModel(model)
    status_ = highspy.HighsModelStatus
    seen = _Witnesses(targets_local, start)
    out = {}
    for j in targets_local:
        if enough is not None and enough(j, *seen.interval(j)):
            out[j] = seen.interval(j)
            continue
        known = seen.reached(j, col_lo, col_hi) if reach else (None, None)
        h.changeColCost(j, 1.0)
        ends = []
        for sense, end in zip((highspy.ObjSense.kMinimize, highspy.ObjSense.kMaximize), known):
            if end is not None:
                ends.append(end)
                continue
            h.changeObjectiveSense(sense)
            h.run()
            st = h.getModelStatus()
            if st == status_.kUnboundedOrInfeasible:  # presolve could not tell: ask again
                h.setOptionValue("presolve", "off")
                h.run()
                st = h.getModelStatus()
                h.setOptionValue("presolve", "choose")
            if st == status_.kOptimal:
                ends.append(h.getInfo().objective_function_value)
                seen.add(np.asarray(h.getSolution().col_value))
            elif st == status_.kUnbounded:
                ends.append(-math.inf if sense == highspy.ObjSense.kMinimize else math.inf)
            else:
                return None, h.modelStatusToString(st)
        h.changeColCost(j, 0.0)
        out[j] = tuple(ends)
    return out, ""


class _Witnesses:
    """Smallest and largest value of each target over the feasible solutions seen so far.

    Every solution of one programme is a feasible point for all the others, so a target
    whose values seen already span what its requirement asks for needs no programme of its
    own (the audit trick of tau-ARGUS and sdcTable); and a target seen at its own bound
    (a marker's 1 or 9, a magnitude's 0) needs no programme for that end, since no
    solution goes beyond its bounds.
    """

    def __init__(self, targets, start) -> None:
        self.targets = np.asarray(list(targets), dtype=int)
        self.position = {j: k for k, j in enumerate(self.targets.tolist())}
        self.lo = np.asarray(start, dtype=float)[self.targets]
        self.hi = self.lo.copy()

    def add(self, x: np.ndarray) -> None:
        values = x[self.targets]
        np.minimum(self.lo, values, out=self.lo)
        np.maximum(self.hi, values, out=self.hi)

    def interval(self, j: int) -> tuple[float, float]:
        k = self.position[j]
        return float(self.lo[k]), float(self.hi[k])

    def reached(self, j: int, col_lo, col_hi) -> tuple[float | None, float | None]:
        """The ends of ``j``'s feasible interval that solutions seen reach: its bounds."""
        lo, hi = self.interval(j)
        bound_lo, bound_hi = float(col_lo[j]), float(col_hi[j])
        at_lo = lo <= bound_lo + 1e-9 * max(1.0, abs(bound_lo))
        at_hi = math.isfinite(bound_hi) and hi >= bound_hi - 1e-9 * max(1.0, abs(bound_hi))
        return (bound_lo if at_lo else None), (bound_hi if at_hi else None)


def _solve_scipy(a_csc, row_lo, row_hi, col_lo, col_hi, targets_local, start, enough,
                 reach=False):
    eq = np.isfinite(row_lo)
    a = a_csc.tocsr()
    a_eq, b_eq = (a[eq], row_hi[eq]) if eq.any() else (None, None)
    a_ub, b_ub = (a[~eq], row_hi[~eq]) if (~eq).any() else (None, None)
    bounds = [(lo, None if math.isinf(hi) else hi) for lo, hi in zip(col_lo, col_hi)]
    seen = _Witnesses(targets_local, start)
    out = {}
    for j in targets_local:
        if enough is not None and enough(j, *seen.interval(j)):
            out[j] = seen.interval(j)
            continue
        known = seen.reached(j, col_lo, col_hi) if reach else (None, None)
        objective = np.zeros(a.shape[1])
        objective[j] = 1.0
        ends = []
        for sign, end in zip((1.0, -1.0), known):
            if end is not None:
                ends.append(end)
                continue
            res = optimize.linprog(sign * objective, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq,
                                   bounds=bounds, method="highs")
            if res.status == 3:
                ends.append(math.inf if sign < 0 else -math.inf)
            elif res.status == 0:
                ends.append(sign * res.fun)
                seen.add(np.asarray(res.x))
            else:
                return None, res.message
        out[j] = tuple(ends)
    return out, ""


def solver() -> str:
    """The LP back end in use: ``"highspy"`` when installed, else SciPy's bundled HiGHS."""
    try:
        import highspy  # noqa: F401
    except ImportError:
        return "scipy"
    return "highspy"


def feasible_intervals(system: LinearSystem, value: np.ndarray, unknown: np.ndarray,
                       free: np.ndarray, lower: np.ndarray, upper: np.ndarray,
                       targets: Sequence[int], integral: np.ndarray | None = None,
                       cache: dict | None = None,
                       enough: Callable[[int, float, float], bool] | None = None
                       ) -> dict[int, tuple[float, float]]:
    """Feasible minimum and maximum of each target cell given everything published.

    Parameters
    ----------
    system : the cells and their relations.
    value : value of every cell; used for shown cells (``unknown`` False) only.
    unknown : True for cells the attacker does not see (suppressed or unpublished).
    free : True for unpublished cells (a subset of ``unknown``).
    lower, upper : the attacker's bounds on each unknown cell (``upper`` may be ``inf``).
    targets : unknown cells whose interval is wanted.
    integral : True for cells that are counts; their interval is rounded inward to the
        integers it contains (``ceil(min - tol)``, ``floor(max + tol)``).
    cache : a dict kept between calls on the same system and values: components whose
        cells, bounds and relations did not change are not solved again.
    enough : ``enough(target, lo, hi)`` says whether an interval known to lie inside the
        feasible interval already meets the target's requirement. When given, a target is
        not solved for once the solutions found for other targets (and ``value``, which
        is feasible) span such an interval, and that inner interval is returned instead:
        right for pass/fail, not for reporting the exact interval.

    ``cache`` and ``enough`` are ignored on the plain path (:data:`SHORTCUTS` False).

    Returns
    -------
    dict
        ``{target: (feasible_min, feasible_max)}``; ``feasible_max`` is ``inf`` when the
        programme is unbounded.

    Raises
    ------
    KpzError
        When a programme is infeasible: the published values contradict the declared
        relations or bounds (a bug upstream, since the true values satisfy them).
    """
    value = np.asarray(value, dtype=float)
    unknown = np.asarray(unknown, dtype=bool)
    lower = np.asarray(lower, dtype=float)
    upper = np.asarray(upper, dtype=float)
    shortcuts = SHORTCUTS
    if not shortcuts:
        cache = enough = None
    useful = useful_relations(system, unknown, free, upper, above=shortcuts)
    comp, comp_rel = components(system, unknown, useful)
    raw: dict[int, tuple[float, float]] = {}
    by_comp: dict[int, list[int]] = defaultdict(list)
    for t in targets:
        if t in comp:
            by_comp[comp[t]].append(t)
        else:  # no relation touches it: only its own bounds
            raw[t] = (float(lower[t]), float(upper[t]))
    use_highspy = solver() == "highspy"
    for c, ts in by_comp.items():
        rel_ids = comp_rel.get(c, [])
        rels = [system.relations[r] for r in rel_ids]
        cells = sorted({v for rel in rels for v, _ in rel.terms if unknown[v]})
        signature = (tuple(rel_ids), tuple(cells), tuple(lower[cells]), tuple(upper[cells]),
                     enough is None)
        if cache is not None and signature in cache:
            solved = cache[signature]
            if all(t in solved for t in ts):
                raw.update({t: solved[t] for t in ts})
                continue
        if len(rels) == 1 and shortcuts:
            solved = _single_relation(rels[0], cells, value, unknown, lower, upper, ts)
        else:
            index = {v: i for i, v in enumerate(cells)}
            r_i, c_i, d_i, row_lo, row_hi = [], [], [], [], []
            for k, rel in enumerate(rels):
                const = 0.0
                for v, a in rel.terms:
                    if unknown[v]:
                        r_i.append(k)
                        c_i.append(index[v])
                        d_i.append(a)
                    else:
                        const += a * value[v]
                row_hi.append(-const)
                row_lo.append(-const if rel.kind == "eq" else -math.inf)
            a_csc = sparse.csc_matrix((d_i, (r_i, c_i)), shape=(len(rels), len(cells)))
            solve = _solve_highspy if use_highspy else _solve_scipy
            local_enough = None
            if enough is not None:
                def local_enough(j, lo, hi, cells=cells):
                    return enough(cells[j], lo, hi)
            local, message = solve(a_csc, np.array(row_lo), np.array(row_hi), lower[cells],
                                   upper[cells], [index[t] for t in ts], value[cells],
                                   local_enough, reach=shortcuts)
            if local is None:
                raise KpzError(
                    f"the attacker's programme is {str(message).lower()}: the published values "
                    "contradict the relations declared between them "
                    f"({'; '.join(sorted({r.origin for r in rels})[:3])})")
            solved = {t: local[index[t]] for t in ts}
        if cache is not None:
            cache.setdefault(signature, {}).update(solved)
        raw.update(solved)
    out: dict[int, tuple[float, float]] = {}
    for t, (lo, hi) in raw.items():
        lo, hi = max(lo, float(lower[t])), min(hi, float(upper[t]))
        if integral is not None and integral[t]:
            lo = float(math.ceil(lo - TOLERANCE))
            hi = hi if math.isinf(hi) else float(math.floor(hi + TOLERANCE))
        out[t] = (lo, hi)
    return out
