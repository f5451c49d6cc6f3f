"""The head registrar's summary counts applications by the channel they came through (eGov or
the clinic's desk), not by the channels the decision allowed: `decision.channel` is the card's
`attachment_channel` when the decision was taken ("clinic" when the card does not say, as the
notice prints it), filled by `record_decision`.

Decisions stored before this revision are filled from their patient's card as it is now — the
card of the time is not kept; a card's channel is rarely changed after its application. The two
report indexes read `channel` instead of `channels`.

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

SUMMARY = ["taken_at", "id", "day_last", "patient_id", "category", "attachment_status",
           "{}", "as_of", "reference_version", "sex", "birth_date", "citizenship"]
JOURNAL = ["taken_at", "id", "patient_id", "user", "category", "attachment_status",
           "schemes", "{}", "reference_version"]


def _indexes(column: str) -> None:
    op.drop_index("ix_decision_journal", table_name="decision")
    op.drop_index("ix_decision_taken_at", table_name="decision")
    op.create_index("ix_decision_taken_at", "decision", [c.format(column) for c in SUMMARY])
    op.create_index("ix_decision_journal", "decision", [c.format(column) for c in JOURNAL])


def upgrade() -> None:
    with op.batch_alter_table("decision") as batch:
        batch.add_column(sa.Column("channel", sa.Text, nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        said = ("(SELECT p.case_json::json ->> 'attachment_channel' FROM patient p "
                "WHERE p.id = decision.patient_id)")
    else:
        said = ("(SELECT CASE WHEN json_valid(p.case_json) THEN json_extract(p.case_json, "
                "'$.attachment_channel') END FROM patient p WHERE p.id = decision.patient_id)")
    op.execute(f"UPDATE decision SET channel = CASE WHEN {said} = 'egov' THEN 'egov' ELSE 'clinic' END")
    _indexes("channel")


def downgrade() -> None:
    _indexes("channels")
    with op.batch_alter_table("decision") as batch:
        batch.drop_column("channel")
