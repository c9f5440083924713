"""Who earns a certificate, issuing them with gap-free serials, revoking and re-issuing.

Issuing runs in three steps so that drawing never holds the database: (1) one short transaction
takes a block of serial numbers from the register (one atomic UPDATE ... RETURNING, so two
batches at once get consecutive, disjoint blocks and a rollback gives the numbers back) and
writes the certificate rows with the data they will be drawn from; (2) the PDFs are drawn and
written with no transaction open; (3) one short transaction records each file's name and hash.
A file lost or never written is drawn again from the stored data when asked for.
"""

import hashlib
import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from flask import current_app, url_for
from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError

from app.attendance.reports import activity_rates
from app.audit import services as audit
from app.certificates import pdf
from app.certificates.models import Certificate, CertificateRule, CertificateTemplate, Register, Status
from app.core.formats import date_vn, date_words_vn
from app.core.i18n import lazy_gettext as _l
from app.core.text import fold
from app.core.time import utcnow
from app.errors import ConflictError, ValidationError
from app.evaluations.models import Kind, Questionnaire, Response
from app.extensions import db
from app.people.models import Gender, Person
from app.planning.models import Activity, ActivityKind, ActivityStatus
from app.reference.services import issuing_organisation, signer_on
from app.registration.services import reason_text

ISSUABLE = (ActivityStatus.in_progress, ActivityStatus.completed, ActivityStatus.settled)
COMPLETION = {
    ActivityKind.study_tour: "Đã tham gia đoàn học tập kinh nghiệm",
    ActivityKind.workshop: "Đã tham dự hội nghị, hội thảo",
}
DEFAULT_COMPLETION = "Đã hoàn thành lớp tập huấn, bồi dưỡng"


# -- templates and rules --------------------------------------------------------------------------


def template_for(activity: Activity) -> CertificateTemplate:
    """The template of the activity's kind, else the default one (made on first use)."""
    kind = activity.kind.value
    found = db.session.scalar(select(CertificateTemplate).where(CertificateTemplate.activity_kind == kind))
    found = found or db.session.scalar(select(CertificateTemplate).where(CertificateTemplate.activity_kind.is_(None)))
    if found is None:
        found = CertificateTemplate(name="Mẫu chung", activity_kind=None, completion_line=DEFAULT_COMPLETION)
        db.session.add(found)
        db.session.flush()
    return found


@dataclass
class Rule:
    min_attendance_percent: int
    requires_post_test: bool
    own: bool  # set on the activity, not inherited from the template


def rule_for(activity: Activity) -> Rule:
    own = db.session.get(CertificateRule, activity.id)
    if own is not None:
        return Rule(own.min_attendance_percent, own.requires_post_test, True)
    template = template_for(activity)
    return Rule(template.min_attendance_percent, template.requires_post_test, False)


def set_rule(activity: Activity, min_attendance_percent: int | None, requires_post_test: bool) -> None:
    if min_attendance_percent is None or not 0 <= min_attendance_percent <= 100:
        message = _l("Tỷ lệ tham dự tối thiểu từ 0 đến 100 %.")
        raise ValidationError("invalid_rule", message, {"min_attendance_percent": message})
    rule = db.session.get(CertificateRule, activity.id) or CertificateRule(activity_id=activity.id)
    before = {"min": rule.min_attendance_percent, "post_test": rule.requires_post_test}
    rule.min_attendance_percent, rule.requires_post_test = min_attendance_percent, requires_post_test
    db.session.add(rule)
    db.session.flush()
    audit.record(
        "certificate_rule.set",
        activity,
        before=before,
        after={"min": min_attendance_percent, "post_test": requires_post_test},
    )


# -- eligibility ---------------------------------------------------------------------------------


@dataclass
class Eligibility:
    person: Person
    attended: int
    sessions: int
    post_test: str | None  # "passed", "failed", "missing", or None when not required
    certificate: Certificate | None
    reasons: list = field(default_factory=list)

    @property
    def eligible(self) -> bool:
        return not self.reasons

    @property
    def rate(self) -> float | None:
        return self.attended / self.sessions if self.sessions else None


def _post_test_results(activity: Activity) -> tuple[bool, dict[int, bool | None]]:
    """Whether the activity has a post-test, and each taker's pass (latest post-test)."""
    test = db.session.scalar(
        select(Questionnaire)
        .where(Questionnaire.activity_id == activity.id, Questionnaire.kind == Kind.post_test)
        .order_by(Questionnaire.id.desc())
    )
    if test is None:
        return False, {}
    rows = db.session.execute(select(Response.person_id, Response.passed).where(Response.questionnaire_id == test.id))
    return True, dict(rows.all())


