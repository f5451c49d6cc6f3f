"""Alembic migration scripts of the registry, run by `desktop.store.db.migrate` (no alembic.ini).

Each script in `versions/` runs inside one transaction (SQLite DDL is transactional here
because the engine issues BEGIN itself). For a PyInstaller bundle, ship this folder's .py
files as data: `collect_data_files("desktop.store", include_py_files=True)`.
"""
