"""Parameters of the synthetic Netherlands: every number the generator plants, in one place.

All figures are per person (or person-year) so that ``scale`` only changes the number of
persons. Calibration targets come from ``shared/domain-primer.md`` (CBS, Fraser et al.,
Kenniscentrum); where a number is a modelling choice of this project it says so. The planted
values are also written to ``OUT/_truth/truth.json`` so analyses can be checked against them.

Demography
    Birth cohorts (``COHORT_SIZE``) are calibrated so that the insured population on 1 July
    2021 is close to CBS 37296ned (0-4 857,626; 5-9 899,827; 10-14 954,278; 15-19 1,031,735):
    births plus immigration (``IMMIGRANT_SHARE`` arrive at a uniform age 0-25) minus
    emigration (``EMIGRATION_RATE``). Non-LLC mortality (``NON_LLC_HAZARD``, per year by age
    band, neonatal deaths concentrated in the first 28 days) plus LLC mortality give about
    1,000-1,100 deaths a year aged 0-19, about half in the first year of life.

Life-limiting conditions (LLC)
    A person has a latent LLC with probability ``LLC_PROBABILITY`` (times a slow upward trend
    ``LLC_TREND`` per birth year, so national prevalence rises slowly over the years). The
    diagnostic group is drawn from ``GROUP_SHARES`` (Fraser et al. 2012 shares). Onset is at
    birth with a group-specific probability (``ONSET_AT_BIRTH``), otherwise at an age drawn
    from ``LATER_ONSET_MEAN_YEARS`` (exponential, truncated at 26). **An LLC is lifelong
    once started**: there is no remission. Infants with onset at birth die in their first year
    with probability ``EARLY_DEATH``; afterwards LLC persons die at ``LLC_HAZARD`` per year.
    With these values the prevalence among 0-19-year-olds is about 60 per 10,000.

Phases and capture
    Each LLC person-year (counting convention in ``truth.py``) gets a capture pattern over the
    case-finding sources. The sources that exist in every year (``hospital_llc_code``,
    ``ikz_mkv`` under 18, ``wlz_severe``: the *base* sources) follow a log-linear model
    (``LOGLINEAR_MAIN``, ``LOGLINEAR_PAIRS`` among them); ``palliative_activity`` (from 2023) is
    drawn *given* the base pattern with log odds ``LOGLINEAR_MAIN[palliative_activity] +
    sum_j LOGLINEAR_PAIRS[palliative_activity, j] x_j``. So the base sources are distributed
    exactly alike whether or not the 2023 source exists, and because the palliative source
    interacts with at most two base sources the joint 4-source distribution is still a
    log-linear model with pairwise terms: capture-recapture with up to two-way interactions
    is correctly specified per stratum and for the age strata pooled. With probability
    ``CAPTURE_PERSISTENCE`` a person keeps last year's base pattern when the age stratum is
    unchanged (care runs over years); this keeps the per-year distribution exactly the
    model's. The phase is drawn *given the base pattern* (``PHASE_WEIGHTS``, intercept solved
    per age stratum so the expected non-stable share is ``NONSTABLE_SHARE``); a palliative
    activity is then more likely for a child in a non-stable phase (log odds ratio
    ``PALLIATIVE_PHASE_LOG_OR``) while its probability given the base pattern stays the
    log-linear one. The year of death is the ``dying`` phase.

Capture scenarios (``CAPTURE_SCENARIOS``, ``kpz synth --capture-scenario``)
    ``base`` is the model above, under which capture-recapture is correctly specified.
    ``heterogeneous`` gives each LLC person a lasting visibility class (``HETEROGENEITY``):
    a share of children is more likely to be seen by *every* source, the others less, so the
    capture distribution is a mixture that no pairwise log-linear model describes (the
    classical violation that biases capture-recapture downwards). ``time_varying`` lets one
    source's capture drift with the calendar year (``TIME_VARYING``: hospital LLC coding
    improves), which per-year capture-recapture absorbs but which changes every quantity
    calibrated once for all years (the need definition's sensitivity, trends of observed
    counts).
"""

from __future__ import annotations