def eligibility(activity: Activity, user=None) -> list[Eligibility]:
    """Every registered participant (the user may see), whether they earn a certificate, and why not."""
    rule = rule_for(activity)
    sessions, rates = activity_rates(activity, user)
    has_test, passes = _post_test_results(activity) if rule.requires_post_test else (False, {})
    held = {
        c.person_id: c
        for c in db.session.scalars(
            select(Certificate).where(Certificate.activity_id == activity.id, Certificate.status == Status.valid)
        )
    }
    out = []
    for row in rates:
        item = Eligibility(row.person, row.count, len(sessions), None, held.get(row.person.id))
        if not sessions:
            item.reasons.append(_l("Hoạt động chưa có buổi nào."))
        elif row.count * 100 < rule.min_attendance_percent * len(sessions):  # exactly at the threshold is enough
            item.reasons.append(
                _l(
                    "Tham dự %(a)s/%(n)s buổi, dưới mức %(p)s %%.",
                    a=row.count,
                    n=len(sessions),
                    p=rule.min_attendance_percent,
                )
            )
        if rule.requires_post_test:
            passed = passes.get(row.person.id)
            item.post_test = "passed" if passed else ("failed" if row.person.id in passes else "missing")
            if not has_test:
                item.reasons.append(_l("Hoạt động chưa có bài kiểm tra cuối khóa."))
            elif item.post_test == "missing":
                item.reasons.append(_l("Chưa làm bài kiểm tra cuối khóa."))
            elif item.post_test == "failed":
                item.reasons.append(_l("Chưa đạt bài kiểm tra cuối khóa."))
        out.append(item)
    return out


# -- the register -----------------------------------------------------------------------------------


def _symbol(organisation) -> str:
    short = organisation.short_name if organisation is not None and organisation.short_name else ""
    return f"GCN-{short}" if short else "GCN"


def _register(organisation, year: int) -> Register:
    found = db.session.scalar(
        select(Register).where(
            Register.year == year,
            Register.organisation_id.is_(None) if organisation is None else Register.organisation_id == organisation.id,
        )
    )
    if found is None:
        found = Register(organisation_id=getattr(organisation, "id", None), year=year, symbol=_symbol(organisation))
        try:
            with db.session.begin_nested():
                db.session.add(found)
        except IntegrityError:  # another batch opened this year's register at the same moment
            return _register(organisation, year)
    return found


def _take_numbers(register: Register, count: int) -> list[int]:
    """A block of ``count`` consecutive numbers, atomically (a concurrent batch gets the next block)."""
    last = db.session.execute(
        update(Register)
        .where(Register.id == register.id)
        .values(last_number=Register.last_number + count)
        .returning(Register.last_number)
    ).scalar_one()
    db.session.expire(register, ["last_number"])
    return list(range(last - count + 1, last + 1))


# -- issuing ---------------------------------------------------------------------------------------


def verify_url(code: str) -> str:
    return current_app.config["BASE_URL"].rstrip("/") + url_for("certificates.verify", code=code)


def _snapshot(activity: Activity, person: Person, template, issued_on: date, rule: Rule, issuer, signer) -> dict:
    """Everything the page shows, as plain text: kept with the register entry."""
    venue = activity.venue.name if activity.venue else (activity.venue_text or "")
    period = (
        f"ngày {date_vn(activity.start_date)}"
        if activity.start_date == activity.end_date
        else f"từ ngày {date_vn(activity.start_date)} đến ngày {date_vn(activity.end_date)}"
    )
    return {
        "parent_body": issuer.parent.name if issuer and issuer.parent else "",
        "issuing_body": issuer.name if issuer else "",
        "title": template.title,
        "salutation": "Bà" if person.gender is Gender.female else "Ông",
        "full_name": person.full_name,
        "birth_date": person.birth_date.isoformat() if person.birth_date else None,
        "birth": f"Ngày sinh: {date_vn(person.birth_date)}"
        if person.birth_date
        else f"Năm sinh: {person.birth_year or ''}",
        "unit": person.workplace or (person.unit.full_name if person.unit else ""),
        "completion_line": template.completion_line,
        "course": activity.title,
        "start_date": activity.start_date.isoformat(),
        "end_date": activity.end_date.isoformat(),
        "period": period,
        "venue": venue,
        "result": "Đạt" if rule.requires_post_test else "",
        "date_line": date_words_vn(issuer.place_name if issuer and issuer.place_name else "", issued_on),
        "authority_line": (signer.authority_line or "") if signer else "",
        "signer_title": signer.title if signer else "",
        "signer_name": signer.full_name if signer else "",
        "template_id": template.id,
    }


