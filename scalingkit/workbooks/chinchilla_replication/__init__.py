"""Workbook package of ``notebooks/chinchilla_replication.ipynb``."""
