"""Realistic dirt that a clean extract still contains, and malformed rows for ``--faults``.

Clean dirt (never quarantined, net care unchanged):

* credit + replacement: a line is cancelled by a credit line (negative ``bedrag`` and quantity,
  ``credit_voor_id`` = the line) and declared again under a new id with a corrected amount;
* cancelled extra line: a wrongly declared copy (new id, other amount) that is credited
  without replacement — net it is no care;
* exact duplicates: a line delivered twice, identical in every column;
* late lines (made in ``care.py``): lines that overlap the period start or end only partly.

Faults (``--faults``): extra malformed rows appended at the end of a file, one quarantine
reason each, never touching a real row, listed in ``_truth/faults.csv``.
"""

from __future__ import annotations

import numpy as np

from . import parameters as P
from .writer import NULL_ID

QUANTITY = {"dot": None, "zvw_overig": "aantal", "wlz_declaraties": "aantal", "wmo": "volume",
            "jeugdwet": "volume"}


def _take(cols: dict, idx: np.ndarray) -> dict:
    return {k: v[idx] for k, v in cols.items()}


def finish_claims(rng: np.random.Generator, table: str, cols: dict, counter: dict) -> dict:
    """Sort a claims chunk, assign ``declaratie_id`` and add credits, replacements, duplicates.

    ``counter[table]`` is the next free id (ids are unique over the whole file). Returns the
    final columns; for ``dot`` also ``_line`` (generator line number, -1 for added rows) and
    ``_replaces`` (line number whose activities a replacement line repeats, else -1).
    """
    n = len(cols["persoon_id"])
    order = np.lexsort((cols["einddatum"], cols["begindatum"], cols["persoon_id"]))
    cols = _take(cols, order)
    if "_line" not in cols:
        cols["_line"] = np.arange(n)
    cols["_replaces"] = np.full(n, -1)
    start = counter[table]
    cols["declaratie_id"] = start + np.arange(n, dtype=np.int64)
    counter[table] = start + n
    u = rng.random(n)
    repl = np.flatnonzero(u < P.CREDIT_REPLACED)
    canc = np.flatnonzero((u >= P.CREDIT_REPLACED) & (u < P.CREDIT_REPLACED + P.CREDIT_CANCELLED))
    dup = np.flatnonzero(rng.random(n) < P.EXACT_DUPLICATE)
    qty = QUANTITY[table]

    def new_ids(k):
        ids = counter[table] + np.arange(k, dtype=np.int64)
        counter[table] += k
        return ids

    def credit_of(rows):
        c = {k: v.copy() for k, v in rows.items()}
        c["credit_voor_id"] = rows["declaratie_id"].copy()
        c["declaratie_id"] = new_ids(len(rows["declaratie_id"]))
        c["bedrag"] = -c["bedrag"]
        if qty:
            c[qty] = -c[qty]
        c["_line"] = np.full(len(c["bedrag"]), -1)
        c["_replaces"] = np.full(len(c["bedrag"]), -1)
        return c

    parts = [cols]
    # credit + replacement (corrected amount, same care)
    orig = _take(cols, repl)
    parts.append(credit_of(orig))
    rep = {k: v.copy() for k, v in orig.items()}
    rep["declaratie_id"] = new_ids(len(repl))
    rep["bedrag"] = np.round(rep["bedrag"] * rng.uniform(0.9, 1.1, len(repl))).astype(np.int64)
    rep["_replaces"] = orig["_line"]
    rep["_line"] = np.full(len(repl), -1)
    parts.append(rep)
    # wrongly declared extra line, credited without replacement
    extra = {k: v.copy() for k, v in _take(cols, canc).items()}
    extra["declaratie_id"] = new_ids(len(canc))
    extra["bedrag"] = np.round(extra["bedrag"] * rng.uniform(0.5, 1.5, len(canc))).astype(np.int64)
    extra["_line"] = np.full(len(canc), -1)
    parts.append(extra)
    parts.append(credit_of(extra))
    # exact duplicates (same id, same content)
    d = _take(cols, dup)
    d["_line"] = np.full(len(dup), -1)
    parts.append(d)
    out = {k: np.concatenate([p[k] for p in parts]) for k in cols}
    order = np.lexsort((out["begindatum"], out["persoon_id"]))  # stable: originals first
    return _take(out, order)


