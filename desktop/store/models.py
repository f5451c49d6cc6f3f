"""Tables of the operational registry (SQLModel on SQLAlchemy 2).

The schema itself is created and changed only by the Alembic scripts in `migrations/`;
these classes must describe the same tables (a test compares them).
Timestamps are ISO 8601 text with their UTC offset, money is decimal text.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class IsoDateTime(TypeDecorator):
    """datetime <-> ISO 8601 text, keeping the UTC offset if the caller gave one."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else value.isoformat()

    def process_result_value(self, value, dialect):
        return None if value is None else datetime.fromisoformat(value)


class IsoDate(TypeDecorator):
    """date <-> 'YYYY-MM-DD' text (so that SQL comparisons are plain text comparisons)."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else value.isoformat()

    def process_result_value(self, value, dialect):
        return None if value is None else date.fromisoformat(value)


class DecimalText(TypeDecorator):
    """Decimal <-> decimal string: no binary floating point anywhere near a price."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else str(Decimal(value))

    def process_result_value(self, value, dialect):
        return None if value is None else Decimal(value)


def _col(type_, *, nullable: bool = True, index: bool = False, **kw) -> Any:
    return Field(sa_column=sa.Column(type_, nullable=nullable, index=index, **kw))


def _fk(target: str, *, nullable: bool, ondelete: str) -> Any:
    return Field(sa_column=sa.Column(
        sa.Integer, sa.ForeignKey(target, ondelete=ondelete), nullable=nullable))


class Patient(SQLModel, table=True):
    """A person registered at the front desk; `case_json` is the whole case (interface.md)."""

    __tablename__ = "patient"
    __table_args__ = (
        sa.Index("ix_patient_iin", "iin", unique=True, sqlite_where=sa.text("iin IS NOT NULL")),
        sa.Index("ix_patient_name", "surname_key", "given_key", "birth_date"),
        sa.Index("ix_patient_latin", "latin_key", "given_key"),
        sa.Index("ix_patient_birth_latin", "birth_date", "latin_key"),
        sa.Index("ix_patient_birth_given", "birth_date", "given_key", "latin_key"),
        sa.Index("ix_patient_merged_into", "merged_into"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    iin: Optional[str] = _col(sa.Text)
    surname: Optional[str] = _col(sa.Text)
    given_name: Optional[str] = _col(sa.Text)
    patronymic: Optional[str] = _col(sa.Text)
    latin_name: Optional[str] = _col(sa.Text)
    birth_date: Optional[date] = _col(IsoDate)
    sex: Optional[str] = _col(sa.Text)
    citizenship: Optional[str] = _col(sa.Text)
    surname_key: str = _col(sa.Text, nullable=False, server_default="")
    given_key: str = _col(sa.Text, nullable=False, server_default="")
    latin_key: str = _col(sa.Text, nullable=False, server_default="")
    case_json: str = _col(sa.Text, nullable=False)
    created_at: datetime = _col(IsoDateTime, nullable=False)
    created_by: str = _col(sa.Text, nullable=False)
    updated_at: datetime = _col(IsoDateTime, nullable=False)
    updated_by: str = _col(sa.Text, nullable=False)
    version: int = _col(sa.Integer, nullable=False, server_default="1")  # +1 on every save
    merged_into: Optional[int] = _col(sa.Integer)  # set when merged into another record (merges)

    @property
    def case(self) -> dict:
        return json.loads(self.case_json)

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.surname, self.given_name, self.patronymic) if p)