# --------------------------------------------------------------------------- demography
#: Native births per birth year at scale 1; immigrants (IMMIGRANT_SHARE of all persons) are
#: added on top. Years outside the table use
#: the nearest entry. Calibrated to CBS population by age on 1 July 2021.
COHORT_SIZE: dict[int, int] = {
    **{y: 196_000 for y in range(1985, 1996)},
    **{y: 199_000 for y in range(1996, 2002)},
    **{y: 200_000 for y in range(2002, 2007)},
    **{y: 187_000 for y in range(2007, 2012)},
    **{y: 177_000 for y in range(2012, 2017)},
    **{y: 170_500 for y in range(2017, 2022)},
    2022: 167_500, 2023: 164_000, 2024: 165_000, 2025: 165_000, 2026: 165_000,
}
#: Overall factor on COHORT_SIZE, tuned so that births plus both kinds of immigration give the
#: CBS population (0-19: 3.74 million in 2021, roughly flat 2015-2024).
COHORT_CALIBRATION = 0.97
SEX_SHARES = {"M": 0.5115, "V": 0.488, "O": 0.0005}  # O = unknown (rare in claims data)
#: Share of children by province (CBS, approximately), PV20 Groningen ... PV31 Limburg.
PROVINCE_SHARES = {
    "PV20": 0.031, "PV21": 0.037, "PV22": 0.027, "PV23": 0.072, "PV24": 0.027,
    "PV25": 0.118, "PV26": 0.080, "PV27": 0.163, "PV28": 0.215, "PV29": 0.021,
    "PV30": 0.148, "PV31": 0.061,
}
#: Share of persons whose gemeente_code is not delivered (optional column).
GEMEENTE_MISSING = 0.01
IMMIGRANT_SHARE = 0.10  # arrive (first insured) at a uniform age 0-25
#: Recent immigration (keeps the 0-19 population roughly flat while births fall, as CBS shows):
#: this share of persons arrives on a uniform calendar day in these years (at birth if born later).
RECENT_IMMIGRANT_SHARE = 0.07
RECENT_IMMIGRATION_YEARS = (2015, 2024)
EMIGRATION_RATE = {"under18": 0.003, "adult": 0.010}  # per year
#: Non-LLC mortality per person-year by age band (years): (upper age, hazard).
NON_LLC_HAZARD = (
    (28 / 365.25, 0.015),  # neonatal: ~0.0011 in the first 28 days
    (1.0, 0.0006),
    (5.0, 0.00007),
    (15.0, 0.00005),
    (20.0, 0.00013),
    (40.0, 0.00030),
)

# ------------------------------------------------------------------------ conditions
LLC_PROBABILITY = 0.0090  # lifetime (to age 26) probability of a latent LLC, birth year 2010
LLC_TREND = 0.02  # log-linear trend per birth year (slow rise in prevalence)
#: Fraser/Hain diagnostic groups: share among LLC persons (Fraser et al., Pediatrics 2012).
GROUP_SHARES = {
    "congenital": 0.31, "oncology": 0.14, "neurology": 0.12, "haematology": 0.10,
    "respiratory": 0.09, "perinatal": 0.08, "genitourinary": 0.06, "metabolic": 0.04,
    "circulatory": 0.04, "gastrointestinal": 0.02, "other": 0.01,
}
#: Probability that the LLC is present from birth, by group (the rest start later).
ONSET_AT_BIRTH = {
    "congenital": 0.85, "oncology": 0.02, "neurology": 0.35, "haematology": 0.30,
    "respiratory": 0.30, "perinatal": 1.0, "genitourinary": 0.50, "metabolic": 0.60,
    "circulatory": 0.50, "gastrointestinal": 0.30, "other": 0.20,
}
LATER_ONSET_MEAN_YEARS = {"oncology": 9.0}  # others: LATER_ONSET_DEFAULT
LATER_ONSET_DEFAULT = 6.0
#: Probability of death in the first year for LLC present at birth, by group.
EARLY_DEATH = {"perinatal": 0.60, "congenital": 0.30, "metabolic": 0.15}
EARLY_DEATH_DEFAULT = 0.06
EARLY_DEATH_MEAN_DAYS = 40.0
#: Annual LLC mortality after the first year (or after later onset), by group.
LLC_HAZARD = {"oncology": 0.040, "neurology": 0.018, "metabolic": 0.020}
LLC_HAZARD_DEFAULT = 0.008
#: Improving survival: early-death probability and LLC hazard x exp(trend x (birth year - 2010)).
#: Offsets the rising incidence so that deaths stay flat while prevalence rises (PICU mortality
#: fell from 6.5 % to 3.7 % in 2003-2017, van de Riet et al. 2022).
LLC_SURVIVAL_TREND = -0.02

