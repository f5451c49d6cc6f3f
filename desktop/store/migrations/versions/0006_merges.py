"""One person, one record: merges of duplicate patients (with the snapshot that undoes them),
the identifiers a merged record leaves behind (searchable, leading to the kept record), the
corrections owed to the national register, the registrars' «possible duplicate» flags, and
the indexes the duplicate search blocks on.

Portable SQL only (SQLite and PostgreSQL).

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("patient") as batch:
        batch.add_column(sa.Column("merged_into", sa.Integer))
    op.create_index("ix_patient_birth_latin", "patient", ["birth_date", "latin_key"])
    op.create_index("ix_patient_birth_given", "patient", ["birth_date", "given_key", "latin_key"])
    op.create_index("ix_patient_merged_into", "patient", ["merged_into"])

    op.create_table(
        "patient_merge",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kept_id", sa.Integer, sa.ForeignKey("patient.id"), nullable=False),
        sa.Column("merged_id", sa.Integer, sa.ForeignKey("patient.id"), nullable=False),
        sa.Column("merged_at", sa.Text, nullable=False),
        sa.Column("merged_by", sa.Text, nullable=False),
        sa.Column("score", sa.Integer),
        sa.Column("snapshot", sa.Text, nullable=False),
        sa.Column("moved", sa.Text, nullable=False),
        sa.Column("decision_mark", sa.Integer, nullable=False, server_default="0"),
        sa.Column("printed_mark", sa.Integer, nullable=False, server_default="0"),
        sa.Column("exported_before", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("kept_version", sa.Integer, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("undone_at", sa.Text),
        sa.Column("undone_by", sa.Text),
        sa.CheckConstraint("status IN ('merged', 'undone')", name="ck_patient_merge_status"),
    )
    op.create_index("ix_patient_merge_kept", "patient_merge", ["kept_id", "status"])
    op.create_index("ix_patient_merge_merged", "patient_merge", ["merged_id", "status"])

    op.create_table(
        "patient_alias",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("patient_id", sa.Integer, sa.ForeignKey("patient.id"), nullable=False),
        sa.Column("merge_id", sa.Integer, sa.ForeignKey("patient_merge.id"), nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_index("ix_patient_alias_value", "patient_alias", ["kind", "value"])

    op.create_table(
        "export_correction",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("merge_id", sa.Integer, sa.ForeignKey("patient_merge.id"), nullable=False),
        sa.Column("kept_id", sa.Integer, nullable=False),
        sa.Column("merged_id", sa.Integer, nullable=False),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("batch_id", sa.Integer),
    )
    op.create_index("ix_export_correction_batch", "export_correction", ["batch_id"])

    op.create_table(
        "duplicate_flag",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("patient_id", sa.Integer, sa.ForeignKey("patient.id"), nullable=False),
        sa.Column("other_id", sa.Integer),
        sa.Column("flagged_at", sa.Text, nullable=False),
        sa.Column("flagged_by", sa.Text, nullable=False),
        sa.Column("resolved_at", sa.Text),
    )
    op.create_index("ix_duplicate_flag_open", "duplicate_flag", ["resolved_at", "patient_id"])


def downgrade() -> None:
    op.drop_table("duplicate_flag")
    op.drop_table("export_correction")
    op.drop_table("patient_alias")
    op.drop_table("patient_merge")
    op.drop_index("ix_patient_merged_into", "patient")
    op.drop_index("ix_patient_birth_given", "patient")
    op.drop_index("ix_patient_birth_latin", "patient")
    with op.batch_alter_table("patient") as batch:
        batch.drop_column("merged_into")