def finish_activities(acts: dict, dot: dict) -> dict:
    """Give activities the final ``declaratie_id`` of their line; replacements repeat them."""
    line_id = np.full(int(max(acts["_line"].max(initial=-1), dot["_line"].max(initial=-1))) + 1, NULL_ID)
    base = dot["_line"] >= 0
    # duplicates also carry _line -1, so each generator line maps to exactly one id
    line_id[dot["_line"][base]] = dot["declaratie_id"][base]
    ids = line_id[acts["_line"]]
    parts_id, parts_idx = [ids], [np.arange(len(ids))]
    rep = np.flatnonzero(dot["_replaces"] >= 0)
    if len(rep):
        # activities of replaced lines, repeated under the replacement id
        src = dot["_replaces"][rep]
        order = np.argsort(acts["_line"], kind="stable")
        sorted_lines = acts["_line"][order]
        lo = np.searchsorted(sorted_lines, src, side="left")
        hi = np.searchsorted(sorted_lines, src, side="right")
        cnt = hi - lo
        which = np.repeat(np.arange(len(rep)), cnt)
        k = np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        parts_idx.append(order[lo[which] + k])
        parts_id.append(dot["declaratie_id"][rep][which])
    idx = np.concatenate(parts_idx)
    out = {k: v[idx] for k, v in acts.items() if not k.startswith("_")}
    out["declaratie_id"] = np.concatenate(parts_id)
    order = np.lexsort((out["zorgactiviteit_code"], out["datum"], out["declaratie_id"]))
    return {k: v[order] for k, v in out.items()}


