"""The head registrar's reports: declarative definitions (spec.py, definitions.py) run by one
engine over the registry (engine.py), the same on SQLite and PostgreSQL."""
from .engine import (ReportCancelled, ReportParamsError, definition, patients_behind,
                     run_report, to_json)
from .definitions import REPORTS

__all__ = ["REPORTS", "ReportCancelled", "ReportParamsError", "definition", "patients_behind",
           "run_report", "to_json"]
