"""Patients, their documents, decisions, printed documents, document numbers, settings.

Revision ID: 0001
Revises:
"""
from alembic import op
import sqlalchemy as sa

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "patient",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("iin", sa.Text),
        sa.Column("surname", sa.Text),
        sa.Column("given_name", sa.Text),
        sa.Column("patronymic", sa.Text),
        sa.Column("latin_name", sa.Text),
        sa.Column("birth_date", sa.Text),
        sa.Column("sex", sa.Text),
        sa.Column("citizenship", sa.Text),
        sa.Column("surname_key", sa.Text, nullable=False, server_default=""),
        sa.Column("given_key", sa.Text, nullable=False, server_default=""),
        sa.Column("latin_key", sa.Text, nullable=False, server_default=""),
        sa.Column("case_json", sa.Text, nullable=False),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("updated_at", sa.Text, nullable=False),
        sa.Column("updated_by", sa.Text, nullable=False),
    )
    op.create_index("ix_patient_iin", "patient", ["iin"], unique=True,
                    sqlite_where=sa.text("iin IS NOT NULL"))
    op.create_index("ix_patient_name", "patient", ["surname_key", "given_key", "birth_date"])
    op.create_index("ix_patient_latin", "patient", ["latin_key", "given_key"])

    op.create_table(
        "patient_document",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("patient_id", sa.Integer, sa.ForeignKey("patient.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("number", sa.Text),
        sa.Column("number_key", sa.Text),
        sa.Column("country", sa.Text),
        sa.Column("issued_on", sa.Text),
        sa.Column("valid_from", sa.Text),
        sa.Column("valid_until", sa.Text),
    )
    op.create_index("ix_patient_document_number", "patient_document", ["number_key"])
    op.create_index("ix_patient_document_expiry", "patient_document", ["kind", "valid_until", "patient_id"])
    op.create_index("ix_patient_document_patient", "patient_document",
                    ["patient_id", "kind", "valid_until"])

    op.create_table(
        "decision",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("patient_id", sa.Integer, sa.ForeignKey("patient.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("as_of", sa.Text),
        sa.Column("taken_at", sa.Text, nullable=False),
        sa.Column("user", sa.Text, nullable=False),
        sa.Column("reference_version", sa.Text),
        sa.Column("category", sa.Text),
        sa.Column("attachment_status", sa.Text),
        sa.Column("attachment_until", sa.Text),
        sa.Column("osms_until", sa.Text),
        sa.Column("decision_json", sa.Text, nullable=False),
    )
    op.create_index("ix_decision_patient", "decision", ["patient_id", "taken_at", "id"])
    op.create_index("ix_decision_osms_until", "decision", ["osms_until", "patient_id"])

    op.create_table(
        "printed_document",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("number", sa.Text, nullable=False, unique=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("patient_id", sa.Integer, sa.ForeignKey("patient.id", ondelete="SET NULL")),
        sa.Column("lang", sa.Text, nullable=False),
        sa.Column("pdf", sa.LargeBinary, nullable=False),
        sa.Column("sha256", sa.Text, nullable=False),
        sa.Column("reference_version", sa.Text),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("user", sa.Text, nullable=False),
    )
    op.create_index("ix_printed_document_patient", "printed_document",
                    ["patient_id", "created_at"])

    op.create_table(
        "document_sequence",
        sa.Column("clinic_key", sa.Text, primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("last_number", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.Text, nullable=False),
    )

    op.create_table(
        "setting",
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for table in ("setting", "document_sequence", "printed_document", "decision",
                  "patient_document", "patient"):
        op.drop_table(table)
