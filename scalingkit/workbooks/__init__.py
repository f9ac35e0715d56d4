"""One package per notebook stem: the paper-specific analysis, its figures and its targets.

Workbooks import the core (``data``, ``laws``, ``fit``, ``reporting``, ``plots``); the core never
imports a workbook.
"""
