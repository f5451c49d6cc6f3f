"""The export of allowed attachments for the national register, exactly once across a crash
and across desks (staged whole in one transaction, then written, then marked done)."""

from __future__ import annotations

import csv
import io
import json
import os
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, select

from desktop.fileutil import csv_row, write_private

from .. import backend
from ..models import ExportBatch, ExportOutbox
from ..unit import UnitOfWork


class Export(UnitOfWork):
    """Attachments out to the national register."""

    def export_attachments(self, out_csv: Path, out_json: Path, *, now: datetime, user: str,
                           again: bool = False) -> dict:
        """Administrator: write the allowed attachments not yet exported (from each patient's
        latest decision) to CSV and JSON, exactly once across a crash.

        The batch is staged whole in one transaction (both files' bytes, and the outbox rows);
        then the files are written under temporary names and renamed, and the batch is marked
        done. A run that finds a staged batch (the previous run crashed in between) finishes
        that batch — the same content — instead of starting a new one, written to the files
        this run names (a first target that could not be written never blocks a later export
        to another folder). With again=True, every current allowed attachment is written
        again: a batch still staged is superseded by it (recorded in the audit log).
        A merge of a person the register already knew is sent once as a correction (CSV rows
        with action "correction", the JSON's "corrections"); decisions taken before such a merge
        are not sent again as new attachments.
        Nothing to export: no files are written. Returns {"count", "decision_ids", ...}.
        """
        out_csv, out_json = Path(out_csv), Path(out_json)
        self.require_admin(user)
        pending = self._staged_export()
        if pending is not None and not again:
            return self._finish_export(pending, out_csv, out_json, now=now, user=user,
                                       resumed=True)
        with self._write() as session:
            self._require_role(session, user)
            backend.serialize(session, backend.EXPORT_LOCK)  # desks stage one batch at a time
            if again:  # everything current is staged anew: a staged batch is superseded
                for old in session.exec(select(ExportBatch).where(ExportBatch.status == "staged")):
                    old.status, old.done_at = "done", now
                    session.add(old)
                    self._audit(session, user=user, action="export_superseded",
                                obj=f"export:{old.id}", now=now, details={"count": old.count})
            if session.exec(select(ExportBatch.id).where(ExportBatch.status == "staged")).first():
                staged = True  # another process staged one meanwhile: finish that instead
            else:
                staged = False
                batch = self._stage_export(session, out_csv, out_json, now=now, user=user, again=again)
        if staged:
            pending = self._staged_export()
            if pending is None:  # the other desk finished it meanwhile: look again
                return self.export_attachments(out_csv, out_json, now=now, user=user, again=again)
            return self._finish_export(pending, out_csv, out_json, now=now, user=user,
                                       resumed=True)
        if batch is None:
            return {"count": 0, "decision_ids": [], "csv": str(out_csv), "json": str(out_json)}
        _crash_point("export-staged")
        return self._finish_export(batch, out_csv, out_json, now=now, user=user, resumed=False)

    def _staged_export(self) -> ExportBatch | None:
        with self._read() as session:
            return session.exec(select(ExportBatch).where(ExportBatch.status == "staged")
                                .order_by(ExportBatch.id)).first()

    def _stage_export(self, session: Session, out_csv: Path, out_json: Path, *, now: datetime,
                      user: str, again: bool) -> ExportBatch | None:
        sql = sa.text("""
            SELECT d.id AS decision_id, d.patient_id, d.as_of, d.taken_at, d.category,
                   d.attachment_until, d.reference_version, d.user,
                   p.iin, p.surname, p.given_name, p.patronymic, p.birth_date, p.sex,
                   p.citizenship
            FROM decision d JOIN patient p ON p.id = d.patient_id
            WHERE d.attachment_status = 'allowed'
              AND d.id = (SELECT y.id FROM decision y WHERE y.patient_id = d.patient_id
                          ORDER BY y.taken_at DESC, y.id DESC LIMIT 1)
              AND (:again OR NOT EXISTS (SELECT 1 FROM export_outbox o
                                         WHERE o.decision_id = d.id))
              AND p.merged_into IS NULL
              AND (:again OR NOT EXISTS (
                    SELECT 1 FROM patient_merge m
                    WHERE m.kept_id = d.patient_id AND m.status = 'merged'
                      AND m.exported_before = :yes AND d.id <= m.decision_mark))
            ORDER BY d.id""")
        # a decision taken before a merge of a person the register already knew is no new
        # attachment: the correction below tells the register instead (once)
        rows = [dict(r._mapping) for r in session.execute(sql, {"again": again, "yes": True})]
        corrections = self._pending_corrections(session)
        if not rows and not corrections:
            return None
        clinic = {k: v for k, v in self.clinic_details().items()}
        columns = ["decision_id", "patient_id", "iin", "surname", "given_name", "patronymic",
                   "birth_date", "sex", "citizenship", "category", "attachment_until",
                   "as_of", "taken_at", "user", "reference_version"]
        extra = ["action", "replaces_patient_id", "replaces_iin", "replaces_name",
                 "replaces_birth_date"]
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(columns + extra)
        for r in rows:
            writer.writerow(csv_row([r[c] for c in columns] + ["attach", "", "", "", ""]))
        for c in corrections:
            writer.writerow(csv_row([c.get(k) for k in columns] + [
                "correction", c["replaces"]["patient_id"], c["replaces"]["iin"],
                c["replaces"]["name"], c["replaces"]["birth_date"]]))
        document = {"exported_at": now.isoformat(), "clinic": clinic,
                    "attachments": [{k: r[k] for k in columns} for r in rows]}
        if corrections:
            # the register knew this person under the merged record: from now on, the kept one
            document["corrections"] = corrections
        batch = ExportBatch(created_at=now, user=user, csv_file=str(out_csv), json_file=str(out_json),
                            csv_data=("\ufeff" + buffer.getvalue()).encode("utf-8"),
                            json_data=json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8"),
                            count=len(rows), status="staged")
        session.add(batch)
        session.flush()
        for r in rows:
            session.add(ExportOutbox(decision_id=r["decision_id"], patient_id=r["patient_id"],
                                     exported_at=now, user=user, csv_file=str(out_csv),
                                     json_file=str(out_json), batch_id=batch.id))
        if corrections:
            session.execute(sa.text("UPDATE export_correction SET batch_id = :b WHERE id IN :ids")
                            .bindparams(sa.bindparam("ids", expanding=True)),
                            {"b": batch.id, "ids": [c["correction_id"] for c in corrections]})
        self._audit(session, user=user, action="export_staged", obj=f"export:{batch.id}", now=now,
                    details={"count": len(rows), "corrections": len(corrections),
                             "again": again, "csv": out_csv.name,
                             "json": out_json.name})
        return batch

    @staticmethod
    def _pending_corrections(session: Session) -> list[dict]:
        """Merges the register has not been told of: the kept record's identifiers, and those
        of the merged record it knew (from the merge's snapshot)."""
        sql = sa.text("""
            SELECT c.id AS correction_id, c.merge_id, c.kept_id AS patient_id, m.snapshot,
                   p.iin, p.surname, p.given_name, p.patronymic, p.birth_date, p.sex,
                   p.citizenship
            FROM export_correction c JOIN patient_merge m ON m.id = c.merge_id
            JOIN patient p ON p.id = c.kept_id
            WHERE c.batch_id IS NULL AND m.status = 'merged'
            ORDER BY c.id""")
        result = []
        for r in session.execute(sql):
            row = dict(r._mapping)
            before = next(p for p in json.loads(row.pop("snapshot"))["patients"]
                          if p["id"] != r.patient_id)
            row["replaces"] = {
                "patient_id": before["id"], "iin": before["iin"],
                "name": " ".join(x for x in (before["surname"], before["given_name"],
                                             before["patronymic"]) if x),
                "birth_date": before["birth_date"]}
            result.append(row)
        return result

    def _finish_export(self, batch: ExportBatch, out_csv: Path, out_json: Path, *, now: datetime,
                       user: str, resumed: bool) -> dict:
        """Write a staged batch's files to this run's targets (temporary names, renamed) and
        mark it done, with the files it went to."""
        csv_file, json_file = str(out_csv), str(out_json)
        write_private(Path(csv_file), batch.csv_data)
        _crash_point("export-csv-written")
        write_private(Path(json_file), batch.json_data)
        _crash_point("export-files-written")
        with self._write() as session:
            row = session.exec(select(ExportBatch).where(ExportBatch.id == batch.id)
                               .with_for_update()).one()  # two desks finishing: one marks it done
            if row.status == "staged":
                row.status, row.done_at = "done", now
                row.csv_file, row.json_file = csv_file, json_file
                session.add(row)
                session.execute(sa.update(ExportOutbox).where(ExportOutbox.batch_id == batch.id)
                                .values(csv_file=csv_file, json_file=json_file))
                details = {"count": batch.count, "batch": batch.id,
                           "json": Path(json_file).name, "resumed": resumed}
                if resumed and (csv_file, json_file) != (batch.csv_file, batch.json_file):
                    details["staged_for"] = [Path(batch.csv_file).name, Path(batch.json_file).name]
                self._audit(session, user=user, action="export", obj=f"export:{Path(csv_file).name}",
                            now=now, details=details)
            ids = list(session.exec(select(ExportOutbox.decision_id)
                                    .where(ExportOutbox.batch_id == batch.id)
                                    .order_by(ExportOutbox.decision_id)))
        return {"count": batch.count, "decision_ids": ids, "csv": csv_file,
                "json": json_file, "batch": batch.id, "resumed": resumed}

    def exported(self) -> list[ExportOutbox]:
        with self._read() as session:
            return list(session.exec(select(ExportOutbox).order_by(ExportOutbox.id)))


def _crash_point(name: str) -> None:
    """Fault injection for the crash tests: POLYCLINIC_CRASH_AT=<name> kills the process
    here with SIGKILL (as a power cut would). Does nothing otherwise."""
    if os.environ.get("POLYCLINIC_CRASH_AT") == name:
        import signal

        os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))
