"""What people read: rendering the notebooks, Dutch labels, table format, data-quality views.

Owns ``render`` (papermill + nbconvert into HTML), ``labels`` (the one place where codes get
their Dutch text, including ``labelled`` for result tables), ``display`` (Dutch number format),
``quality`` and ``realism`` (data-quality views of a warehouse). May import every stage below
it (``analyses``, ``cohorts``, ``methods``, ``warehouse``, ``extract``); nothing imports it but
``cli`` and the notebooks.
"""