# ------------------------------------------------------------------ capture and phase
SOURCES = ("hospital_llc_code", "palliative_activity", "ikz_mkv", "wlz_severe")
PALLIATIVE_FROM_YEAR = 2023  # hospitals can claim paediatric palliative care since 2023
#: Log-linear main effects (log odds against the uncaptured pattern). For the base sources
#: (hospital, IKZ/MKV, Wlz severe) these and their pairwise terms below define the joint model;
#: for ``palliative_activity`` (from 2023) the main effect and its pairwise terms are the
#: coefficients of its log odds *given* the base pattern (see the module docstring).
LOGLINEAR_MAIN = {
    "hospital_llc_code": -0.55, "palliative_activity": -2.9, "ikz_mkv": -2.4, "wlz_severe": -1.7,
}
#: ... and pairwise interactions (positive: sources tend to see the same children). Two are
#: zero on purpose: a sparse true model is what model selection by AIC can find with a few
#: thousand cases a year; with all pairs non-zero the 3-source model is saturated and AIC often
#: drops a weak true interaction, which biases N downward. The palliative source interacts with
#: two base sources only, so its conditional draw keeps the joint model pairwise log-linear.
LOGLINEAR_PAIRS = {
    ("hospital_llc_code", "palliative_activity"): 1.3,
    ("hospital_llc_code", "ikz_mkv"): 0.7,
    ("hospital_llc_code", "wlz_severe"): 0.0,
    ("palliative_activity", "ikz_mkv"): 0.9,
    ("palliative_activity", "wlz_severe"): 0.0,
    ("ikz_mkv", "wlz_severe"): 1.0,
}
CAPTURE_PERSISTENCE = 0.6
PHASES = ("stable", "unstable", "deteriorating", "dying")
NONSTABLE_SHARE = 0.235  # expected share unstable/deteriorating among LLC person-years
#: Log odds of a non-stable phase per base source that sees the child (more sources -> more
#: likely non-stable): IKZ/MKV often; a severe Wlz profile (chronic, often stable) least.
PHASE_WEIGHTS = {"hospital_llc_code": 0.9, "ikz_mkv": 1.4, "wlz_severe": 0.5}
#: Log odds ratio of a palliative-care activity for a child in a non-stable vs a stable phase,
#: given the base pattern (the activity's probability given the base pattern is unchanged).
PALLIATIVE_PHASE_LOG_OR = 3.0
#: Capture scenarios of ``kpz synth --capture-scenario`` (module docstring).
CAPTURE_SCENARIOS = ("base", "heterogeneous", "time_varying")
#: heterogeneous: this share of LLC persons is "highly visible" (log odds of capture by every
#: source + log_odds_high); the others get the offset that keeps the share-weighted mean
#: offset at 0 (log_odds_high * share / (share - 1)).
HETEROGENEITY = {"share": 0.5, "log_odds_high": 0.75}
#: time_varying: the source's log odds of capture change by log_odds_per_year per calendar
#: year, relative to centre_year (hospital LLC coding improving over time).
TIME_VARYING = {"source": "hospital_llc_code", "log_odds_per_year": 0.15, "centre_year": 2021}
DETERIORATING_SHARE = 0.4  # of non-stable (not dying) years

# ------------------------------------------------------------------------------ care
#: Ordinary care per person-year (Poisson means) for everyone: (under 18, 18+).
ORDINARY = {
    "dot_outpatient": (0.16, 0.20),
    "dot_emergency": (0.05, 0.06),
    "farmacie": (0.45, 0.55),
    "huisarts": (0.35, 0.30),
    "paramedisch": (0.06, 0.05),
    "ggz": (0.03, 0.04),
    "hulpmiddelen": (0.01, 0.01),
}
INFANT_DOT_EXTRA = 0.5  # extra hospital lines in the first year of life
#: Extra care per LLC person-year by phase: hospital outpatient lines, emergency visits,
#: probability of an admission, nursing days per admission (mean), probability of IC days.
PHASE_CARE = {
    "stable": dict(outpatient=1.2, emergency=0.3, admission=0.08, nursing=3.0, ic=0.01),
    "unstable": dict(outpatient=3.0, emergency=2.6, admission=0.7, nursing=8.0, ic=0.45),
    "deteriorating": dict(outpatient=3.5, emergency=2.8, admission=0.8, nursing=12.0, ic=0.40),
    "dying": dict(outpatient=2.0, emergency=1.5, admission=0.9, nursing=10.0, ic=0.55),
}
LLC_ZVW = {"farmacie": 3.0, "huisarts": 1.5, "paramedisch": 1.0, "hulpmiddelen": 0.8,
           "ziekenvervoer": 0.4}
LLC_LINE_ICD_LLC_SHARE = 0.7  # in a captured year, share of further lines also LLC-coded
ICD10_EMPTY_SHARE = 0.12  # lines without an ICD-10 code (column is optional)
PAEDIATRICS_UNDER18 = 0.9  # share of lines under 18 with specialism 0316 (rest surgical)
EMERGENCY_AFTER_18 = 1.25  # rate ratio for emergency visits after 18 (Jarvis et al. 2022: +24%)

