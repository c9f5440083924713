"""Route-walking helpers: one real object for every URL parameter of the app's routes."""

import re

from sqlalchemy import select

from app.auth.models import Role
from app.extensions import db
from tests.factories import (
    budget_line,
    ethnicity,
    funding_source,
    make_activity,
    make_person,
    make_plan,
    make_session,
    make_trainer,
    make_user,
    unit,
)


def route_objects() -> dict:
    """One in-scope object for every URL parameter our routes take."""
    from app.planning.models import ActivityKind, ActivityMember, Destination, DestinationScope

    organiser = make_user(Role.organiser)
    person = make_person()  # in Huyện Lộc Bình, the district officer's scope
    activity = make_activity(
        kind=ActivityKind.study_tour, unit=unit("188"), destination_scope=DestinationScope.in_province
    )
    session = make_session(activity)
    stop = Destination(
        activity=activity, place="Huyện Bắc Sơn", start_date=activity.start_date, end_date=activity.start_date
    )
    member = ActivityMember(activity=activity, person=person)
    db.session.add_all([stop, member])
    db.session.flush()
    from app.materials.services import attach, create_material, participant_token
    from app.registration.self_service import publish

    publish(activity)

    material = create_material({"title": "Sổ tay giảm nghèo"}, "so-tay.pdf", b"%PDF-1.4 test", organiser)
    use = attach(activity, material.id, None)
    from app.registration.models import Enrolment

    enrolment = Enrolment(activity_id=activity.id, person_id=person.id, status="registered", unit_id=person.unit_id)
    from app.registration.models import RegistrationRequest

    request_row = RegistrationRequest(activity_id=activity.id, data={"full_name": "Lò Văn Xin"})
    db.session.add_all([enrolment, request_row])
    db.session.flush()
    from app.attendance.models import Attendance, Method

    present = Attendance(
        session_id=session.id,
        person_id=person.id,
        enrolment_id=enrolment.id,
        checked_in_at=session.starts_at,
        method=Method.manual,
        flags=[],
    )
    db.session.add(present)
    db.session.flush()
    from app.evaluations.services import add_question, create

    questionnaire = create(activity, {"kind": "survey", "title": "Khảo sát"}, organiser)
    question = add_question(questionnaire, {"type": "likert", "text": "Nội dung phù hợp"})
    from datetime import date as _date

    from app.certificates.models import Certificate, CertificateTemplate, Register
    from app.costs.services import norm_on

    register = Register(year=2023, symbol="GCN")
    template = CertificateTemplate(name="Mẫu chung", completion_line="Đã hoàn thành")
    db.session.add_all([register, template])
    db.session.flush()
    certificate = Certificate(
        activity_id=activity.id,
        person_id=person.id,
        register_id=register.id,
        number=1,
        serial="0001/GCN",
        issued_on=_date(2023, 5, 12),
        data={"full_name": person.full_name, "course": activity.title},
    )
    db.session.add(certificate)
    db.session.flush()
    from app.costs import estimates, spending
    from app.costs.models import Place

    finance = make_user(Role.finance)
    estimate, _ = estimates.rebuild(activity, Place.province, finance, override_reason="route walk")
    money = {"budget_line_id": activity.budget_line_id, "funding_source_id": activity.funding_source_id}
    paid = {**money, "voucher_date": _date(2023, 5, 12), "amount": 100_000, "activity_id": activity.id}
    advance = spending.record_advance(
        {**paid, "voucher_no": "TU01", "payee": "Ngô Thị Lan", "purpose": "Tổ chức"}, finance
    )
    expenditure = spending.record_expenditure({**paid, "voucher_no": "PC01", "description": "Nước uống"}, finance, "x")
    from app.reports.models import Indicator, PeriodKind, ReportingPeriod

    period = ReportingPeriod(
        kind=PeriodKind.annual, year=2023, title="Năm 2023", starts_on=_date(2023, 1, 1), ends_on=_date(2023, 12, 31)
    )
    db.session.add(period)
    db.session.flush()
    manual_indicator = db.session.scalar(select(Indicator).where(Indicator.computation.is_(None)))
    return {
        "period_id": period.id,
        "indicator_id": manual_indicator.id,
        "estimate_line_id": estimate.lines[0].id,
        "advance_id": advance.id,
        "expenditure_id": expenditure.id,
        "token": participant_token(activity),
        "enrolment_id": enrolment.id,
        "request_id": request_row.id,
        "material_id": material.id,
        "version_id": material.versions[0].id,
        "use_id": use.id,
        "person_id": person.id,
        "unit_id": unit("188").id,
        "user_id": organiser.id,
        "kind": "ethnicities",
        "row_id": ethnicity("07").id,
        "filename": "css/app.css",
        "activity_id": activity.id,
        "session_id": session.id,
        "attendance_id": present.id,
        "questionnaire_id": questionnaire.id,
        "question_id": question.id,
        "certificate_id": certificate.id,
        "norm_id": norm_on("per_diem", _date(2023, 5, 10)).id,
        "template_id": template.id,
        "code": "1.not-a-code",
        "destination_id": stop.id,
        "member_id": member.id,
        "plan_id": make_plan().id,
        "line_id": budget_line().id,
        "source_id": funding_source().id,
    }


