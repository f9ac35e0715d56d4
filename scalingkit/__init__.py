"""scalingkit: reproducibility workbooks for neural scaling-law papers.

Modules
-------
data      registry of upstream files, hashed fetching, typed loaders
laws      scaling-law formulas with analytic gradients
fit       batched multi-start Huber fitting, bootstrap, FitResult
plots     seaborn figures
report    recording a notebook's numbers and comparing them with paper targets
run       executing notebooks with papermill and rendering HTML reports
cli       the ``scalingkit`` command
"""

__version__ = "0.1.0"
