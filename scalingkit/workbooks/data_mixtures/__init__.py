"""Workbook package of ``notebooks/data_mixtures.ipynb``."""
