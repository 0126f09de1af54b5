"""Write extract tables chunk by chunk, byte-for-byte deterministic, CSV or Parquet.

Inside the generator a table chunk is a dict of NumPy columns: day numbers for dates,
hundredths for decimals, integers for ids (formatted with a prefix) and NumPy strings for
text ('' = missing). :func:`to_arrow` turns it into text exactly as the spec writes it:
dates ``YYYY-MM-DD``, decimals with a point and two decimals, empty field = missing.
Parquet files hold the same text (string columns, null = missing), so malformed values
(``--faults``) can be expressed in both formats.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..extract import spec

NULL_DAY = np.int64(-(10**6))  # a missing date
NULL_ID = np.int64(-1)  # a missing id

# Column formats per table (column -> kind); ``id:X`` = prefix X + 10-digit number.
FORMATS: dict[str, dict[str, str]] = {
    "personen": {"persoon_id": "pid", "geboortemaand": "month", "geslacht": "text",
                 "overlijdensdatum": "date", "provincie_code": "text", "gemeente_code": "text",
                 "in_steekproef": "text"},
    "verzekeringsperioden": {"persoon_id": "pid", "begindatum": "date", "einddatum": "date"},
    "populatie": {"jaar": "int", "leeftijd": "int", "geslacht": "text", "provincie_code": "text",
                  "aantal": "int"},
    "dot": {"declaratie_id": "id:DOT", "persoon_id": "pid", "instelling_id": "text",
            "instelling_type": "text", "specialisme": "text", "diagnose_code": "text",
            "icd10": "text", "zorgproduct_code": "text", "begindatum": "date",
            "einddatum": "date", "bedrag": "money", "credit_voor_id": "id:DOT"},
    "dot_zorgactiviteiten": {"declaratie_id": "id:DOT", "zorgactiviteit_code": "text",
                             "datum": "date", "aantal": "int"},
    "zvw_overig": {"declaratie_id": "id:ZVW", "persoon_id": "pid", "zorgsoort": "text",
                   "prestatie_code": "text", "begindatum": "date", "einddatum": "date",
                   "aantal": "money", "eenheid": "text", "bedrag": "money",
                   "leveringsvorm": "text", "credit_voor_id": "id:ZVW"},
    "wlz_indicaties": {"indicatie_id": "id:CIZ", "persoon_id": "pid", "zorgprofiel": "text",
                       "grondslag": "text", "begindatum": "date", "einddatum": "date"},
    "wlz_declaraties": {"declaratie_id": "id:WLZ", "persoon_id": "pid", "leveringsvorm": "text",
                        "prestatie_code": "text", "meerzorg": "text", "begindatum": "date",
                        "einddatum": "date", "aantal": "money", "eenheid": "text",
                        "bedrag": "money", "credit_voor_id": "id:WLZ"},
    **{law: {"declaratie_id": f"id:{law[:3].upper()}", "persoon_id": "pid",
             "gemeente_code": "text", "productcategorie": "text", "product_code": "text",
             "begindatum": "date", "einddatum": "date", "volume": "money", "eenheid": "text",
             "bedrag": "money", "leveringsvorm": "text", "credit_voor_id": f"id:{law[:3].upper()}"}
       for law in ("wmo", "jeugdwet")},
}
for _name, _fmt in FORMATS.items():  # the generator writes exactly the spec's columns
    assert list(_fmt) == spec.TABLES[_name].column_names, _name

PID_MULTIPLIER = 76_543_218_911  # coprime with 10: index -> pseudonym is a bijection
PID_MODULUS = 10**12


def pseudonyms(index: np.ndarray, seed: int) -> pa.Array:
    """Person pseudonyms ``P`` + 12 digits, a bijection of the person number."""
    offset = (seed * 1_000_003 + 12_345) % PID_MODULUS
    num = (np.asarray(index, dtype=np.int64) * PID_MULTIPLIER + offset) % PID_MODULUS
    return _prefixed("P", num, 12)


def _prefixed(prefix: str, num: np.ndarray, width: int) -> pa.Array:
    num = np.asarray(num, dtype=np.int64)
    valid = num >= 0
    text = pc.utf8_lpad(pc.cast(pa.array(np.where(valid, num, 0)), pa.string()), width, "0")
    text = pc.binary_join_element_wise(pa.scalar(prefix), text, "")
    return pc.if_else(pa.array(valid), text, pa.scalar(None, pa.string()))


def _dates(days: np.ndarray) -> pa.Array:
    days = np.asarray(days, dtype=np.int64)
    valid = days != NULL_DAY
    arr = pa.array(np.where(valid, days, 0).astype(np.int32), pa.date32())
    text = pc.cast(arr, pa.string())
    return pc.if_else(pa.array(valid), text, pa.scalar(None, pa.string()))


def _months(month_no: np.ndarray) -> pa.Array:
    days = np.asarray(month_no, dtype="int64").astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    return pc.utf8_slice_codeunits(_dates(days), 0, 7)


def _money(hundredths: np.ndarray) -> pa.Array:
    v = np.asarray(hundredths, dtype=np.int64)
    whole = pc.cast(pa.array(np.abs(v) // 100), pa.string())
    frac = pc.utf8_lpad(pc.cast(pa.array(np.abs(v) % 100), pa.string()), 2, "0")
    text = pc.binary_join_element_wise(whole, frac, ".")
    sign = pa.array(np.where(v < 0, "-", ""))
    return pc.binary_join_element_wise(sign, text, "")


def _text(values: np.ndarray) -> pa.Array:
    arr = pa.array(np.asarray(values).astype(str), pa.string())
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)


def to_arrow(table: str, cols: dict[str, np.ndarray], seed: int) -> pa.Table:
    """Format one chunk of ``table`` as an all-text Arrow table in spec column order."""
    out = {}
    for name, kind in FORMATS[table].items():
        v = cols[name]
        if kind == "pid":
            out[name] = pseudonyms(v, seed)
        elif kind.startswith("id:"):
            out[name] = _prefixed(kind[3:], v, 10)
        elif kind == "date":
            out[name] = _dates(v)
        elif kind == "month":
            out[name] = _months(v)
        elif kind == "money":
            out[name] = _money(v)
        elif kind == "int":
            out[name] = pc.cast(pa.array(np.asarray(v, dtype=np.int64)), pa.string())
        else:
            out[name] = _text(v)
    return pa.table(out)


class TableWriter:
    """Append chunks to one extract file and keep its row count and SHA-256."""

    def __init__(self, out: Path, table: str, fmt: str):
        self.table = table
        self.fmt = fmt
        self.path = out / f"{table}.{fmt}"
        self.rows = 0
        self.columns = spec.TABLES[table].column_names
        self._hash = hashlib.sha256()
        self._schema = pa.schema([(c, pa.string()) for c in self.columns])
        if fmt == "csv":
            self._fh = open(self.path, "wb")
            self._emit((spec.CSV_SEPARATOR.join(self.columns) + "\n").encode())
        else:
            self._fh = pq.ParquetWriter(self.path, self._schema, compression="zstd")

    def _emit(self, data: bytes) -> None:
        self._hash.update(data)
        self._fh.write(data)

    def write(self, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        table = table.select(self.columns).cast(self._schema)
        self.rows += table.num_rows
        if self.fmt == "csv":
            buf = pa.BufferOutputStream()
            pacsv.write_csv(table, buf, pacsv.WriteOptions(
                include_header=False, delimiter=spec.CSV_SEPARATOR, quoting_style="none"))
            self._emit(buf.getvalue().to_pybytes())
        else:
            self._fh.write_table(table, row_group_size=1_000_000)

    def close(self) -> dict:
        self._fh.close()
        if self.fmt != "csv":
            h = hashlib.sha256()
            with open(self.path, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 22), b""):
                    h.update(block)
            self._hash = h
        return {"path": self.path.name, "rows": self.rows, "sha256": self._hash.hexdigest()}


def strings_table(table: str, rows: list[dict[str, str | None]]) -> pa.Table:
    """An all-text table from literal rows (used for malformed rows with --faults)."""
    cols = spec.TABLES[table].column_names
    return pa.table({c: pa.array([r.get(c) for r in rows], pa.string()) for c in cols})
