"""End-of-life truth: the care of every LLC decedent in the last 30 and 90 days, from the
generator's own lines (``care.ChunkCare``), as the landscape counts it (``docs/landscape.md``).

The window of w days is death − (w−1) … death. The marts hold care per calendar month, so a
month is in the window when it overlaps it and its care counts in full (the landscape's upper
bound rule); a month counts only when the person is insured on a day of it (before death) and
it lies in the period. A line is active in the months its period (clipped to the extract period)
overlaps; an activity is in the month of its date. Measures (``landscape_measures_v1``, group
``eol``): ``hospital`` (any DOT line), ``admissions`` (nursing-day activity rows), ``intensive_care``
(paediatric and adult IC days), ``emergency`` (emergency visits), ``palliative_activity``,
``wijkverpleging``, ``ikz_mkv``, ``wlz`` (any Wlz declaration); ``high_intensity`` = an IC day,
≥ 2 emergency visits or ≥ 2 admissions in the window; ``hospital_death_month`` = a DOT line or a
nursing day in the calendar month of death. Credits, replacements and duplicates leave the net
care unchanged, so the pipeline must reproduce these values exactly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..refdata import load_reference
from .care import SUPPORT_DOMAINS, ChunkCare
from .population import Persons, age_on, day, month_of, month_start

WINDOWS = (30, 90)
MEASURES = ("hospital", "admissions", "intensive_care", "emergency", "palliative_activity",
            "wijkverpleging", "ikz_mkv", "wlz")
#: activity category -> measure (volume = aantal; admissions count rows)
ACTIVITY_MEASURE = {"nursing_day": "admissions", "ic_day_paediatric": "intensive_care",
                    "ic_day_adult": "intensive_care", "emergency_visit": "emergency",
                    "palliative_care": "palliative_activity"}
HIGH_INTENSITY = {"intensive_care": 1, "emergency": 2, "admissions": 2}
COLUMNS = ["persoon_id", "death_date", "age_at_death", "window_days", *MEASURES,
           "admissions_volume", "intensive_care_volume", "emergency_volume", "high_intensity",
           "hospital_death_month"]


def chunk_truth(persons: Persons, in_extract: np.ndarray, care: ChunkCare, years: tuple[int, int],
                pids: np.ndarray) -> pd.DataFrame:
    """One row per LLC decedent of the extract (latent LLC with onset on or before a death while
    insured in the period, aged 0-25 on 1 July of the death year) x window; columns :data:`COLUMNS`."""
    P0, P1 = day(years[0]), day(years[1], 12, 31)
    dead = (in_extract & persons.llc & persons.died_insured & (persons.death >= P0) & (persons.death <= P1)
            & (persons.onset <= persons.death))
    d = np.flatnonzero(dead)
    # the landscape's age range is on 1 July of the year (a person of 25 then dies at 25 or 26)
    july = (persons.death[d].astype("datetime64[D]").astype("datetime64[Y]") + np.timedelta64(6, "M")) \
        .astype("datetime64[D]").astype(np.int64)
    d = d[age_on(persons.birth_month[d], july) <= 25]
    if len(d) == 0:
        return pd.DataFrame(columns=COLUMNS)
    is_dec = np.zeros(len(persons.index), bool)
    is_dec[d] = True
    rows = []  # (person, month, measure, volume, n)

    def lines(person, start, end, measure):
        keep = is_dec[person] & (end >= P0) & (start <= P1)
        p, s, e = person[keep], np.maximum(start[keep], P0), np.minimum(end[keep], P1)
        m0, m1 = month_of(s), month_of(e)
        n = m1 - m0 + 1
        rep = np.repeat(np.arange(len(p)), n)
        mo = m0[rep] + np.arange(len(rep)) - np.repeat(np.cumsum(n) - n, n)
        rows.append(pd.DataFrame({"person": p[rep], "month": mo, "measure": measure, "volume": 0.0, "n": 1}))

    hp, hs, he, _ = care.hospital
    lines(hp, hs, he, "hospital")
    sp, ss, se, sd, _ = care.support
    for measure in ("wijkverpleging", "ikz_mkv", "wlz"):
        k = sd == SUPPORT_DOMAINS.index(measure)
        lines(sp[k], ss[k], se[k], measure)
    ap, adate, acode, an = care.activities
    own = np.flatnonzero(is_dec[ap])  # only the decedents' activities (few), then classify
    ap, adate, acode, an = ap[own], adate[own], acode[own], an[own]
    cat = load_reference("zorgactiviteiten").set_index("zorgactiviteit_code")["category"]
    ameasure = pd.Series(acode, dtype=object).map(cat).map(ACTIVITY_MEASURE).to_numpy()
    keep = pd.notna(ameasure) & (adate >= P0) & (adate <= P1)
    rows.append(pd.DataFrame({"person": ap[keep], "month": month_of(adate[keep]), "measure": ameasure[keep],
                              "volume": an[keep].astype(float), "n": 1}))
    care_m = pd.concat(rows, ignore_index=True)
    # observable months: insured on a day of the month (up to death) and inside the period
    first_obs = month_of(np.maximum(persons.ins_start, P0))
    care_m = care_m[(care_m["month"] >= first_obs[care_m["person"]])
                    & (care_m["month"] <= month_of(persons.death[care_m["person"]]))]
    death_month = month_of(persons.death)
    out = []
    for w in WINDOWS:
        start_month = month_of(persons.death - (w - 1))
        c = care_m[care_m["month"] >= start_month[care_m["person"]]]
        agg = c.groupby(["person", "measure"]).agg(volume=("volume", "sum"), n=("n", "sum")).reset_index()
        frame = pd.DataFrame({"person": d})
        for m in MEASURES:
            a = agg[agg["measure"] == m].set_index("person")
            frame[m] = frame["person"].isin(a.index).astype(int)
            if m in HIGH_INTENSITY:
                vol = a["n"] if m == "admissions" else a["volume"]
                frame[f"{m}_volume"] = frame["person"].map(vol).fillna(0.0).astype(float)
        hi = np.zeros(len(frame), bool)
        for m, minimum in HIGH_INTENSITY.items():
            hi |= frame[f"{m}_volume"].to_numpy() >= minimum
        frame["high_intensity"] = hi.astype(int)
        dm = care_m[care_m["measure"].isin(["hospital", "admissions"])
                    & (care_m["month"] == death_month[care_m["person"]])]
        frame["hospital_death_month"] = frame["person"].isin(set(dm["person"])).astype(int)
        frame["window_days"] = w
        out.append(frame)
    res = pd.concat(out, ignore_index=True)
    p = res["person"].to_numpy()
    res["persoon_id"] = pids[p]
    res["death_date"] = persons.death[p].astype("datetime64[D]").astype(str)
    res["age_at_death"] = np.maximum(age_on(persons.birth_month[p], persons.death[p]), 0)
    return res[COLUMNS]
