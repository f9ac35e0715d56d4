"""Workbook package of ``notebooks/00_data_tour.ipynb``."""
