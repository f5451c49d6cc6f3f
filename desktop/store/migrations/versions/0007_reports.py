"""The head registrar's reports: each decision's attachment channels as a column (they were
only inside the stored decision JSON; filled here from it, as taken), and indexes for reading
decisions and printouts by the time they were taken (the day's journal, the period's summary),
on SQLite and PostgreSQL alike.

Revision ID: 0007
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa

revision = "0007"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("decision") as batch:
        batch.add_column(sa.Column("channels", sa.Text, nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""UPDATE decision SET channels = COALESCE((
            SELECT string_agg(v, '+' ORDER BY v) FROM json_array_elements_text(
                CASE WHEN json_typeof(decision_json::json #> '{attachment,channels}') = 'array'
                     THEN decision_json::json #> '{attachment,channels}' ELSE '[]'::json END) v), '')""")
    else:
        op.execute("""UPDATE decision SET channels = COALESCE((
            SELECT group_concat(value, '+') FROM (SELECT value FROM json_each(decision_json,
                '$.attachment.channels') ORDER BY value)), '')""")
    op.create_index("ix_decision_taken_at", "decision",
                    ["taken_at", "id", "patient_id", "category", "attachment_status", "channels",
                     "as_of", "reference_version"])
    op.create_index("ix_printed_document_created_at", "printed_document", ["created_at"])
    # the summary's patient columns from the index alone (not the patient's whole row)
    op.create_index("ix_patient_report", "patient", ["id", "sex", "birth_date", "citizenship"])


def downgrade() -> None:
    op.drop_index("ix_patient_report", table_name="patient")
    op.drop_index("ix_printed_document_created_at", table_name="printed_document")
    op.drop_index("ix_decision_taken_at", table_name="decision")
    with op.batch_alter_table("decision") as batch:
        batch.drop_column("channels")
