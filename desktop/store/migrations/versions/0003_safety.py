"""Data safety: patient versions, the document-number ledger, staged export batches, the
audit hash chain.

Portable SQL only (SQLite and PostgreSQL); the audit log's append-only triggers (SQLite's, and
PostgreSQL's from 0002) are lifted only while existing rows get their hashes, inside the
migration's one transaction.

Revision ID: 0003
Revises: 0002
"""
import hashlib

from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

GENESIS = "0" * 64


def _chain(previous: str, at: str, user: str, action: str, obj: str, details: str) -> str:
    # Same formula as desktop.store.registry.audit_hash (kept here so the migration never changes).
    body = "\x1f".join((previous, at, user, action, obj, details)).encode("utf-8")
    return hashlib.sha256(body).hexdigest()


def upgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"

    with op.batch_alter_table("patient") as batch:
        batch.add_column(sa.Column("version", sa.Integer, nullable=False, server_default="1"))

    op.create_table(
        "document_number",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("number", sa.Text, nullable=False),
        sa.Column("clinic_key", sa.Text, nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("kind", sa.Text),
        sa.Column("user", sa.Text, nullable=False),
        sa.Column("reserved_at", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("closed_at", sa.Text),
        sa.UniqueConstraint("number", name="uq_document_number_number"),
        sa.CheckConstraint("status IN ('reserved', 'stored', 'void')",
                           name="ck_document_number_status"),
    )
    op.create_index("ix_document_number_status", "document_number", ["status", "reserved_at"])
    # Numbers printed before the ledger existed are stored ones.
    op.execute("INSERT INTO document_number (number, clinic_key, year, kind, \"user\", reserved_at, "
               "status) SELECT number, 'main', year, kind, \"user\", created_at, 'stored' "
               "FROM printed_document")

    op.create_table(
        "export_batch",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("user", sa.Text, nullable=False),
        sa.Column("csv_file", sa.Text, nullable=False),
        sa.Column("json_file", sa.Text, nullable=False),
        sa.Column("csv_data", sa.LargeBinary, nullable=False),
        sa.Column("json_data", sa.LargeBinary, nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("done_at", sa.Text),
        sa.CheckConstraint("status IN ('staged', 'done')", name="ck_export_batch_status"),
    )
    op.create_index("ix_export_batch_status", "export_batch", ["status"])
    with op.batch_alter_table("export_outbox") as batch:
        batch.add_column(sa.Column("batch_id", sa.Integer))

    if sqlite:
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    else:  # PostgreSQL (0002's trigger function): lifted in this transaction only
        op.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update")
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("hash", sa.Text))
    audit = sa.table("audit_log", sa.column("id", sa.Integer), sa.column("at", sa.Text),
                     sa.column("user", sa.Text), sa.column("action", sa.Text),
                     sa.column("object", sa.Text), sa.column("details", sa.Text),
                     sa.column("hash", sa.Text))
    previous, last_id = GENESIS, 0
    rows = bind.execute(sa.select(audit.c.id, audit.c.at, audit.c.user, audit.c.action,
                                  audit.c.object, audit.c.details).order_by(audit.c.id)).all()
    for row in rows:
        previous = _chain(previous, row.at, row.user, row.action, row.object, row.details)
        last_id = row.id
        bind.execute(audit.update().where(audit.c.id == row.id).values(hash=previous))
    setting = sa.table("setting", sa.column("key", sa.Text), sa.column("value", sa.Text))
    bind.execute(setting.delete().where(setting.c.key == "audit.head"))
    bind.execute(setting.insert().values(key="audit.head", value=f"{last_id}:{previous}"))
    if not sqlite:
        op.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update")
    if sqlite:
        op.execute("CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
                   "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END")
        op.execute("CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
                   "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END")


def downgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    if sqlite:
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("hash")
    if sqlite:
        op.execute("CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
                   "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END")
        op.execute("CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
                   "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END")
    op.execute("DELETE FROM setting WHERE key = 'audit.head'")
    with op.batch_alter_table("export_outbox") as batch:
        batch.drop_column("batch_id")
    op.drop_table("export_batch")
    op.drop_table("document_number")
    with op.batch_alter_table("patient") as batch:
        batch.drop_column("version")
