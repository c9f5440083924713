"""What the system holds about one person, and erasing their identity while keeping the figures.

This package reads every domain that refers to a person (it sits above them all, like reports)
and is the only place that rewrites another domain's rows, for anonymisation alone.
"""

from pathlib import Path

from flask import current_app
from sqlalchemy import or_, select

from app.attendance.models import Attendance, Refusal
from app.audit import services as audit
from app.audit.models import AuditEntry
from app.certificates.models import Certificate
from app.core.i18n import lazy_gettext as _l
from app.core.text import nfc
from app.core.time import utcnow
from app.costs.allowances import allowance_list
from app.errors import ConflictError, ValidationError
from app.evaluations.models import Response
from app.extensions import db
from app.people.models import Person
from app.planning.models import ActivityMember, ActivitySession
from app.registration.models import Enrolment, RegistrationRequest

PSEUDONYM = "Người đã ẩn danh #{id}"
ERASED = "[đã ẩn danh]"
# Fields that say who someone is. Gender, ethnicity, level, unit and category stay: the reports
# count people by them, and alone they do not name anyone.
IDENTIFYING = ("full_name", "id_number", "phone", "birth_date", "birth", "position", "workplace", "username")
BIRTH_YEAR_BAND = 5


def _iso(value):
    return value.isoformat() if value is not None else None


def _records(person: Person) -> list[Person]:
    """The person and any records merged into them (the same person registered twice)."""
    merged = db.session.scalars(select(Person).where(Person.merged_into_id == person.id)).all()
    return [person, *merged]


def subject_record(person: Person) -> dict:
    """Everything held about a person, as plain JSON-ready data (the page and the download).

    Allowances are computed from attendance (nothing else is stored per person), so they are
    listed as computed now for each activity the person attended.
    """
    ids = [p.id for p in _records(person)]
    enrolments = db.session.scalars(select(Enrolment).where(Enrolment.person_id.in_(ids)).order_by(Enrolment.id)).all()
    attendances = db.session.execute(
        select(Attendance, ActivitySession)
        .join(ActivitySession, ActivitySession.id == Attendance.session_id)
        .where(Attendance.person_id.in_(ids))
        .order_by(Attendance.checked_in_at)
    ).all()
    responses = db.session.scalars(select(Response).where(Response.person_id.in_(ids))).all()
    certificates = db.session.scalars(
        select(Certificate).where(Certificate.person_id.in_(ids)).order_by(Certificate.id)
    ).all()
    refusals = db.session.scalars(select(Refusal).where(Refusal.person_id.in_(ids))).all()
    memberships = db.session.scalars(select(ActivityMember).where(ActivityMember.person_id.in_(ids))).all()
    return {
        "profile": _profile(person),
        "merged_records": [_profile(p) for p in _records(person)[1:]],
        "enrolments": [
            {
                "activity_id": e.activity_id,
                "activity": e.activity.title,
                "status": e.status.value,
                "created_at": _iso(e.created_at),
                "cancelled_at": _iso(e.cancelled_at),
                "cancel_reason": e.cancel_reason,
            }
            for e in enrolments
        ],
        "attendance": [
            {
                "activity_id": s.activity_id,
                "session": s.title,
                "checked_in_at": _iso(a.checked_in_at),
                "method": a.method.value,
                "late": a.late,
                "reason": a.reason,
            }
            for a, s in attendances
        ],
        "refused_check_ins": [{"session_id": r.session_id, "code": r.code, "at": _iso(r.at)} for r in refusals],
        "evaluation_answers": [
            {
                "questionnaire": r.questionnaire.title,
                "submitted_on": _iso(r.submitted_on),
                "answers": r.answers,
                "score": r.score,
                "passed": r.passed,
            }
            for r in responses
        ],
        "certificates": [
            {
                "serial": c.serial,
                "activity_id": c.activity_id,
                "status": c.status.value,
                "issued_on": _iso(c.issued_on),
                "revoke_reason": c.revoke_reason,
            }
            for c in certificates
        ],
        "activity_roles": [{"activity_id": m.activity_id, "activity": m.activity.title} for m in memberships],
        "allowances": _allowances(ids, attendances),
        "audit": [_audit_row(entry) for entry in audit_entries_about(person)],
    }


def _profile(person: Person) -> dict:
    return {
        "id": person.id,
        "full_name": person.full_name,
        "gender": person.gender.value,
        "birth_date": _iso(person.birth_date),
        "birth_year": person.year_of_birth,
        "ethnicity": person.ethnicity.name if person.ethnicity else None,
        "id_number": person.id_number,
        "phone": person.phone,
        "level": person.level.value,
        "category": person.category.name if person.category else None,
        "position": person.position,
        "workplace": person.workplace,
        "unit": person.unit.full_name,
        "created_at": _iso(person.created_at),
        "updated_at": _iso(person.updated_at),
        "anonymised_at": _iso(person.anonymised_at),
    }


