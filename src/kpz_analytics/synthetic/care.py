"""Care per domain for the persons written to the extract (one chunk at a time).

Care depends on age, condition and phase. Claims that put a person in a case-finding source
are emitted exactly in the LLC person-years whose drawn capture pattern has that source, and
inside that year (so a source sees the child in that year and in no other):

* ``hospital_llc_code``: at least one DOT line with an LLC ICD-10 code of the child's group,
  contained in the year; in other years the child's lines carry ordinary or no codes.
* ``palliative_activity`` (from 2023): a palliative-care zorgactiviteit on a line of the year.
* ``ikz_mkv`` (under 18): monthly intensieve kindzorg or medisch kindzorgverblijf lines
  ending before the 18th birthday.
* ``wlz_severe``: a Wlz indication with a severe (EMB) zorgprofiel active exactly in the run
  of consecutive captured years.

Simplification (documented in docs/synthetic.md): persons without an LLC, and LLC persons
before onset, never get an LLC code, a palliative activity, IKZ/MKV or a severe Wlz profile.

Everything else is ordinary care drawn per person-year, plus the transition at 18: paediatric
specialism and paediatric IC stop, IKZ stops by law, Jeugdwet stops except for an extension
(``JW_EXTENSION``), and Wmo / wijkverpleging follow after a planted delay.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import parameters as P
from .conditions import HOSP, IKZ, PALL, WLZ, LlcYears
from .population import Persons, birthday, day, month_of, month_start
from .writer import NULL_DAY, NULL_ID


@dataclass
class Codes:
    """Code vocabularies the generator draws from (reference data and code lists)."""

    llc_by_group: list[np.ndarray]  # per GROUP index: icd_forms() of the group's LLC codes
    ordinary_icd: np.ndarray  # icd_forms() of ordinary childhood codes (not on the LLC list)
    palliative: np.ndarray
    gemeenten: list[np.ndarray]  # per province index
    province_codes: np.ndarray
    institutions: np.ndarray  # 7 UMC, 1 categoraal, then 4 general hospitals per province
    severe_child: np.ndarray = field(default_factory=lambda: np.array(["VG5", "VG8"]))
    severe_adult_lg: np.ndarray = field(default_factory=lambda: np.array(["LG5", "LG7"]))
    nonsevere_child: np.ndarray = field(default_factory=lambda: np.array(["VG3", "VG4", "VG6", "VG7", "LVG3"]))
    nonsevere_adult: np.ndarray = field(default_factory=lambda: np.array(["VG3", "LG2", "LG4", "ZGvis2", "VV4"]))
    #: law -> productcategorie codes of respite (kortdurend verblijf / logeren), from reference data
    respite: dict[str, np.ndarray] = field(default_factory=dict)
    #: NIK region (province default) per province index, from ``reference/regions.csv``
    province_region: np.ndarray = field(default_factory=lambda: np.array([], dtype=str))


GRONDSLAG_OF = {"VG": "VG", "LV": "VG", "SG": "VG", "LG": "LG", "ZG": "ZG", "VV": "SOM"}
PAED_OTHER = np.array(["0303", "0302", "0305"])
ADULT_SPEC = np.array(["0313", "0330", "0320", "0303", "0322", "0305", "0318"])
ADULT_SPEC_P = np.array([0.3, 0.2, 0.1, 0.15, 0.1, 0.1, 0.05])
DIAGNOSE = np.array([f"{x:04d}" for x in range(1101, 1901, 23)])
ZORGPRODUCT = np.array([f"{x:09d}" for x in range(979001011, 990001011, 213_541_7)])


#: Domains of home or social support lines (``ChunkCare.support``), in this order.
SUPPORT_DOMAINS = ("ikz_mkv", "wijkverpleging", "wlz", "jeugdwet", "wmo")


@dataclass
class ChunkCare:
    """The care tables of a chunk and the generator's own bookkeeping for the truth.

    ``support`` lists every home or social support line as it was generated (persons are local
    chunk indices): person, first day, last day, domain (index into ``SUPPORT_DOMAINS``) and
    whether it is paid as a pgb. ``sources`` gives, per case-finding source, the person and
    first day of every claim that puts the person in that source (an LLC-coded hospital line,
    a palliative-care activity, an IKZ/MKV line, a severe Wlz indication). ``hospital`` lists
    every hospital line: person, first day, last day, AGB specialism. Credits, replacements and
    duplicates are added later (``dirt``) and leave the net care of these lines unchanged.
    """

    tables: dict[str, dict[str, np.ndarray]]
    support: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]
    successor_delay_days: np.ndarray  # realised Wmo successor delays (days after 18 / extension end)
    sources: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    hospital: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None
    #: respite lines (Jeugdwet and Wmo kortdurend verblijf): person, first day, last day, and
    #: whether the line is in the extract (0 = removed by the ``respite_gap`` scenario)
    respite: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None
    #: every hospital activity as generated: person, date, zorgactiviteit code, aantal
    activities: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None


def _uniform_day(rng, lo, hi):
    return lo + np.floor(rng.random(len(lo)) * (hi - lo + 1)).astype(np.int64)


def _pick(rng, vocab, n, p=None):
    return vocab[rng.choice(len(vocab), size=n, p=p)]


def _lognormal_cents(rng, median, n, sigma=0.5):
    return np.round(median * np.exp(rng.normal(0.0, sigma, n)) * 100).astype(np.int64)


def _quarter_pieces(person, start, end, lo, hi):
    """Split periods [start, end] at calendar quarters; keep pieces overlapping [lo, hi]."""
    qs, qe = month_of(start) // 3, month_of(end) // 3
    n = np.maximum(qe - qs + 1, 0)
    rep = np.repeat(np.arange(len(start)), n)
    k = np.arange(len(rep)) - np.repeat(np.cumsum(n) - n, n)
    q = qs[rep] + k
    s = np.maximum(start[rep], month_start(q * 3))
    e = np.minimum(end[rep], month_start(q * 3 + 3) - 1)
    keep = (e >= lo) & (s <= hi) & (s <= e)
    return rep[keep], s[keep], e[keep]


def _yearly_toewijzingen(rng, person, start, end):
    """Split support spans into one-year indications; renewals are sometimes late (a gap)."""
    n = np.maximum((end - start) // 365 + 1, 0)
    rep = np.repeat(np.arange(len(start)), n)
    k = np.arange(len(rep)) - np.repeat(np.cumsum(n) - n, n)
    gap = np.where((k > 0) & (rng.random(len(rep)) < P.LATE_RENEWAL),
                   rng.integers(30, 121, len(rep)), 0)
    s = start[rep] + 365 * k + gap
    e = np.minimum(start[rep] + 365 * (k + 1) - 1, end[rep])
    ok = s <= e
    return person[rep][ok], s[ok], e[ok]


def icd_forms(codes: list[str]) -> np.ndarray:
    """Written forms of each code: undotted, dotted, undotted subcode, dotted subcode.

    A three-character code (which covers all its subcodes) also appears as a four-character
    subcode; a four-character code has no further subcode, so its subcode forms repeat it.
    """
    rows = []
    for i, c in enumerate(codes):
        c = c.replace(".", "")
        if len(c) == 3:
            sub = c + "0189"[i % 4]
            rows.append((c, c, sub, sub[:3] + "." + sub[3:]))
        else:
            rows.append((c, c[:3] + "." + c[3:], c, c[:3] + "." + c[3:]))
    return np.array(rows, dtype="<U8")


FORM_P = np.array([0.2, 0.4, 0.15, 0.25])


def _icd(rng, forms: np.ndarray, n: int) -> np.ndarray:
    """Draw ``n`` written codes: a random code of ``forms``, with or without dot / subcode."""
    return forms[rng.integers(0, len(forms), n), rng.choice(4, size=n, p=FORM_P)]


def generate(rng: np.random.Generator, persons: Persons, ext: np.ndarray, ly: LlcYears,
             years: tuple[int, int], codes: Codes, scenario: str | None = None,
             scenario_rng: np.random.Generator | None = None) -> ChunkCare:
    """Generate every care table for the extract persons ``ext`` (local indices) of a chunk.

    ``scenario`` (``parameters.SCENARIOS``) changes one mechanism to break an estimator's
    assumption; its random draws come from ``scenario_rng`` only, and it changes
    lines after they are drawn, so every other line is the line of the default extract. ``anticipation``: for ``ANTICIPATION_SHARE`` of the Jeugdwet users at 18
    whose youth care is not extended, it already stops ``ANTICIPATION_DAYS`` before the 18th
    birthday (in event months −3 … −1); their Wmo successor still starts after the birthday.
    """
    P0, P1 = day(years[0]), day(years[1], 12, 31)
    b18_all = birthday(persons.birth_month, 18)
    b23_all = birthday(persons.birth_month, 23)

    # ---------------------------------------------------------------- person-years
    pys = {k: [] for k in ("person", "year", "ws", "we")}
    for y in range(years[0], years[1] + 1):
        ws = np.maximum(persons.ins_start[ext], day(y))
        we = np.minimum(persons.ins_end[ext], day(y, 12, 31))
        ok = ws <= we
        pys["person"].append(ext[ok])
        pys["year"].append(np.full(ok.sum(), y))
        pys["ws"].append(ws[ok])
        pys["we"].append(we[ok])
    py = {k: np.concatenate(v).astype(np.int64) for k, v in pys.items()}
    order = np.lexsort((py["year"], py["person"]))
    py = {k: v[order] for k, v in py.items()}
    n_py = len(py["person"])
    pp = py["person"]
    bm = persons.birth_month[pp]
    b18 = b18_all[pp]
    age = np.maximum(py["year"] - (bm // 12 + 1970) - ((bm % 12 + 1) >= 7), 0)
    child = age < 18
    # join the LLC person-years (counting rows) of extract persons
    key_ly = ly.person * 10_000 + ly.year
    sort_ly = np.argsort(key_ly, kind="stable")
    key_py = pp * 10_000 + py["year"]
    if len(key_ly):
        pos = np.minimum(np.searchsorted(key_ly[sort_ly], key_py), len(key_ly) - 1)
        lrow = np.where(key_ly[sort_ly][pos] == key_py, sort_ly[pos], -1)
    else:
        lrow = np.full(n_py, -1)
    is_llc = lrow >= 0
    safe = np.maximum(lrow, 0)
    if len(key_ly):
        cap = np.where(is_llc[:, None], ly.captured[safe], 0).astype(np.int8)
        phase = np.where(is_llc, ly.phase[safe], -1)
        lstart = np.where(is_llc, ly.start[safe], py["ws"])
        lend = np.where(is_llc, ly.end[safe], py["we"])
        ikz_end = np.where(is_llc, ly.ikz_end[safe], -1)
    else:
        cap = np.zeros((n_py, 4), np.int8)
        phase = np.full(n_py, -1)
        lstart, lend, ikz_end = py["ws"], py["we"], np.full(n_py, -1)
    group = persons.group[pp]
    tables: dict[str, dict[str, np.ndarray]] = {}

    # --------------------------------------------------------------- hospital (DOT)
    def by_age(rates):
        return np.where(child, rates[0], rates[1])

    pc = {k: np.array([P.PHASE_CARE[ph][k] for ph in P.PHASES]) for k in P.PHASE_CARE["stable"]}
    ph = np.maximum(phase, 0)
    adult_mult = np.where(child, 1.0, P.EMERGENCY_AFTER_18)
    n_out = rng.poisson(by_age(P.ORDINARY["dot_outpatient"]) + (age == 0) * P.INFANT_DOT_EXTRA
                        + is_llc * pc["outpatient"][ph])
    n_em = rng.poisson(by_age(P.ORDINARY["dot_emergency"]) + is_llc * pc["emergency"][ph] * adult_mult)
    n_adm = (rng.random(n_py) < np.where(is_llc, pc["admission"][ph], np.where(age == 0, 0.08, 0.008))).astype(np.int64)
    need_line = is_llc & ((cap[:, HOSP] == 1) | (cap[:, PALL] == 1))
    n_out = np.where(need_line & (n_out + n_em + n_adm == 0), 1, n_out)
    kind = np.concatenate([np.zeros(n_out.sum(), np.int8), np.ones(n_em.sum(), np.int8),
                           np.full(n_adm.sum(), 2, np.int8)])
    lpy = np.concatenate([np.repeat(np.arange(n_py), n_out), np.repeat(np.arange(n_py), n_em),
                          np.repeat(np.arange(n_py), n_adm)])
    o = np.lexsort((kind, lpy))
    kind, lpy = kind[o], lpy[o]
    nl = len(lpy)
    llc_line = is_llc[lpy]
    lo = np.where(llc_line, lstart[lpy], py["ws"][lpy])
    hi = np.where(llc_line, lend[lpy], py["we"][lpy])
    begin = _uniform_day(rng, lo, hi)
    nursing = 1 + rng.poisson(np.maximum(np.where(llc_line, pc["nursing"][ph[lpy]], 2.0) - 1, 0))
    dur = np.select([kind == 0, kind == 1],
                    [np.minimum(rng.exponential(30.0, nl), 119).astype(np.int64), rng.integers(0, 2, nl)],
                    nursing + rng.integers(0, 6, nl))
    person_end = persons.ins_end[pp[lpy]]
    end = np.where(llc_line, np.minimum(begin + dur, hi), np.minimum(begin + dur, person_end))
    # late lines at the period start: some ordinary lines began before the period
    shift = 1 + rng.integers(0, 60, nl)
    late = (~llc_line) & (py["year"][lpy] == years[0]) & (rng.random(nl) < 0.08) & (
        begin - shift >= persons.ins_start[pp[lpy]])
    begin = np.where(late, begin - shift, begin)
    end = np.maximum(end, np.minimum(P0, person_end))
    end = np.maximum(end, begin)
    first = np.zeros(nl, bool)
    if nl:
        first[np.unique(lpy, return_index=True)[1]] = True
    hosp_year = cap[lpy, HOSP] == 1
    llc_code = llc_line & hosp_year & (first | (rng.random(nl) < P.LLC_LINE_ICD_LLC_SHARE))
    icd = _icd(rng, codes.ordinary_icd, nl)
    icd = np.where(rng.random(nl) < P.ICD10_EMPTY_SHARE, "", icd)
    icd = icd.astype("<U8")
    g_line = group[lpy]
    for gi in np.unique(g_line[llc_code]):
        sel = np.flatnonzero(llc_code & (g_line == gi))
        icd[sel] = _icd(rng, codes.llc_by_group[gi], len(sel))
    adult_line = begin >= b18[lpy]
    spec = np.where(rng.random(nl) < P.PAEDIATRICS_UNDER18, "0316", _pick(rng, PAED_OTHER, nl))
    spec = np.where(adult_line, _pick(rng, ADULT_SPEC, nl, ADULT_SPEC_P), spec)
    u = rng.random(nl)
    onco = g_line == list(P.GROUP_SHARES).index("oncology")
    itype = np.where(llc_line, np.where(onco & (u < 0.6) & ~adult_line, 2, np.where(u < 0.5, 0, 1)),
                     np.where(u < 0.15, 0, 1))
    prov = persons.province[pp[lpy]]
    # providers: 7 UMCs, 1 categoraal centre, 4 general hospitals per province
    inst = codes.institutions[np.where(itype == 0, prov % 7, np.where(itype == 2, 7, 8 + prov * 4 + rng.integers(0, 4, nl)))]
    ic_days = np.where((kind == 2) & llc_line & (rng.random(nl) < pc["ic"][ph[lpy]]),
                       1 + rng.poisson(3.0, nl), 0)
    ic_days = np.minimum(ic_days, nursing)
    bedrag = np.select([kind == 0, kind == 1],
                       [_lognormal_cents(rng, 350, nl), _lognormal_cents(rng, 260, nl)],
                       80_000 + 55_000 * nursing + 250_000 * ic_days)
    bedrag = np.where(llc_line, (bedrag * 1.5).astype(np.int64), bedrag)
    tables["dot"] = dict(
        persoon_id=pp[lpy], instelling_id=inst, instelling_type=np.array(["umc", "algemeen", "categoraal"])[itype],
        specialisme=spec, diagnose_code=_pick(rng, DIAGNOSE, nl), icd10=icd,
        zorgproduct_code=_pick(rng, ZORGPRODUCT, nl), begindatum=begin, einddatum=end,
        bedrag=bedrag, credit_voor_id=np.full(nl, NULL_ID), _line=np.arange(nl))
    hospital = (pp[lpy], begin, end, spec)
    sources = {"hospital_llc_code": (pp[lpy][llc_code], begin[llc_code])}
    # activities (one row per line x code; dates within the line and the period)
    a_line, a_code, a_date, a_n = [], [], [], []

    def act(mask, code, date, n):
        idx = np.flatnonzero(mask)
        a_line.append(idx)
        a_code.append(np.broadcast_to(code, len(idx)) if np.ndim(code) == 0 else code[idx])
        a_date.append(date[idx])
        a_n.append(np.broadcast_to(n, len(idx)) if np.ndim(n) == 0 else n[idx])

    clip_b = np.maximum(begin, P0)
    clip_e = np.minimum(end, P1)
    visits = 1 + rng.poisson(0.8, nl)
    act(kind == 0, np.where(rng.random(nl) < 0.5, "190013", "190060"), clip_b, visits)
    act((kind == 0) & (rng.random(nl) < 0.3), "039133", clip_e, 1)
    act(kind == 1, np.where(rng.random(nl) < 0.7, "190015", "190016"), clip_b, 1)
    act((kind == 2) & (rng.random(nl) < 0.5), "190015", clip_b, 1)
    child_at = ~adult_line
    infant = begin - persons.birth_day[pp[lpy]] < 28
    act(kind == 2, np.where(child_at, "190219", "190218"), clip_b, nursing)
    ic_code = np.where(child_at, np.where(infant, "190162", "190161"), "190157")
    act(ic_days > 0, ic_code, np.minimum(clip_b + 1, clip_e), ic_days)
    pall_line = first & llc_line & (cap[lpy, PALL] == 1)
    act(pall_line, codes.palliative[0], _uniform_day(rng, clip_b, clip_e), 1 + rng.poisson(1.0, nl))
    act(pall_line & (rng.random(nl) < 0.5), codes.palliative[1], _uniform_day(rng, clip_b, clip_e), 1)
    act(pall_line & (rng.random(nl) < 0.2), codes.palliative[2], _uniform_day(rng, clip_b, clip_e), 1)
    tables["dot_zorgactiviteiten"] = dict(
        _line=np.concatenate(a_line), zorgactiviteit_code=np.concatenate(a_code).astype(str),
        datum=np.concatenate(a_date), aantal=np.concatenate(a_n).astype(np.int64))
    acts = tables["dot_zorgactiviteiten"]
    activities = (pp[lpy][acts["_line"]], acts["datum"], acts["zorgactiviteit_code"], acts["aantal"])
    pall = np.isin(acts["zorgactiviteit_code"], codes.palliative)
    sources["palliative_activity"] = (pp[lpy][acts["_line"][pall]], acts["datum"][pall])

    # ------------------------------------------------------------------ zvw_overig
    pgb_person = rng.random(len(persons.index)) < P.PGB_SHARE["zvw"]
    z_parts = []
    spec_z = {  # zorgsoort: (prestatie codes, eenheid, duration max days, quantity, price cents)
        "farmacie": (["FA-REC", "FA-TER"], "stuk", 90, (1, 4), 3_500),
        "huisarts": (["HA-CONS", "HA-VIS"], "stuk", 0, (1, 2), 2_100),
        "paramedisch": (["PM-FYS", "PM-LOG", "PM-ERG"], "uur", 180, (3, 25), 3_800),
        "ggz": (["GGZ-BH"], "minuut", 300, (60, 1500), 190),
        "hulpmiddelen": (["HM-MOB", "HM-VOED"], "euro", 0, None, None),
        "ziekenvervoer": (["ZV-AMB", "ZV-ZIT"], "stuk", 0, (1, 2), 12_000),
    }
    for zs, (pcodes, unit, maxdur, qty, price) in spec_z.items():
        base = P.ORDINARY.get(zs, (0.0, 0.0))
        rate = by_age(base) + is_llc * P.LLC_ZVW.get(zs, 0.0)
        if zs == "ggz":
            rate = rate * np.where(age >= 12, 1.0, 0.3)
        # Episodes already running when the period starts: in the first year, persons insured
        # before it also get lines that began up to `maxdur` days earlier (same density), so care
        # does not ramp up over the first months; lines ending before the period are not delivered.
        lead = np.where((py["year"] == years[0]) & (persons.ins_start[pp] < P0), maxdur, 0)
        lo = np.maximum(py["ws"] - lead, persons.ins_start[pp])
        n = rng.poisson(rate * (py["we"] - lo + 1) / (py["we"] - py["ws"] + 1))
        r = np.repeat(np.arange(n_py), n)
        b = _uniform_day(rng, lo[r], py["we"][r])
        e = np.minimum(b + (rng.integers(0, maxdur + 1, len(r)) if maxdur else 0), persons.ins_end[pp[r]])
        delivered = e >= P0
        r, b, e = r[delivered], b[delivered], e[delivered]
        m = len(r)
        if qty is None:
            bed = _lognormal_cents(rng, 250, m, 0.9)
            q = bed
        else:
            q = rng.integers(qty[0], qty[1] + 1, m) * 100
            bed = (q * price // 100 * np.exp(rng.normal(0, 0.1, m))).astype(np.int64)
        z_parts.append(dict(persoon_id=pp[r], zorgsoort=np.full(m, zs), prestatie_code=_pick(rng, np.array(pcodes), m),
                            begindatum=b, einddatum=e, aantal=q, eenheid=np.full(m, unit), bedrag=bed,
                            leveringsvorm=np.full(m, "zin")))
    # IKZ / MKV: monthly lines inside the captured year, before the 18th birthday
    ik = np.flatnonzero(is_llc & (cap[:, IKZ] == 1) & (ikz_end >= lstart))
    mkv = rng.random(len(ik)) < 0.15
    ms, me = month_of(lstart[ik]), month_of(ikz_end[ik])
    n = me - ms + 1
    rep = np.repeat(np.arange(len(ik)), n)
    k = np.arange(len(rep)) - np.repeat(np.cumsum(n) - n, n)
    s = np.maximum(lstart[ik][rep], month_start(ms[rep] + k))
    e = np.minimum(ikz_end[ik][rep], month_start(ms[rep] + k + 1) - 1)
    d = e - s + 1
    is_mkv = mkv[rep]
    q = np.where(is_mkv, np.maximum(1, np.round(d * rng.uniform(0.2, 0.6, len(rep)))) * 100,
                 np.round(d * rng.uniform(1.0, 6.0, len(rep)) * 100))
    q = q.astype(np.int64)
    bed = np.where(is_mkv, q * 450, q * 68).astype(np.int64)
    ikz_person = pp[ik][rep]
    z_parts.append(dict(persoon_id=ikz_person, zorgsoort=np.where(is_mkv, "medisch_kindzorgverblijf", "intensieve_kindzorg"),
                        prestatie_code=np.where(is_mkv, "MKV-ETM", "IKZ-UUR"), begindatum=s, einddatum=e,
                        aantal=q, eenheid=np.where(is_mkv, "etmaal", "uur"), bedrag=bed,
                        leveringsvorm=np.where(pgb_person[ikz_person], "pgb", "zin")))
    support = [(ikz_person, s, e, np.full(len(s), SUPPORT_DOMAINS.index("ikz_mkv")), pgb_person[ikz_person])]
    sources["ikz_mkv"] = (ikz_person, s)

    # wijkverpleging: successor of IKZ after 18 (planted delay), plus other LLC adults
    ikz_before = np.zeros(len(persons.index), bool)
    had = ik[ikz_end[ik] >= b18[ik] - 365]
    ikz_before[pp[had]] = True
    cand = np.flatnonzero(ikz_before)
    cand = cand[(b18_all[cand] >= P0) & (b18_all[cand] <= P1) & (rng.random(len(cand)) < P.WIJK_SUCCESSOR)]
    delay = np.round(np.exp(rng.normal(np.log(P.WIJK_DELAY_MEDIAN_MONTHS * 30.44), 0.7, len(cand)))).astype(np.int64)
    ws_ = b18_all[cand] + delay
    we_ = np.minimum(persons.ins_end[cand], P1)
    ok = ws_ <= we_
    w_p, w_s, w_e = [cand[ok]], [ws_[ok]], [we_[ok]]
    adult_py = np.flatnonzero(is_llc & ~ikz_before[pp] & (py["we"] >= b18) & (rng.random(n_py) < P.WIJK_LLC_ADULT))
    w_p.append(pp[adult_py])
    w_s.append(np.maximum(py["ws"][adult_py], b18[adult_py]))
    w_e.append(py["we"][adult_py])
    wp, wsd, wed = (np.concatenate(x) for x in (w_p, w_s, w_e))
    wp, wsd, wed = _yearly_toewijzingen(rng, wp, wsd, wed)
    r, s, e = _quarter_pieces(wp, wsd, wed, P0, P1)
    q = np.round((e - s + 1) * rng.uniform(0.3, 2.0, len(r)) * 100).astype(np.int64)
    z_parts.append(dict(persoon_id=wp[r], zorgsoort=np.full(len(r), "wijkverpleging"),
                        prestatie_code=np.full(len(r), "WV-UUR"), begindatum=s, einddatum=e, aantal=q,
                        eenheid=np.full(len(r), "uur"), bedrag=q * 72, leveringsvorm=np.where(pgb_person[wp[r]], "pgb", "zin")))
    support.append((wp[r], s, e, np.full(len(s), SUPPORT_DOMAINS.index("wijkverpleging")), pgb_person[wp[r]]))
    tables["zvw_overig"] = {k: np.concatenate([z[k] for z in z_parts]) for k in z_parts[0]}

    # ---------------------------------------------------------------------- Wlz
    ind_p, ind_s, ind_e, ind_prof, ind_open, ind_severe = [], [], [], [], [], []
    sev = np.flatnonzero(is_llc & (cap[:, WLZ] == 1))  # py rows, sorted by person, year
    if len(sev):
        newrun = np.ones(len(sev), bool)
        newrun[1:] = ~((pp[sev][1:] == pp[sev][:-1]) & (py["year"][sev][1:] == py["year"][sev][:-1] + 1))
        firsts = sev[newrun]
        lasts = sev[np.r_[np.flatnonzero(newrun)[1:] - 1, len(sev) - 1]]
        span = lend[firsts] - lstart[firsts]
        delay = np.where(rng.random(len(firsts)) < 0.5, 0, (rng.random(len(firsts)) * np.minimum(span, 90)).astype(np.int64))
        s = lstart[firsts] + delay
        e = lend[lasts]
        open_ = (py["year"][lasts] == years[1]) & (e == P1)
        adult_start = s >= b18[firsts]
        prof = np.where(adult_start & (rng.random(len(s)) < 0.3), _pick(rng, codes.severe_adult_lg, len(s)),
                        _pick(rng, codes.severe_child, len(s)))
        ind_p.append(pp[firsts]); ind_s.append(s); ind_e.append(e); ind_prof.append(prof)
        ind_open.append(open_); ind_severe.append(np.ones(len(s), bool))
    # non-severe indications for persons never severe in the period
    ever_sev = np.zeros(len(persons.index), bool)
    ever_sev[pp[sev]] = True
    cand = ext[~ever_sev[ext]]
    p_ns = np.where(persons.llc[cand], P.WLZ_NONSEVERE["llc"], P.WLZ_NONSEVERE["non_llc"])
    cand = cand[rng.random(len(cand)) < p_ns]
    lo_ = np.maximum.reduce([persons.ins_start[cand], persons.birth_day[cand] + 365, np.full(len(cand), P0 - 1500),
                             np.where(persons.llc[cand], persons.onset[cand], 0)])
    hi_ = np.minimum(persons.ins_end[cand], P1)
    ok = lo_ <= hi_
    cand, lo_, hi_ = cand[ok], lo_[ok], hi_[ok]
    s = _uniform_day(rng, lo_, hi_)
    adult_start = s >= b18_all[cand]
    prof = np.where(adult_start, _pick(rng, codes.nonsevere_adult, len(s)), _pick(rng, codes.nonsevere_child, len(s)))
    ind_p.append(cand); ind_s.append(s); ind_e.append(persons.ins_end[cand]); ind_prof.append(prof)
    ind_open.append(persons.ins_end[cand] > P1); ind_severe.append(np.zeros(len(s), bool))
    ip, isd, ied, iprof, iopen, isev = (np.concatenate(x) for x in (ind_p, ind_s, ind_e, ind_prof, ind_open, ind_severe))
    iprof = iprof.astype(str)
    grond = np.array([GRONDSLAG_OF[x[:2]] for x in iprof.tolist()], dtype="<U3")
    tables["wlz_indicaties"] = dict(persoon_id=ip, zorgprofiel=iprof, grondslag=grond, begindatum=isd,
                                    einddatum=np.where(iopen, NULL_DAY, ied))
    sources["wlz_severe"] = (ip[isev], isd[isev])
    # declarations: quarterly lines inside each indication, within the person's insured time
    lv_names = np.array(list(P.WLZ_LEVERINGSVORM))
    lv = rng.choice(len(lv_names), size=len(ip), p=np.array(list(P.WLZ_LEVERINGSVORM.values())))
    dec_end = np.minimum(ied, persons.ins_end[ip])
    r, s, e = _quarter_pieces(ip, isd, np.minimum(dec_end, P1 + 45), P0, P1)
    d = e - s + 1
    lvr = lv_names[lv[r]]
    unit = np.select([lvr == "mpt", lvr == "pgb"], ["uur", "euro"], "etmaal")
    price = np.select([lvr == "verblijf", lvr == "vpt", lvr == "mpt"], [32_000, 26_000, 6_200], 15_000)
    q = np.where(unit == "uur", np.round(d * rng.uniform(0.5, 3.0, len(r)) * 100), d * 100).astype(np.int64)
    bed = np.where(unit == "euro", d * price, q * price // 100).astype(np.int64)
    q = np.where(unit == "euro", bed, q)
    mz = isev[r] & (rng.random(len(ip))[r] < P.MEERZORG)
    mzq = np.round(d * rng.uniform(1.0, 4.0, len(r)) * 100).astype(np.int64)
    wl = dict(persoon_id=np.r_[ip[r], ip[r][mz]], leveringsvorm=np.r_[lvr, lvr[mz]],
              prestatie_code=np.r_[np.char.add(np.char.add(iprof[r], "-"), lvr), np.char.add(iprof[r][mz], "-MZ")],
              meerzorg=np.r_[np.full(len(r), "0"), np.full(mz.sum(), "1")],
              begindatum=np.r_[s, s[mz]], einddatum=np.r_[e, e[mz]], aantal=np.r_[q, mzq[mz]],
              eenheid=np.r_[unit, np.full(mz.sum(), "uur")], bedrag=np.r_[bed, mzq[mz] * 55])
    tables["wlz_declaraties"] = wl
    support.append((ip[r], s, e, np.full(len(s), SUPPORT_DOMAINS.index("wlz")), lvr == "pgb"))

    # ------------------------------------------------------------ Jeugdwet and Wmo
    prone = rng.random(len(persons.index)) < np.where(persons.llc, P.JW_PRONE["llc"], P.JW_PRONE["non_llc"])
    pgb_jw = rng.random(len(persons.index)) < P.PGB_SHARE["jeugdwet"]
    pgb_wmo = rng.random(len(persons.index)) < P.PGB_SHARE["wmo"]
    jw_end = np.minimum(py["we"], b18 - 1)
    act_jw = prone[pp] & (py["ws"] <= jw_end) & (rng.random(n_py) < P.JW_ACTIVE_GIVEN_PRONE)
    j = np.flatnonzero(act_jw)
    gap = np.where(rng.random(len(j)) < P.LATE_RENEWAL, rng.integers(30, 121, len(j)), 0)
    js, je = py["ws"][j] + gap, jw_end[j]
    ok = js <= je
    jp, js, je = pp[j][ok], js[ok], je[ok]
    # transition at 18: extension of youth care, Wmo successor after a delay
    at18 = np.zeros(len(persons.index), bool)
    at18[jp[je >= b18_all[jp] - 183]] = True
    t = np.flatnonzero(at18)
    t = t[(b18_all[t] >= P0) & (b18_all[t] <= P1)]
    ext_ = rng.random(len(t)) < P.JW_EXTENSION
    x = t[ext_]
    xs = b18_all[x]
    xe = np.minimum.reduce([xs + rng.integers(180, 1800, len(x)), b23_all[x] - 1, persons.ins_end[x], np.full(len(x), P1)])
    okx = xs <= xe
    x, xs, xe = x[okx], xs[okx], xe[okx]
    jp, js, je = np.r_[jp, x], np.r_[js, xs], np.r_[je, xe]
    succ = t[rng.random(len(t)) < P.WMO_SUCCESSOR]
    from_day = b18_all[succ].copy()
    ext_end = np.full(len(persons.index), -1, np.int64)
    ext_end[x] = xe
    from_day = np.where(ext_end[succ] >= 0, ext_end[succ] + 1, from_day)
    delay = np.round(np.exp(rng.normal(np.log(P.WMO_DELAY_MEDIAN_MONTHS * 30.44), P.WMO_DELAY_SIGMA, len(succ)))).astype(np.int64)
    ms_ = from_day + delay
    me_ = np.minimum(persons.ins_end[succ], P1)
    ok = ms_ <= me_
    successor_delay = delay[ok]
    wm_p, wm_s, wm_e = [succ[ok]], [ms_[ok]], [me_[ok]]
    # other adult Wmo (not the Jeugdwet successors)
    base = np.where(persons.llc[pp], P.WMO_ADULT_BASELINE["llc"], P.WMO_ADULT_BASELINE["non_llc"])
    a = np.flatnonzero(~at18[pp] & (py["we"] >= b18) & (rng.random(n_py) < base))
    wm_p.append(pp[a]); wm_s.append(np.maximum(py["ws"][a], b18[a])); wm_e.append(py["we"][a])
    wp_, wsd_, wed_ = (np.concatenate(v) for v in (wm_p, wm_s, wm_e))
    wp_, wsd_, wed_ = _yearly_toewijzingen(rng, wp_, wsd_, wed_)
    gem = _gemeente(persons, codes)

    def municipal(law, person, start, end, groups, probs, pgb_flag):
        r, s, e = _quarter_pieces(person, start, end, P0, P1)
        seg_group = rng.choice(len(groups), size=len(person), p=probs)
        cat = np.array([g[0] for g in groups])[seg_group[r]]
        unit = np.array([g[1] for g in groups])[seg_group[r]]
        rate = np.array([g[2] for g in groups])[seg_group[r]]
        price = np.array([g[3] for g in groups])[seg_group[r]]
        d = e - s + 1
        vol = np.round(d * rate * rng.uniform(0.6, 1.4, len(r)) * 100).astype(np.int64)
        vol = np.maximum(vol, 100)
        p_ = person[r]
        return dict(persoon_id=p_, gemeente_code=gem[p_], productcategorie=cat,
                    product_code=np.array([g[0] + "A" + f"{i + 11:02d}" for i, g in enumerate(groups)])[seg_group[r]],
                    begindatum=s, einddatum=e, volume=vol, eenheid=unit,
                    bedrag=(vol * price // 100).astype(np.int64),
                    leveringsvorm=np.where(pgb_flag[p_], "pgb", "zin"))

    # (productcategorie, eenheid, volume per day, price per unit in cents)
    jw_groups = [("45", "uur", 0.35, 8_500), ("40", "uur", 0.25, 11_000), ("41", "etmaal", 1.0, 22_000),
                 ("46", "dagdeel", 0.4, 4_500), ("51", "etmaal", 0.1, 18_000)]
    llc_jw = persons.llc[jp]
    tables["jeugdwet"] = _concat_dicts([
        municipal("jeugdwet", jp[~llc_jw], js[~llc_jw], je[~llc_jw], jw_groups, [0.6, 0.25, 0.1, 0.05, 0.0], pgb_jw),
        municipal("jeugdwet", jp[llc_jw], js[llc_jw], je[llc_jw], jw_groups, [0.45, 0.05, 0.1, 0.15, 0.25], pgb_jw)])
    if scenario == "anticipation":
        early = scenario_rng.random(len(t)) < P.ANTICIPATION_SHARE
        lead = scenario_rng.integers(P.ANTICIPATION_DAYS[0], P.ANTICIPATION_DAYS[1] + 1, len(t))
        who = early & ~ext_
        stop = np.full(len(persons.index), np.iinfo(np.int64).max)
        stop[t[who]] = b18_all[t[who]] - 1 - lead[who]
        tables["jeugdwet"] = _stop_early(tables["jeugdwet"], stop)
    respite_lines = []
    keep_respite = None
    if scenario == "respite_gap":
        in_gap = codes.province_region[persons.province] == P.RESPITE_GAP_REGION
        keep_respite = ~in_gap | (scenario_rng.random(len(persons.index)) < P.RESPITE_GAP_RATIO)
    tables["jeugdwet"] = _respite(tables["jeugdwet"], codes.respite.get("jeugdwet", ()), keep_respite, respite_lines)
    jw = tables["jeugdwet"]
    support.append((jw["persoon_id"], jw["begindatum"], jw["einddatum"],
                    np.full(len(jw["persoon_id"]), SUPPORT_DOMAINS.index("jeugdwet")), jw["leveringsvorm"] == "pgb"))
    wmo_groups = [("02", "uur", 0.4, 6_000), ("03", "dagdeel", 0.5, 4_200), ("04", "etmaal", 0.08, 17_000),
                  ("01", "uur", 0.3, 3_200), ("06", "stuk", 0.3, 2_000)]
    parts = [municipal("wmo", wp_, wsd_, wed_, wmo_groups, [0.4, 0.25, 0.15, 0.1, 0.1], pgb_wmo)]
    kid = np.flatnonzero(is_llc & child & (rng.random(n_py) < P.WMO_CHILD_LLC))
    kd = _uniform_day(rng, lstart[kid], lend[kid])
    parts.append(municipal("wmo", pp[kid], kd, kd, [("05", "euro", 1500.0, 100)], [1.0], pgb_wmo))
    tables["wmo"] = _respite(_concat_dicts(parts), codes.respite.get("wmo", ()), keep_respite, respite_lines)
    wm = tables["wmo"]
    support.append((wm["persoon_id"], wm["begindatum"], wm["einddatum"],
                    np.full(len(wm["persoon_id"]), SUPPORT_DOMAINS.index("wmo")), wm["leveringsvorm"] == "pgb"))

    for name in ("zvw_overig", "wlz_declaraties", "jeugdwet", "wmo"):
        tables[name]["credit_voor_id"] = np.full(len(tables[name]["persoon_id"]), NULL_ID)
    sp = tuple(np.concatenate([s_[i] for s_ in support]) for i in range(5))
    respite = tuple(np.concatenate([r[i] for r in respite_lines]) for i in range(4))
    return ChunkCare(tables, sp, successor_delay, sources, hospital, respite, activities)


def _respite(lines: dict[str, np.ndarray], categories, keep_person: np.ndarray | None,
             bookkeeping: list) -> dict[str, np.ndarray]:
    """Note the respite lines (``categories``) for the truth; with ``keep_person`` (the
    ``respite_gap`` scenario) drop the respite lines of persons not kept."""
    p = lines["persoon_id"]
    is_respite = np.isin(lines["productcategorie"], np.asarray(categories, dtype=str))
    kept = np.ones(len(p), bool) if keep_person is None else ~is_respite | keep_person[p]
    r = np.flatnonzero(is_respite)
    bookkeeping.append((p[r], lines["begindatum"][r], lines["einddatum"][r], kept[r]))
    if keep_person is None:
        return lines
    return {k: v[kept] for k, v in lines.items()}


def _stop_early(lines: dict[str, np.ndarray], stop: np.ndarray) -> dict[str, np.ndarray]:
    """Cut municipal lines at the person's ``stop`` day: later lines go, a line across it ends
    on it with volume and amount pro rata (at least 1.00 volume, as generated lines)."""
    p, s, e = lines["persoon_id"], lines["begindatum"], lines["einddatum"]
    new_e = np.minimum(e, stop[p])
    keep = s <= new_e
    share = (new_e - s + 1) / (e - s + 1)
    out = dict(lines, einddatum=new_e,
               volume=np.maximum(np.round(lines["volume"] * share), 100).astype(np.int64),
               bedrag=np.round(lines["bedrag"] * share).astype(np.int64))
    return {k: v[keep] for k, v in out.items()}


def _concat_dicts(parts):
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def _gemeente(persons: Persons, codes: Codes) -> np.ndarray:
    """gemeente_code per person; when not delivered, the first gemeente of the province."""
    out = np.empty(len(persons.index), dtype="<U6")
    for pi, gl in enumerate(codes.gemeenten):
        sel = persons.province == pi
        g = np.where(persons.gemeente[sel] >= 0, persons.gemeente[sel], 0)
        out[sel] = gl[g]
    return out
