"""Two batches issued at once share one register: serials stay unique and gap-free."""

import threading

import pytest
from sqlalchemy import func, select

from app.attendance.models import Attendance, Method
from app.auth.models import Role
from app.auth.services import create_user, issue_token
from app.certificates.models import Certificate
from app.extensions import db
from app.people.models import Person
from app.planning.models import Activity, ActivitySession, ActivityStatus
from app.registration.models import Enrolment, EnrolmentStatus
from tests.registration.test_concurrency import _setup, fresh_app  # noqa: F401  (fixture)

PER_ACTIVITY = 6


def _second_course(application, first_id: int) -> int:
    """Another completed course of the same issuer, with its own people."""
    first = db.session.get(Activity, first_id)
    second = Activity(
        kind=first.kind,
        title="Lớp thứ hai",
        start_date=first.start_date,
        end_date=first.end_date,
        capacity=50,
        status=ActivityStatus.completed,
        budget_line_id=first.budget_line_id,
        funding_source_id=first.funding_source_id,
    )
    db.session.add(second)
    db.session.flush()
    return second.id


def _attend(activity_id: int, person_ids: list[int]) -> None:
    from datetime import datetime

    activity = db.session.get(Activity, activity_id)
    session = ActivitySession(
        activity_id=activity_id,
        title="Buổi 1",
        starts_at=datetime.combine(activity.start_date, datetime.min.time()).replace(hour=8),
        ends_at=datetime.combine(activity.start_date, datetime.min.time()).replace(hour=11),
    )
    db.session.add(session)
    db.session.flush()
    for person_id in person_ids:
        unit_id = db.session.get(Person, person_id).unit_id
        db.session.add(
            Enrolment(activity_id=activity_id, person_id=person_id, status=EnrolmentStatus.registered, unit_id=unit_id)
        )
        db.session.add(
            Attendance(
                session_id=session.id,
                person_id=person_id,
                checked_in_at=session.starts_at,
                method=Method.manual,
                flags=[],
            )
        )


@pytest.mark.no_transaction
def test_two_batches_at_once_get_disjoint_consecutive_serials(fresh_app, tmp_path):  # noqa: F811
    fresh_app.config["CERTIFICATES_DIR"] = str(tmp_path / "certificates")
    first_id, person_ids, _ = _setup(fresh_app)
    with fresh_app.test_request_context():
        second_id = _second_course(fresh_app, first_id)
        db.session.get(Activity, first_id).status = ActivityStatus.completed
        _attend(first_id, person_ids[:PER_ACTIVITY])
        _attend(second_id, person_ids[PER_ACTIVITY : 2 * PER_ACTIVITY])
        organiser = create_user(
            {"username": "cap-giay", "full_name": "Người cấp", "role": Role.organiser}, "mật khẩu đủ dài"
        )
        token, _ = issue_token(organiser, fresh_app.config["API_TOKEN_LIFETIME"])
        db.session.commit()

    answers, start = [], threading.Barrier(4)

    def issue(activity_id):
        client = fresh_app.test_client()
        start.wait()
        response = client.post(
            f"/api/v1/activities/{activity_id}/certificates", headers={"Authorization": f"Bearer {token}"}
        )
        answers.append((response.status_code, len(response.get_json()["items"])))

    # Two organisers press "issue" on each course at the same moment.
    threads = [threading.Thread(target=issue, args=(i,)) for i in (first_id, second_id, first_id, second_id)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(answers) == [(200, 0), (200, 0), (201, PER_ACTIVITY), (201, PER_ACTIVITY)]
    with fresh_app.app_context():
        numbers = sorted(db.session.scalars(select(Certificate.number)))
        holders = db.session.scalar(select(func.count(func.distinct(Certificate.person_id))))
        db.session.remove()
    assert numbers == list(range(1, 2 * PER_ACTIVITY + 1))  # unique and without a gap
    assert holders == 2 * PER_ACTIVITY
