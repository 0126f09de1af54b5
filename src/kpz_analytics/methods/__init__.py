"""Statistics that know nothing of the warehouse: they take data frames and return tidy tables.

Owns rates with exact intervals, standardisation and trends (``rates``), capture–recapture
(``capture_recapture``), shares and means with intervals (``summaries``), regression
discontinuity (``discontinuity``), before/after rate ratios from a GEE (``rate_ratio``),
survival analysis (``survival``: Kaplan–Meier, Cox, Aalen–Johansen) and statistical disclosure
control (``disclosure`` with its LP ``attack``). May import ``errors`` only, so every method can
be tested and reused on any table.
"""