# ----------------------------------------------------------------------------- faults
#: Per file, the malformed rows to append, in priority order: (reason, column, change).
#: ``change`` maps columns to literal text; "{id}" / "{id2}" are fresh keys, "{pid}" is a
#: person id that is not in personen.
FAULTS: dict[str, list[tuple[str, str, dict]]] = {
    "personen": [
        ("date", "geboortemaand", {"persoon_id": "{fake}", "geboortemaand": "2010-13"}),
        ("enum", "geslacht", {"persoon_id": "{fake}", "geslacht": "X"}),
        ("missing", "provincie_code", {"persoon_id": "{fake}", "provincie_code": None}),
        ("conflict", "persoon_id", {"persoon_id": "{fake}", "geslacht": "M"}),
    ],
    "verzekeringsperioden": [
        ("date", "begindatum", {"begindatum": "{y1}-02-30"}),
        ("period_order", "einddatum", {"begindatum": "{y1}-06-10", "einddatum": "{y1}-06-01"}),
        ("unknown_person", "persoon_id", {"persoon_id": "{unknown}"}),
        ("missing", "begindatum", {"begindatum": None}),
    ],
    "dot": [
        ("date", "begindatum", {"begindatum": "{y1}-02-30", "einddatum": "{y1}-03-05"}),
        ("period_order", "einddatum", {"begindatum": "{y1}-03-10", "einddatum": "{y1}-03-01"}),
        ("unknown_person", "persoon_id", {"persoon_id": "{unknown}"}),
        ("enum", "instelling_type", {"instelling_type": "hospice"}),
        ("negative", "bedrag", {"bedrag": "-125.00"}),
        ("missing", "diagnose_code", {"diagnose_code": None}),
        ("out_of_period", "begindatum", {"begindatum": "{after}-03-01", "einddatum": "{after}-03-31"}),
        ("number", "bedrag", {"bedrag": "12,50"}),
        ("orphan_credit", "credit_voor_id", {"bedrag": "-80.00", "credit_voor_id": "{orphan}"}),
        ("conflict", "declaratie_id", {"bedrag": "99.00"}),
    ],
    "dot_zorgactiviteiten": [
        ("date", "datum", {"datum": "{y1}-04-31"}),
        ("enum", "zorgactiviteit_code", {"zorgactiviteit_code": "19A013"}),
        ("number", "aantal", {"aantal": "two"}),
        ("missing", "zorgactiviteit_code", {"zorgactiviteit_code": None}),
    ],
    **{t: [
        ("date", "einddatum", {"begindatum": "{y1}-05-01", "einddatum": "{y1}-05-32"}),
        ("period_order", "einddatum", {"begindatum": "{y1}-03-10", "einddatum": "{y1}-03-01"}),
        ("unknown_person", "persoon_id", {"persoon_id": "{unknown}"}),
        ("enum", "eenheid", {"eenheid": "week"}),
        ("negative", "bedrag", {"bedrag": "-125.00"}),
        ("missing", "prestatie_code" if t != "wmo" and t != "jeugdwet" else "product_code",
         {("prestatie_code" if t != "wmo" and t != "jeugdwet" else "product_code"): None}),
        ("out_of_period", "begindatum", {"begindatum": "{after}-03-01", "einddatum": "{after}-03-31"}),
        ("number", "bedrag", {"bedrag": "12,50"}),
        ("orphan_credit", "credit_voor_id", {"bedrag": "-80.00", "credit_voor_id": "{orphan}"}),
        ("conflict", "declaratie_id", {"bedrag": "99.00"}),
    ] for t in ("zvw_overig", "wlz_declaraties", "wmo", "jeugdwet")},
    "wlz_indicaties": [
        ("enum", "grondslag", {"grondslag": "XX"}),
        ("missing", "zorgprofiel", {"zorgprofiel": None}),
        ("date", "begindatum", {"begindatum": "{y1}-02-30"}),
        ("period_order", "einddatum", {"begindatum": "{y1}-06-10", "einddatum": "{y1}-06-01"}),
        ("unknown_person", "persoon_id", {"persoon_id": "{unknown}"}),
        ("conflict", "indicatie_id", {"zorgprofiel": "VG3"}),
    ],
}
KEY = {"personen": "persoon_id", "wlz_indicaties": "indicatie_id"}


def fault_rows(table: str, template: dict, clean_rows: int, fresh_key, years: tuple[int, int],
               orphan: str) -> tuple[list[dict], list[tuple[int, str, str]]]:
    """Malformed rows for ``table`` (at most FAULT_SHARE of its clean rows).

    ``template`` is a clean, non-credit row (text values) to modify; ``fresh_key()`` returns a
    key value never used in the file. Returns the rows and (offset, column, reason) per row,
    offset 0 = first appended row.
    """
    budget = int(P.FAULT_SHARE * clean_rows)
    rows, listed = [], []
    key = KEY.get(table, "declaratie_id")
    subst = {"{y1}": str(years[0] + 1), "{after}": str(years[1] + 1)}
    for reason, column, change in FAULTS.get(table, []):
        need = 2 if reason == "conflict" else 1
        if budget < need:
            break
        budget -= need
        row = dict(template)
        if key in row and table != "dot_zorgactiviteiten" and table != "verzekeringsperioden":
            row[key] = fresh_key()
        for col, val in change.items():
            if val == "{fake}":
                val = row[key]
            elif val == "{unknown}":
                val = "X" + row.get("persoon_id", "P")[1:]
            elif val == "{orphan}":
                val = orphan
            elif isinstance(val, str):
                for a, b in subst.items():
                    val = val.replace(a, b)
            row[col] = val
        if reason == "conflict":
            first = dict(row)
            if table == "personen":
                first["geslacht"] = "V"
            else:
                first["bedrag" if "bedrag" in first else "zorgprofiel"] = (
                    "98.00" if "bedrag" in first else "VG4")
            rows.append(first)
            listed.append((len(rows) - 1, column, reason))
        rows.append(row)
        listed.append((len(rows) - 1, column, reason))
    return rows, listed
