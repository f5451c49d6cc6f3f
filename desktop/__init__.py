"""Polyclinic front desk: attachment and coverage decisions for polyclinics in Kazakhstan.

`desktop.core` is the headless core (rules, reference data, validation); it never imports Qt.
`desktop.store` keeps the registry, `desktop.documents` renders PDFs, `desktop.gui` is the Qt layer.
"""
