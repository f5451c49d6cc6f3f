"""Data safety, third pass: on the clinic's server no role but the owner deletes a row.

The desk role (every role granted rights on the registry's tables, other than the owner that
runs the migration) loses DELETE and TRUNCATE on every table — patients, decisions, accounts,
settings, numbers, printouts, exports, the audit log — and on the tables later migrations add
(default privileges). One exception: `patient_document`, the search mirror of each card's
documents, rewritten from the card (kept whole in `patient.case_json`) on every save.
Applies to servers set up by an earlier version; an SQLite registry is unchanged.

Revision ID: 0005
Revises: 0004
"""
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_DESK_ROLES = """
    SELECT DISTINCT grantee FROM information_schema.table_privileges
    WHERE table_schema = 'public' AND table_name = 'patient'
      AND grantee NOT IN (current_user, 'PUBLIC')
"""


def _owner_runs_it() -> bool:
    bind = op.get_bind()
    return bind.dialect.name == "postgresql" and bind.exec_driver_sql(
        "SELECT tableowner = current_user FROM pg_tables WHERE schemaname = 'public' "
        "AND tablename = 'patient'").scalar() is True


def upgrade() -> None:
    if not _owner_runs_it():
        return
    op.execute("REVOKE DELETE, TRUNCATE ON ALL TABLES IN SCHEMA public FROM PUBLIC")
    op.execute(f"""
        DO $$ DECLARE r record; BEGIN
          FOR r IN {_DESK_ROLES} LOOP
            EXECUTE format('REVOKE DELETE, TRUNCATE ON ALL TABLES IN SCHEMA public FROM %I', r.grantee);
            EXECUTE format('GRANT DELETE ON patient_document TO %I', r.grantee);
            EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE DELETE, TRUNCATE '
                           'ON TABLES FROM %I', r.grantee);
          END LOOP;
        END $$""")


def downgrade() -> None:
    if not _owner_runs_it():
        return
    op.execute(f"""
        DO $$ DECLARE r record; BEGIN
          FOR r IN {_DESK_ROLES} LOOP
            EXECUTE format('GRANT DELETE ON patient, patient_document, decision, setting, '
                           'app_user, price_item TO %I', r.grantee);
            EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT DELETE ON TABLES '
                           'TO %I', r.grantee);
          END LOOP;
        END $$""")