def _allowances(ids: list[int], attendances) -> list[dict]:
    rows = []
    for activity in {s.activity for _a, s in attendances}:
        for row in allowance_list(activity).rows:
            if row.person.id in ids:
                days = [_iso(day) for day in row.days]
                rows.append({"activity_id": activity.id, "activity": activity.title, "days": days, "total": row.total})
    return sorted(rows, key=lambda r: r["activity_id"])


def _audit_row(entry: AuditEntry) -> dict:
    return {
        "at": _iso(entry.at),
        "action": entry.action,
        "object": f"{entry.object_type} {entry.object_id or ''}".strip(),
        "actor_id": entry.actor_id,
    }


def audit_entries_about(person: Person) -> list[AuditEntry]:
    """Entries on the person's own record and on their enrolments, attendance and certificates."""
    ids = [p.id for p in _records(person)]
    owned = {
        "people": ids,
        "enrolments": select(Enrolment.id).where(Enrolment.person_id.in_(ids)),
        "attendances": select(Attendance.id).where(Attendance.person_id.in_(ids)),
        "certificates": select(Certificate.id).where(Certificate.person_id.in_(ids)),
    }
    conditions = []
    for object_type, id_query in owned.items():
        texts = (
            [str(i) for i in id_query] if isinstance(id_query, list) else [str(i) for i in db.session.scalars(id_query)]
        )
        if texts:
            conditions.append((AuditEntry.object_type == object_type) & AuditEntry.object_id.in_(texts))
    return db.session.scalars(select(AuditEntry).where(or_(*conditions)).order_by(AuditEntry.at, AuditEntry.id)).all()


# -- erasure ------------------------------------------------------------------------------------


def anonymise(person: Person, user, reason: str | None) -> Person:
    """Erase who the person is, irreversibly, keeping every row that figures, payments or
    certificate verification rely on (under a pseudonym).

    Kept: gender, ethnicity, level, unit, category, the 5-year band of the birth year, and all
    enrolments, attendance, answers and certificates. Erased: name, citizen ID, phone, birth
    date, position, workplace, on this record and any merged into it; the same fields in
    certificate snapshots, registration requests and the audit trail about them. The stored
    certificate PDFs are deleted after the commit (``erase_files``) and drawn again on demand.

    :raises ValidationError: ``reason_required`` when no reason is given.
    :raises ConflictError: ``already_anonymised``; ``merged_record`` for a record merged away.
    """
    reason = nfc(reason or "").strip()
    if not reason:
        raise ValidationError("reason_required", _l("Nhập lý do ẩn danh."), {"reason": _l("Nhập lý do ẩn danh.")})
    if person.anonymised_at is not None:
        raise ConflictError("already_anonymised", _l("Hồ sơ này đã được ẩn danh."))
    if person.merged_into_id is not None:
        raise ConflictError("merged_record", _l("Hồ sơ này đã được gộp vào hồ sơ khác; hãy ẩn danh hồ sơ còn lại."))
    entries = audit_entries_about(person)  # before the ids change meaning: found by the record ids
    records = _records(person)
    for record in records:
        _erase_identity(record)
    ids = [r.id for r in records]
    files = _scrub_certificates(ids, person)
    _scrub_requests(ids)
    for refusal in db.session.scalars(select(Refusal).where(Refusal.person_id.in_(ids))):
        refusal.detail = None
    for entry in entries:
        entry.before, entry.after = _scrubbed(entry.before), _scrubbed(entry.after)
    db.session.flush()
    audit.record("person.anonymise", person, actor=user, after={"reason": reason[:500], "records": len(records)})
    return files


def _erase_identity(person: Person) -> None:
    year = person.year_of_birth
    person.full_name = PSEUDONYM.format(id=person.id)
    person.id_number = person.phone = person.birth_date = person.position = person.workplace = None
    person.birth_year = year - year % BIRTH_YEAR_BAND if year else None
    person.anonymised_at = utcnow()


def _scrub_certificates(ids: list[int], person: Person) -> list[str]:
    """Certificate snapshots hold the name and birth date as printed: replace them."""
    files = []
    for certificate in db.session.scalars(select(Certificate).where(Certificate.person_id.in_(ids))):
        data = dict(certificate.data)
        data.update(full_name=person.full_name, birth_date=None, birth="", unit=person.unit.full_name, anonymised=True)
        certificate.data = data
        if certificate.file_name:
            files.append(certificate.file_name)
        certificate.file_name = certificate.sha256 = None
    return files


def _scrub_requests(ids: list[int]) -> None:
    requests = db.session.scalars(select(RegistrationRequest).where(RegistrationRequest.matched_person_id.in_(ids)))
    for request in requests:
        request.data = _scrubbed(request.data)


def _scrubbed(values: dict | None) -> dict | None:
    if not values:
        return values
    return {key: (ERASED if key in IDENTIFYING and value not in (None, "") else value) for key, value in values.items()}


def erase_files(file_names: list[str]) -> None:
    """Delete the certificate PDFs that still print the old name (after the commit: a rolled-back
    anonymisation must not lose files)."""
    directory = Path(current_app.config["CERTIFICATES_DIR"])
    for name in file_names:
        (directory / name).unlink(missing_ok=True)
