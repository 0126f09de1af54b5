"""Who is counted: case definitions and cohorts built on the marts of a warehouse.

Owns case finding (``cases``: LLC cases, palliative-need markers, attrition) and the cohorts the
analyses start from (``transition``: the cohorts around the 18th birthday and their panel). Reads the warehouse only through its marts. May import ``warehouse``,
``extract``, ``config``, ``errors``, ``refdata``; never ``analyses`` or ``reporting``.
"""
