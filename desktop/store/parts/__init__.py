"""The registry's parts, one concern each, all over one unit of work (desktop/store/unit.py).

Each part is a class with the methods of its concern; `Registry` (registry.py) combines them.
A part may call a method of another through `self` only where the concern needs it (the export
prints the clinic's details, backups and exports check the administrator and log)."""