def format_rule(rule_text: str, objects: dict) -> str:
    if rule_text.startswith("/resources/"):
        objects = {**objects, "kind": "trainers", "row_id": make_trainer().id}
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: str(objects[m.group(1)]), rule_text)


# Every URL parameter naming an object a district officer's scope limits (people, and what belongs
# to an activity held in a district); the others (plans, budget lines, reference rows, materials)
# are the province's and every staff member reads them.
SCOPED_PARAMETERS = {
    "activity_id",
    "session_id",
    "destination_id",
    "member_id",
    "request_id",
    "use_id",
    "questionnaire_id",
    "question_id",
    "estimate_line_id",
    "person_id",
    "enrolment_id",
    "attendance_id",
    "certificate_id",
}
PERSON_PARAMETERS = {"person_id", "enrolment_id", "attendance_id", "certificate_id"}
OTHER_PERSON_NAME = "Vi Thị Ngoài Phạm"
OTHER_ACTIVITY_TITLE = "Lớp tập huấn riêng của Cao Lộc"


def out_of_scope_objects(objects: dict, district_code: str = "183") -> tuple[dict, dict]:
    """Twins of ``route_objects()`` in another district (Cao Lộc by default), for IDOR walks.

    Returns two maps over ``objects``: ``elsewhere``, where the activity is held in the other
    district and every object under it belongs there; ``mixed``, where the activity is the visible
    one of ``objects`` but the person, enrolment, attendance and certificate are the other district's.
    """
    from datetime import date as _date

    from app.attendance.models import Attendance, Method
    from app.certificates.models import Certificate, Register
    from app.evaluations.services import add_question, create
    from app.planning.models import ActivityMember, Destination
    from app.registration.models import Enrolment, RegistrationRequest

    organiser = make_user(Role.organiser)
    person = make_person(district_code=district_code, full_name=OTHER_PERSON_NAME, phone="0912000777")
    activity = make_activity(unit=unit(district_code), title=OTHER_ACTIVITY_TITLE)
    session = make_session(activity)
    stop = Destination(activity=activity, place="Xã khác", start_date=activity.start_date, end_date=activity.start_date)
    member = ActivityMember(activity=activity, person=person)
    register = Register(year=2023, symbol="GCN-CL")
    db.session.add_all([stop, member, register])
    db.session.flush()

    def enrol_and_attend(activity_id, session_id, number):
        enrolment = Enrolment(activity_id=activity_id, person_id=person.id, status="registered", unit_id=person.unit_id)
        db.session.add(enrolment)
        db.session.flush()
        attendance = Attendance(
            session_id=session_id,
            person_id=person.id,
            enrolment_id=enrolment.id,
            checked_in_at=session.starts_at,
            method=Method.manual,
            flags=[],
        )
        certificate = Certificate(
            activity_id=activity_id,
            person_id=person.id,
            register_id=register.id,
            number=number,
            serial=f"{number:04d}/GCN-CL",
            issued_on=_date(2023, 5, 12),
            data={"full_name": person.full_name, "course": OTHER_ACTIVITY_TITLE},
        )
        db.session.add_all([attendance, certificate])
        db.session.flush()
        return {"enrolment_id": enrolment.id, "attendance_id": attendance.id, "certificate_id": certificate.id}

    request_row = RegistrationRequest(activity_id=activity.id, data={"full_name": OTHER_PERSON_NAME})
    db.session.add(request_row)
    db.session.flush()
    questionnaire = create(activity, {"kind": "survey", "title": "Khảo sát Cao Lộc"}, organiser)
    question = add_question(questionnaire, {"type": "likert", "text": "Nội dung phù hợp"})
    elsewhere = {
        **objects,
        "person_id": person.id,
        "activity_id": activity.id,
        "session_id": session.id,
        "destination_id": stop.id,
        "member_id": member.id,
        "request_id": request_row.id,
        "questionnaire_id": questionnaire.id,
        "question_id": question.id,
        **enrol_and_attend(activity.id, session.id, 1),
    }
    mixed = {**objects, "person_id": person.id, **enrol_and_attend(objects["activity_id"], objects["session_id"], 2)}
    return elsewhere, mixed