class PatientDocument(SQLModel, table=True):
    """One document of a patient's case, mirrored from `patient.case_json` on every save."""

    __tablename__ = "patient_document"
    __table_args__ = (
        sa.Index("ix_patient_document_number", "number_key"),
        sa.Index("ix_patient_document_expiry", "kind", "valid_until", "patient_id"),
        sa.Index("ix_patient_document_patient", "patient_id", "kind", "valid_until"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    patient_id: int = _fk("patient.id", nullable=False, ondelete="CASCADE")
    position: int = _col(sa.Integer, nullable=False)
    kind: str = _col(sa.Text, nullable=False)
    number: Optional[str] = _col(sa.Text)
    number_key: Optional[str] = _col(sa.Text)
    country: Optional[str] = _col(sa.Text)
    issued_on: Optional[date] = _col(IsoDate)
    valid_from: Optional[date] = _col(IsoDate)
    valid_until: Optional[date] = _col(IsoDate)


class Decision(SQLModel, table=True):
    """A decision as taken and shown at the desk, kept whole in `decision_json`."""

    __tablename__ = "decision"
    __table_args__ = (
        sa.Index("ix_decision_patient", "patient_id", "taken_at", "id"),
        sa.Index("ix_decision_osms_until", "osms_until", "patient_id"),
        # reports by period (0007): the summary reads the index alone
        sa.Index("ix_decision_taken_at", "taken_at", "id", "day_last", "patient_id", "category",
                 "attachment_status", "channel", "as_of", "reference_version", "sex",
                 "birth_date", "citizenship"),
        sa.Index("ix_decision_journal", "taken_at", "id", "patient_id", "user", "category",
                 "attachment_status", "schemes", "channel", "reference_version"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    patient_id: int = _fk("patient.id", nullable=False, ondelete="CASCADE")
    as_of: Optional[date] = _col(IsoDate)
    taken_at: datetime = _col(IsoDateTime, nullable=False)
    user: str = _col(sa.Text, nullable=False)
    reference_version: Optional[str] = _col(sa.Text)
    category: Optional[str] = _col(sa.Text)
    attachment_status: Optional[str] = _col(sa.Text)
    attachment_until: Optional[date] = _col(IsoDate)
    osms_until: Optional[date] = _col(IsoDate)
    decision_json: str = _col(sa.Text, nullable=False)
    # for the reports (0007), as the decision was taken: attachment.channels and the coverage
    # schemes sorted and joined with "+", the patient's sex, birth date and citizenship then;
    # day_last 0 once a later decision of the same patient the same day replaced this one
    channels: Optional[str] = _col(sa.Text)
    schemes: Optional[str] = _col(sa.Text)
    sex: Optional[str] = _col(sa.Text)
    birth_date: Optional[str] = _col(sa.Text)
    citizenship: Optional[str] = _col(sa.Text)
    day_last: int = _col(sa.Integer, nullable=False, server_default="1")
    # (0008) the channel the application came through, as the card said when the decision was
    # taken: "egov" or "clinic" (a card that does not say was made at the clinic's desk)
    channel: Optional[str] = _col(sa.Text)

    @property
    def decision(self) -> dict:
        return json.loads(self.decision_json)


class PrintedDocument(SQLModel, table=True):
    """The exact PDF handed over, with its number; never changed once stored."""

    __tablename__ = "printed_document"
    __table_args__ = (sa.Index("ix_printed_document_patient", "patient_id", "created_at"),
                      sa.Index("ix_printed_document_created_at", "created_at"))

    id: Optional[int] = Field(default=None, primary_key=True)
    number: str = _col(sa.Text, nullable=False, unique=True)
    kind: str = _col(sa.Text, nullable=False)
    year: int = _col(sa.Integer, nullable=False)
    patient_id: Optional[int] = _fk("patient.id", nullable=True, ondelete="SET NULL")
    lang: str = _col(sa.Text, nullable=False)
    pdf: bytes = _col(sa.LargeBinary, nullable=False)
    sha256: str = _col(sa.Text, nullable=False)
    reference_version: Optional[str] = _col(sa.Text)
    created_at: datetime = _col(IsoDateTime, nullable=False)
    user: str = _col(sa.Text, nullable=False)


class DocumentSequence(SQLModel, table=True):
    """The last document number issued per clinic and year."""

    __tablename__ = "document_sequence"

    clinic_key: str = Field(sa_column=sa.Column(sa.Text, primary_key=True))
    year: int = Field(sa_column=sa.Column(sa.Integer, primary_key=True))
    last_number: int = _col(sa.Integer, nullable=False)
    updated_at: datetime = _col(IsoDateTime, nullable=False)


class DocumentNumber(SQLModel, table=True):
    """The ledger of issued numbers: each is reserved in the transaction that takes it, then
    stored with its document or marked void with the reason; so there are no silent gaps."""

    __tablename__ = "document_number"
    __table_args__ = (
        sa.UniqueConstraint("number", name="uq_document_number_number"),
        sa.CheckConstraint("status IN ('reserved', 'stored', 'void')",
                           name="ck_document_number_status"),
        sa.Index("ix_document_number_status", "status", "reserved_at"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    number: str = _col(sa.Text, nullable=False)
    clinic_key: str = _col(sa.Text, nullable=False)
    year: int = _col(sa.Integer, nullable=False)
    kind: Optional[str] = _col(sa.Text)
    user: str = _col(sa.Text, nullable=False)
    reserved_at: datetime = _col(IsoDateTime, nullable=False)
    status: str = _col(sa.Text, nullable=False)
    reason: Optional[str] = _col(sa.Text)
    closed_at: Optional[datetime] = _col(IsoDateTime)


class ExportBatch(SQLModel, table=True):
    """One export run, staged whole (both files' bytes) before any file is written; a run
    after a crash finishes a staged batch instead of starting a new one."""

    __tablename__ = "export_batch"
    __table_args__ = (
        sa.CheckConstraint("status IN ('staged', 'done')", name="ck_export_batch_status"),
        sa.Index("ix_export_batch_status", "status"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    created_at: datetime = _col(IsoDateTime, nullable=False)
    user: str = _col(sa.Text, nullable=False)
    csv_file: str = _col(sa.Text, nullable=False)
    json_file: str = _col(sa.Text, nullable=False)
    csv_data: bytes = _col(sa.LargeBinary, nullable=False)
    json_data: bytes = _col(sa.LargeBinary, nullable=False)
    count: int = _col(sa.Integer, nullable=False)
    status: str = _col(sa.Text, nullable=False)
    done_at: Optional[datetime] = _col(IsoDateTime)


class Setting(SQLModel, table=True):
    """Clinic details and other settings, one value a key."""

    __tablename__ = "setting"

    key: str = Field(sa_column=sa.Column(sa.Text, primary_key=True))
    value: str = _col(sa.Text, nullable=False)


class User(SQLModel, table=True):
    """An account: a registrar or an administrator (head registrar)."""

    __tablename__ = "app_user"
    __table_args__ = (sa.CheckConstraint("role IN ('registrar', 'admin')", name="ck_app_user_role"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    login: str = _col(sa.Text, nullable=False, unique=True)
    full_name: str = _col(sa.Text, nullable=False)
    role: str = _col(sa.Text, nullable=False)
    password_hash: str = _col(sa.Text, nullable=False)
    salt: str = _col(sa.Text, nullable=False)
    active: bool = _col(sa.Boolean, nullable=False)
    created_at: datetime = _col(IsoDateTime, nullable=False)


class AuditEntry(SQLModel, table=True):
    """One line of the audit log; triggers make the table append-only."""

    __tablename__ = "audit_log"
    __table_args__ = (sa.Index("ix_audit_log_at", "at"), sa.Index("ix_audit_log_object", "object"))

    id: Optional[int] = Field(default=None, primary_key=True)
    at: datetime = _col(IsoDateTime, nullable=False)
    user: str = _col(sa.Text, nullable=False)
    action: str = _col(sa.Text, nullable=False)
    object: str = _col(sa.Text, nullable=False)
    details: str = _col(sa.Text, nullable=False, server_default="{}")
    hash: Optional[str] = _col(sa.Text)  # sha256 chained to the previous row (audit verify)


class PriceItem(SQLModel, table=True):
    """A paid service's price over a period; a new price closes the old row."""

    __tablename__ = "price_item"
    __table_args__ = (sa.Index("ix_price_item_code", "code", "valid_from"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    code: str = _col(sa.Text, nullable=False)
    name_ru: str = _col(sa.Text, nullable=False)
    name_kk: str = _col(sa.Text, nullable=False)
    unit: str = _col(sa.Text, nullable=False)
    price: Decimal = _col(DecimalText, nullable=False)
    valid_from: date = _col(IsoDate, nullable=False)
    valid_until: Optional[date] = _col(IsoDate)  # last day in force, inclusive; None = open
    created_at: datetime = _col(IsoDateTime, nullable=False)
    created_by: str = _col(sa.Text, nullable=False)


class ExportOutbox(SQLModel, table=True):
    """Which attachment decisions went out to the national register, when, in which files."""

    __tablename__ = "export_outbox"
    __table_args__ = (sa.Index("ix_export_outbox_decision", "decision_id"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    decision_id: int = _fk("decision.id", nullable=False, ondelete="CASCADE")
    patient_id: int = _fk("patient.id", nullable=False, ondelete="CASCADE")
    exported_at: datetime = _col(IsoDateTime, nullable=False)
    user: str = _col(sa.Text, nullable=False)
    csv_file: str = _col(sa.Text, nullable=False)
    json_file: str = _col(sa.Text, nullable=False)
    batch_id: Optional[int] = _col(sa.Integer)


class PatientMerge(SQLModel, table=True):
    """Two records found to be one person: `merged_id` kept as merged into `kept_id`, with
    the snapshot of both as they were (undo restores them exactly) and what moved."""

    __tablename__ = "patient_merge"
    __table_args__ = (
        sa.CheckConstraint("status IN ('merged', 'undone')", name="ck_patient_merge_status"),
        sa.Index("ix_patient_merge_kept", "kept_id", "status"),
        sa.Index("ix_patient_merge_merged", "merged_id", "status"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    kept_id: int = _fk("patient.id", nullable=False, ondelete=None)
    merged_id: int = _fk("patient.id", nullable=False, ondelete=None)
    merged_at: datetime = _col(IsoDateTime, nullable=False)
    merged_by: str = _col(sa.Text, nullable=False)
    score: Optional[int] = _col(sa.Integer)
    snapshot: str = _col(sa.Text, nullable=False)
    moved: str = _col(sa.Text, nullable=False)
    decision_mark: int = _col(sa.Integer, nullable=False, server_default="0")
    printed_mark: int = _col(sa.Integer, nullable=False, server_default="0")
    exported_before: bool = _col(sa.Boolean, nullable=False, server_default=sa.false())
    kept_version: int = _col(sa.Integer, nullable=False)
    status: str = _col(sa.Text, nullable=False)
    undone_at: Optional[datetime] = _col(IsoDateTime)
    undone_by: Optional[str] = _col(sa.Text)


class PatientAlias(SQLModel, table=True):
    """An identifier a merged record left behind (kind 'iin', 'name' or 'latin'), leading to the
    record it was merged into."""

    __tablename__ = "patient_alias"
    __table_args__ = (sa.Index("ix_patient_alias_value", "kind", "value"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    patient_id: int = _fk("patient.id", nullable=False, ondelete=None)
    merge_id: int = _fk("patient_merge.id", nullable=False, ondelete=None)
    kind: str = _col(sa.Text, nullable=False)
    value: str = _col(sa.Text, nullable=False)


class ExportCorrection(SQLModel, table=True):
    """A merge the national register must hear about once: the merged record's identifiers now
    belong to the kept one. `batch_id` is set by the export batch that sent it."""

    __tablename__ = "export_correction"
    __table_args__ = (sa.Index("ix_export_correction_batch", "batch_id"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    merge_id: int = _fk("patient_merge.id", nullable=False, ondelete=None)
    kept_id: int = _col(sa.Integer, nullable=False)
    merged_id: int = _col(sa.Integer, nullable=False)
    created_at: datetime = _col(IsoDateTime, nullable=False)
    batch_id: Optional[int] = _col(sa.Integer)


class DuplicateFlag(SQLModel, table=True):
    """A registrar's «possible duplicate» report for the administrator (listed first)."""

    __tablename__ = "duplicate_flag"
    __table_args__ = (sa.Index("ix_duplicate_flag_open", "resolved_at", "patient_id"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    patient_id: int = _fk("patient.id", nullable=False, ondelete=None)
    other_id: Optional[int] = _col(sa.Integer)
    flagged_at: datetime = _col(IsoDateTime, nullable=False)
    flagged_by: str = _col(sa.Text, nullable=False)
    resolved_at: Optional[datetime] = _col(IsoDateTime)


metadata = SQLModel.metadata
