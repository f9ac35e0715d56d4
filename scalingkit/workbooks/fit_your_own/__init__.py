"""Workbook package of ``notebooks/fit_your_own.ipynb``."""