# Jeugdwet / Wmo / transition at 18
JW_PRONE = {"non_llc": 0.17, "llc": 0.6}  # person-level propensity for youth care
JW_ACTIVE_GIVEN_PRONE = 0.6  # per year
LATE_RENEWAL = 0.2  # share of yearly indications renewed late (gap of 1-4 months)
JW_EXTENSION = 0.30  # share of Jeugdwet users at 18 whose youth care is extended (to <=23)
WMO_SUCCESSOR = 0.55  # share of Jeugdwet users at 18 (not extended) who get Wmo later
WMO_DELAY_MEDIAN_MONTHS = 4.0  # planted successor-care delay: lognormal median ...
WMO_DELAY_SIGMA = 0.8  # ... and log-sd
WIJK_SUCCESSOR = 0.6  # share of IKZ users at 18 who get wijkverpleging later
WIJK_DELAY_MEDIAN_MONTHS = 3.0
WMO_ADULT_BASELINE = {"non_llc": 0.01, "llc": 0.25}  # per adult year, other Wmo use
WMO_CHILD_LLC = 0.05  # Wmo (aids, home adaptation) for LLC children per year
WIJK_LLC_ADULT = 0.15  # wijkverpleging per LLC adult year (no IKZ history)
#: Non-severe Wlz VG indication: person-level probability (non-LLC, LLC never severe).
WLZ_NONSEVERE = {"non_llc": 0.004, "llc": 0.10}
WLZ_LEVERINGSVORM = {"verblijf": 0.25, "vpt": 0.20, "mpt": 0.25, "pgb": 0.30}
MEERZORG = 0.2  # share of severe indications with meerzorg lines
PGB_SHARE = {"jeugdwet": 0.12, "wmo": 0.10, "zvw": 0.25}

# ------------------------------------------------------------------ scenarios
#: Generator scenarios that break an estimator's assumption on purpose (``kpz synth --scenario``;
#: ``docs/synthetic.md``). Without one the extract is the default (same bytes for a seed).
SCENARIOS = ("anticipation", "respite_gap")
#: anticipation: share of the Jeugdwet users at 18 (not extended) whose youth care already stops
#: before the birthday, and how many days before it (uniform): event months -3 .. -1.
ANTICIPATION_SHARE = 0.5
ANTICIPATION_DAYS = (31, 92)
#: respite_gap: a regional white spot in respite. Persons living in this NIK region (the province
#: default of ``reference/regions.csv``, as ``mart_person.nik_region``) keep their respite lines
#: (kortdurend verblijf / logeren: the ``reference/productcategorieen.csv`` categories of product
#: group ``kortdurend_verblijf``, Jeugdwet and Wmo) with this probability, drawn once per person;
#: the other lines go. So the expected person-year respite rate there is 0.3 x the default.
RESPITE_GAP_REGION = "Noordoost"
RESPITE_GAP_RATIO = 0.3

# ------------------------------------------------------------------------------ dirt
CREDIT_REPLACED = 0.02  # share of lines credited and replaced by a new line
CREDIT_CANCELLED = 0.008  # share of lines followed by a wrong extra line that is credited
EXACT_DUPLICATE = 0.004  # share of lines delivered twice
FAULT_SHARE = 0.03  # with --faults: at most this share of a file's rows is malformed
SAMPLE_FRACTION = 0.05  # cohort_sample: Bernoulli sample of the persons not selected
# Persons simulated per chunk: bounds memory (about 1.2 GB per chunk with the care of a
# population extract). Each chunk has its own random stream, so changing this changes the
# data of extracts with more persons than one chunk (scale above ~0.016); it was 250,000
# before issue 18 (2.3 GB per chunk, over the 2 GB bound).
CHUNK_PERSONS = 125_000

#: Municipalities per province (CBS codes; the first is used for Wmo/Jeugdwet lines when a
#: person's gemeente is not delivered). Includes the Holland Rijnland and Noord-Brabant
#: gemeenten that ``reference/regions.csv`` maps to another NIK region than their province.
GEMEENTEN = {
    "PV20": ["GM0014", "GM0037", "GM1966"],
    "PV21": ["GM0080", "GM0072", "GM1900"],
    "PV22": ["GM0106", "GM0114", "GM0119"],
    "PV23": ["GM0193", "GM0153", "GM0141", "GM0150"],
    "PV24": ["GM0034", "GM0995"],
    "PV25": ["GM0202", "GM0268", "GM0200", "GM0228"],
    "PV26": ["GM0344", "GM0307", "GM0356"],
    "PV27": ["GM0363", "GM0392", "GM0361", "GM0394"],
    "PV28": ["GM0599", "GM0518", "GM0546", "GM0547", "GM0537", "GM0484", "GM0579", "GM0503"],
    "PV29": ["GM0687", "GM0718"],
    "PV30": ["GM0855", "GM0796", "GM0772", "GM0794", "GM0758", "GM1674"],
    "PV31": ["GM0935", "GM0917", "GM0983"],
}
