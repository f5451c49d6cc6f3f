"""The head registrar's reports: what the reports count of each decision, as columns of the
decision row, filled here from what is stored (and by `record_decision` from now on):

- `channels` and `schemes`: the attachment channels and the coverage schemes of the stored
  decision JSON (sorted, joined with "+"), as the decision was taken;
- `sex`, `birth_date`, `citizenship`: the patient's, as they were when the decision was taken;
- `day_last`: 1 for a patient's last decision of its day (an application), 0 for one that a
  later decision of the same patient the same day replaced;

and an index by the time taken that holds them all, so that the period's summary and the
day's journal read the index alone, on SQLite and PostgreSQL alike.

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

COLUMNS = ("channels", "schemes", "sex", "birth_date", "citizenship")


def upgrade() -> None:
    with op.batch_alter_table("decision") as batch:
        for name in COLUMNS:
            batch.add_column(sa.Column(name, sa.Text, nullable=True))
        batch.add_column(sa.Column("day_last", sa.Integer, nullable=False, server_default="1"))
    if op.get_bind().dialect.name == "postgresql":
        def joined(path, item):
            arr = f"(decision_json::json #> '{{{path}}}')"
            return (f"COALESCE((SELECT string_agg(DISTINCT {item}, '+' ORDER BY {item}) FROM "
                    f"json_array_elements(CASE WHEN json_typeof({arr}) = 'array' THEN {arr} "
                    f"ELSE '[]'::json END) AS e(v)), '')")
        channels, schemes = joined("attachment,channels", "(v #>> '{}')"), joined("coverage", "(v ->> 'scheme')")
    else:
        channels = ("COALESCE((SELECT group_concat(value, '+') FROM (SELECT DISTINCT value FROM "
                    "json_each(decision_json, '$.attachment.channels') ORDER BY value)), '')")
        schemes = ("COALESCE((SELECT group_concat(s, '+') FROM (SELECT DISTINCT "
                   "json_extract(value, '$.scheme') AS s FROM json_each(decision_json, '$.coverage') "
                   "WHERE s IS NOT NULL ORDER BY s)), '')")
    op.execute(f"""UPDATE decision SET channels = {channels}, schemes = {schemes},
        sex = (SELECT p.sex FROM patient p WHERE p.id = decision.patient_id),
        birth_date = (SELECT p.birth_date FROM patient p WHERE p.id = decision.patient_id),
        citizenship = (SELECT p.citizenship FROM patient p WHERE p.id = decision.patient_id),
        day_last = CASE WHEN EXISTS (
            SELECT 1 FROM decision y WHERE y.patient_id = decision.patient_id
              AND substr(y.taken_at, 1, 10) = substr(decision.taken_at, 1, 10)
              AND (y.taken_at > decision.taken_at OR (y.taken_at = decision.taken_at AND y.id > decision.id)))
            THEN 0 ELSE 1 END""")
    op.create_index("ix_decision_taken_at", "decision",
                    ["taken_at", "id", "day_last", "patient_id", "category", "attachment_status",
                     "channels", "as_of", "reference_version", "sex", "birth_date", "citizenship"])
    # the day's journal reads its own narrower index (the summary's stays compact)
    op.create_index("ix_decision_journal", "decision",
                    ["taken_at", "id", "patient_id", "user", "category", "attachment_status",
                     "schemes", "channels", "reference_version"])
    op.create_index("ix_printed_document_created_at", "printed_document", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_printed_document_created_at", table_name="printed_document")
    op.drop_index("ix_decision_journal", table_name="decision")
    op.drop_index("ix_decision_taken_at", table_name="decision")
    with op.batch_alter_table("decision") as batch:
        for name in (*COLUMNS, "day_last"):
            batch.drop_column(name)
