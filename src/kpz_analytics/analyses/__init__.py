"""Questions answered on a warehouse: each analysis combines cohorts and methods into tidy tables.

Owns ``prevalence`` (LLC prevalence and need for palliative care) and ``transition`` (care
around the 18th birthday and the zorgval); the care landscape arrives here too. Results carry English column names and codes; Dutch labels
are applied in ``reporting``. May import ``cohorts``, ``methods``, ``warehouse``, ``extract``,
``config``, ``errors``, ``refdata``; never ``reporting``, ``cli`` or ``validation``.
"""
