"""Workbook package of ``notebooks/loss_to_loss.ipynb``."""