@dataclass
class ToDraw:
    """What drawing needs, read before the transaction ends (drawing touches no database row)."""

    id: int
    file_name: str
    page: pdf.Page


def _file_name(certificate: Certificate) -> str:
    safe = fold(certificate.register.symbol).upper().replace(" ", "")
    return f"{certificate.register.year}/{safe}-{certificate.number:05d}-{certificate.id}.pdf"


def _to_draw(certificate: Certificate, template: CertificateTemplate) -> ToDraw:
    data = certificate.data
    drawn_elsewhere = {"serial", "verify_url", "seal_png", "signature_png"}
    fields = {name: str(data.get(name) or "") for name in pdf.Page.__dataclass_fields__ if name not in drawn_elsewhere}
    page = pdf.Page(
        **fields,
        serial=certificate.serial,
        verify_url=verify_url(certificate.code),
        seal_png=template.seal_png,
        signature_png=template.signature_png,
    )
    return ToDraw(certificate.id, _file_name(certificate), page)


def _create(activity, people, user, issued_on, replaces=None) -> list[Certificate]:
    template, rule = template_for(activity), rule_for(activity)
    # Once per batch, the same for every page (per page it was two queries, each flushing the batch).
    issuer = issuing_organisation(activity)
    signer = signer_on(issued_on, template.signatory or (activity.plan.signatory if activity.plan else None), issuer)
    register = _register(issuer, issued_on.year)
    numbers = _take_numbers(register, len(people))
    created = []
    for person, number in zip(people, numbers, strict=True):
        certificate = Certificate(
            activity_id=activity.id,
            person_id=person.id,
            register_id=register.id,
            number=number,
            serial=f"{number:04d}/{register.symbol}",
            issued_on=issued_on,
            issued_by_id=getattr(user, "id", None),
            data=_snapshot(activity, person, template, issued_on, rule, issuer, signer),
            replaces_id=getattr(replaces, "id", None),
        )
        certificate.register = register
        db.session.add(certificate)
        created.append(certificate)
    db.session.flush()
    for certificate in created:
        audit.record(
            "certificate.issue",
            certificate,
            after={"serial": certificate.serial, "person_id": certificate.person_id, "activity_id": activity.id},
            actor=user,
        )
    return created


def issue(activity: Activity, user, person_ids: list[int] | None = None) -> list[Certificate]:
    """Issue to every eligible participant not yet holding one (or to the ones named).

    Commits (the numbers and rows first, then the files): see the module's docstring.
    :raises ConflictError: ``not_issuable`` (the activity has not run yet).
    """
    if activity.status not in ISSUABLE:
        raise ConflictError("not_issuable", _l("Chỉ cấp giấy chứng nhận cho hoạt động đang diễn ra hoặc đã kết thúc."))
    # One batch at a time per activity (a row lock on PostgreSQL; SQLite's write lock does the same):
    # two organisers pressing "issue" together must not both find the same people uncertified.
    db.session.execute(select(Activity.id).where(Activity.id == activity.id).with_for_update())
    wanted = set(person_ids) if person_ids is not None else None
    people = [
        row.person
        for row in eligibility(activity)
        if row.eligible and row.certificate is None and (wanted is None or row.person.id in wanted)
    ]
    if not people:
        return []
    created = _create(activity, people, user, date.today())
    template = template_for(activity)
    drawings = [_to_draw(c, template) for c in created]
    db.session.commit()  # serials and rows are kept; drawing below holds no transaction
    _write_files(drawings)
    return created


def _directory() -> Path:
    return Path(current_app.config["CERTIFICATES_DIR"])


def _write(drawing: ToDraw) -> str:
    content = pdf.render([drawing.page])
    path = _directory() / drawing.file_name
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(content)
    os.replace(temporary, path)  # never a half-written file under the final name
    return hashlib.sha256(content).hexdigest()


def _write_files(drawings: list[ToDraw]) -> None:
    rows = [{"certificate_id": d.id, "name": d.file_name, "digest": _write(d)} for d in drawings]
    if rows:
        db.session.execute(_RECORD_FILE, rows)  # one executemany, no ORM bookkeeping per row
    db.session.commit()


_table = Certificate.__table__
_RECORD_FILE = (
    update(_table)
    .where(_table.c.id == bindparam("certificate_id"))
    .values(file_name=bindparam("name"), sha256=bindparam("digest"))
)


def pdf_bytes(certificate: Certificate) -> bytes:
    """The issued file; drawn again from the stored data when the file is missing or altered."""
    if certificate.file_name:
        path = _directory() / certificate.file_name
        if path.exists():
            content = path.read_bytes()
            if hashlib.sha256(content).hexdigest() == certificate.sha256:
                return content
    drawing = _to_draw(certificate, template_for(certificate.activity))
    return pdf.render([drawing.page])


