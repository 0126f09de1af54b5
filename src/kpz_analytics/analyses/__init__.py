"""Questions answered on a warehouse: each analysis combines cohorts and methods into tidy tables.

Owns ``prevalence`` (LLC prevalence and need for palliative care); the transition around 18 and
the care landscape arrive here too. Results carry English column names and codes; Dutch labels
are applied in ``reporting``. May import ``cohorts``, ``methods``, ``warehouse``, ``extract``,
``config``, ``errors``, ``refdata``; never ``reporting``, ``cli`` or ``validation``.
"""
