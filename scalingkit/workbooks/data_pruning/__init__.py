"""Workbook package of ``notebooks/data_pruning.ipynb``."""