def preview(template: CertificateTemplate) -> bytes:
    """The template on sample data, before anything is issued."""
    sample = pdf.Page(
        parent_body="UBND tỉnh Lạng Sơn",
        issuing_body="Sở Lao động - Thương binh và Xã hội",
        title=template.title,
        salutation="Bà",
        full_name="Hoàng Thị Ngọc Ánh",
        birth="Ngày sinh: 05/02/1985",
        unit="Xã Tú Đoạn, huyện Lộc Bình",
        completion_line=template.completion_line,
        course="Tập huấn nâng cao năng lực cán bộ làm công tác giảm nghèo cấp xã, thôn, bản",
        period="từ ngày 10/05/2023 đến ngày 11/05/2023",
        venue="Hội trường UBND huyện Lộc Bình",
        result="Đạt" if template.requires_post_test else "",
        date_line=date_words_vn("Lạng Sơn", date(2023, 5, 12)),
        authority_line=(template.signatory.authority_line or "") if template.signatory else "KT. GIÁM ĐỐC",
        signer_title=template.signatory.title if template.signatory else "PHÓ GIÁM ĐỐC",
        signer_name=template.signatory.full_name if template.signatory else "Nguyễn Văn Mẫu",
        serial="0001/GCN-MẪU",
        verify_url=current_app.config["BASE_URL"].rstrip("/") + "/verify/MAU-KHONG-CO-GIA-TRI",
        seal_png=template.seal_png,
        signature_png=template.signature_png,
    )
    return pdf.render([sample])


# -- revoking and re-issuing ----------------------------------------------------------------------------


def revoke(certificate: Certificate, user, reason: str | None) -> None:
    reason = reason_text(reason)
    if certificate.status is not Status.valid:
        raise ConflictError("not_valid", _l("Giấy chứng nhận này đã bị thu hồi hoặc đã được thay."))
    certificate.status, certificate.revoked_at, certificate.revoke_reason = Status.revoked, utcnow(), reason
    db.session.flush()
    audit.record(
        "certificate.revoke",
        certificate,
        before={"status": "valid"},
        after={"status": "revoked", "reason": reason},
        actor=user,
    )


def reissue(certificate: Certificate, user, reason: str | None) -> Certificate:
    """A corrected certificate (the person's data as it is now) with a new serial; the old one is replaced."""
    reason = reason_text(reason)
    if certificate.status is not Status.valid:
        raise ConflictError("not_valid", _l("Giấy chứng nhận này đã bị thu hồi hoặc đã được thay."))
    certificate.status, certificate.revoked_at, certificate.revoke_reason = Status.replaced, utcnow(), reason
    db.session.flush()  # the old one stops being the valid one before the new one is added
    (new,) = _create(certificate.activity, [certificate.person], user, date.today(), replaces=certificate)
    audit.record(
        "certificate.reissue",
        certificate,
        before={"status": "valid"},
        after={"status": "replaced", "replaced_by": new.serial, "reason": reason},
    )
    drawing = _to_draw(new, template_for(certificate.activity))
    db.session.commit()
    _write_files([drawing])
    return new


def replacement_of(certificate: Certificate) -> Certificate | None:
    return db.session.scalar(select(Certificate).where(Certificate.replaces_id == certificate.id))


def find(code: str) -> Certificate | None:
    if not code or len(code) > 60:
        return None
    return db.session.scalar(select(Certificate).where(Certificate.code == code))


def public_view(certificate: Certificate) -> dict:
    """What anyone may read about a certificate: enough to spot an edited PDF, nothing more."""
    data = certificate.data
    replacement = replacement_of(certificate) if certificate.status is Status.replaced else None
    return {
        "status": "valid" if certificate.status is Status.valid else "revoked",
        "detail": certificate.status.value,
        "serial": certificate.serial,
        "full_name": data.get("full_name"),
        "birth_date": data.get("birth_date"),
        "birth": data.get("birth"),
        "activity_title": data.get("course"),
        "start_date": data.get("start_date"),
        "end_date": data.get("end_date"),
        "issued_on": certificate.issued_on.isoformat(),
        "issuing_body": data.get("issuing_body"),
        "replaced_by": replacement.serial if replacement else None,
        "revoked_on": certificate.revoked_at.date().isoformat() if certificate.revoked_at else None,
        # The holder's identity was erased at their request (app/privacy): the certificate stands.
        "anonymised": bool(data.get("anonymised")),
    }
