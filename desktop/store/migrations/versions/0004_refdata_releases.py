"""The clinic's reference-data releases on the registry itself: the verified release files
(bytes, version, SHA-256, issued, who added them and when) and the one in force.

Used on a PostgreSQL registry (every desk takes the release in force from the server); an
SQLite registry has the tables too but keeps its releases beside the file, as before. On
PostgreSQL only the owner writes them: every other role (the desks') may only read.

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TABLES = "refdata_release, refdata_active"


def upgrade() -> None:
    op.create_table(
        "refdata_release",
        sa.Column("sha256", sa.Text, primary_key=True),
        sa.Column("version", sa.Text, nullable=False),
        sa.Column("issued", sa.Text, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("added_by", sa.Text, nullable=False),
        sa.Column("added_at", sa.Text, nullable=False),
    )
    op.create_table(
        "refdata_active",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sha256", sa.Text, sa.ForeignKey("refdata_release.sha256"), nullable=False),
        sa.Column("version", sa.Text, nullable=False),
        sa.Column("switched_by", sa.Text, nullable=False),
        sa.Column("switched_at", sa.Text, nullable=False),
        sa.CheckConstraint("id = 1", name="ck_refdata_active_one"),
    )
    if op.get_bind().dialect.name == "postgresql":
        # Default privileges (server init) grant new tables to the desk role: take the writes
        # back from every role but the one running the migration (the owner).
        op.execute(f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {TABLES} FROM PUBLIC")
        op.execute(f"""
            DO $$ DECLARE r record; BEGIN
              FOR r IN SELECT DISTINCT grantee FROM information_schema.table_privileges
                       WHERE table_name IN ('refdata_release', 'refdata_active')
                         AND grantee NOT IN (current_user, 'PUBLIC') LOOP
                EXECUTE format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {TABLES} FROM %I',
                               r.grantee);
              END LOOP;
            END $$""")


def downgrade() -> None:
    op.drop_table("refdata_active")
    op.drop_table("refdata_release")
