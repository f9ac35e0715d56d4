"""Workbook package of ``notebooks/fit_your_own.ipynb``: the coverage study (:mod:`.coverage`)
and the targets (``targets.toml``: the known synthetic truth and the nominal coverage)."""
