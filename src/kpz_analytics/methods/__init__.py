"""Statistics that know nothing of the warehouse: they take data frames and return tidy tables.

Owns rates with exact intervals, standardisation and trends (``rates``) and capture–recapture
(``capture_recapture``); regression discontinuity, survival and disclosure control arrive here
too. May import ``errors`` only, so every method can be tested and reused on any table.
"""
