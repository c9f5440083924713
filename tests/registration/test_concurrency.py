"""Many people enrolling at once: never more seats than the capacity, no errors, a clean waiting list."""

import os
import threading
from datetime import date

import pytest
from sqlalchemy import func, select

from app.auth.models import Role
from app.auth.services import create_user, issue_token
from app.budget.models import BudgetLine, FundingSource
from app.budget.services import load_year
from app.extensions import db
from app.geo.models import AdminUnit, UnitLevel
from app.people.models import Gender, Person
from app.planning.models import Activity, ActivityKind, ActivityStatus
from app.reference.services import load_reference_data
from app.registration.models import Enrolment, EnrolmentStatus
from tests.conftest import (
    build_test_app,
    drop_postgres_schema,
    postgres_url,
    private_postgres_schema,
    upgrade_to_head,
)

CAPACITY = 5
PEOPLE = 24


@pytest.fixture
def fresh_app(app, tmp_path):
    """An app on a database of its own: concurrent requests need real, separate transactions."""
    schema = None
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        schema = f"concurrency_{os.getpid()}"
        url = private_postgres_schema(postgres_url(), schema)
    else:
        url = f"sqlite:///{tmp_path / 'concurrency.db'}"
    application = build_test_app(url, tmp_path)
    upgrade_to_head(application)
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()
    if schema:
        drop_postgres_schema(postgres_url(), schema)


def _setup(application) -> tuple[int, list[int], str]:
    with application.test_request_context():
        load_reference_data()
        load_year(2023)
        organiser = create_user(
            {"username": "to-chuc", "full_name": "Tổ chức", "role": Role.organiser}, "mật khẩu đủ dài"
        )
        commune = db.session.scalar(select(AdminUnit).where(AdminUnit.level == UnitLevel.commune))
        people = [
            Person(
                full_name=f"Hoàng Văn {chr(0x41 + i % 26)}{i}".replace("0", "O"),
                gender=Gender.male,
                birth_year=1980,
                level=UnitLevel.village,
                unit_id=commune.id,
            )
            for i in range(PEOPLE)
        ]
        db.session.add_all(people)
        activity = Activity(
            kind=ActivityKind.training,
            title="Lớp đông người",
            start_date=date(2023, 5, 10),
            end_date=date(2023, 5, 11),
            capacity=CAPACITY,
            status=ActivityStatus.open,
            budget_line_id=db.session.scalar(select(BudgetLine.id).limit(1)),
            funding_source_id=db.session.scalar(select(FundingSource.id).limit(1)),
        )
        db.session.add(activity)
        db.session.flush()
        raw, _ = issue_token(organiser, application.config["API_TOKEN_LIFETIME"])
        db.session.commit()
        return activity.id, [p.id for p in people], raw


@pytest.mark.no_transaction
def test_concurrent_enrolments_never_overbook(fresh_app):
    activity_id, person_ids, token = _setup(fresh_app)
    statuses, problems = [], []
    start = threading.Barrier(len(person_ids))

    def enrol(person_id):
        client = fresh_app.test_client()
        start.wait()
        response = client.post(
            f"/api/v1/activities/{activity_id}/enrolments",
            json={"person_id": person_id},
            headers={"Authorization": f"Bearer {token}"},
        )
        if response.status_code != 201:
            problems.append((response.status_code, response.get_data(as_text=True)[:200]))
        else:
            statuses.append(response.get_json()["status"])

    threads = [threading.Thread(target=enrol, args=(pid,)) for pid in person_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert problems == []
    assert statuses.count("registered") == CAPACITY
    with fresh_app.app_context():
        counts = dict(db.session.execute(select(Enrolment.status, func.count()).group_by(Enrolment.status)).all())
        positions = db.session.scalars(
            select(Enrolment.position).where(Enrolment.status == EnrolmentStatus.waitlisted)
        ).all()
        db.session.remove()
    assert counts == {EnrolmentStatus.registered: CAPACITY, EnrolmentStatus.waitlisted: PEOPLE - CAPACITY}
    assert sorted(positions) == list(range(1, PEOPLE - CAPACITY + 1))


@pytest.mark.no_transaction
def test_concurrent_cancels_of_one_enrolment_cancel_it_once(fresh_app):
    activity_id, person_ids, token = _setup(fresh_app)
    headers = {"Authorization": f"Bearer {token}"}
    client = fresh_app.test_client()
    ids = [
        client.post(
            f"/api/v1/activities/{activity_id}/enrolments", json={"person_id": pid}, headers=headers
        ).get_json()["id"]
        for pid in person_ids[: CAPACITY + 3]
    ]
    results = []
    start = threading.Barrier(8)

    def cancel():
        start.wait()
        response = fresh_app.test_client().post(
            f"/api/v1/activities/{activity_id}/enrolments/{ids[0]}/cancel", json={"reason": "Bận"}, headers=headers
        )
        results.append(response.status_code)

    threads = [threading.Thread(target=cancel) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [200] + [409] * 7
    with fresh_app.app_context():
        registered = db.session.scalar(
            select(func.count(Enrolment.id)).where(Enrolment.status == EnrolmentStatus.registered)
        )
        db.session.remove()
    assert registered == CAPACITY  # one seat freed, one person promoted


@pytest.mark.no_transaction
def test_concurrent_district_enrolments_never_exceed_the_quota(fresh_app):
    from app.registration.models import Quota

    activity_id, person_ids, _ = _setup(fresh_app)
    seats = 3
    with fresh_app.test_request_context():
        commune = db.session.get(Person, person_ids[0]).unit
        district = commune.parent
        activity = db.session.get(Activity, activity_id)
        activity.capacity = PEOPLE  # capacity is not the limit here: the district's quota is
        db.session.add(Quota(activity_id=activity_id, unit_id=district.id, seats=seats))
        officer = create_user(
            {"username": "huyen", "full_name": "Cán bộ huyện", "role": Role.district, "unit_id": district.id},
            "mật khẩu đủ dài",
        )
        token, _ = issue_token(officer, fresh_app.config["API_TOKEN_LIFETIME"])
        db.session.commit()
    answers = []
    start = threading.Barrier(len(person_ids))

    def enrol(person_id):
        client = fresh_app.test_client()
        start.wait()
        response = client.post(
            f"/api/v1/activities/{activity_id}/enrolments",
            json={"person_id": person_id},
            headers={"Authorization": f"Bearer {token}"},
        )
        answers.append((response.status_code, (response.get_json().get("error") or {}).get("code")))

    threads = [threading.Thread(target=enrol, args=(pid,)) for pid in person_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(answers, key=str) == sorted([(201, None)] * seats + [(409, "quota_full")] * (PEOPLE - seats), key=str)
    with fresh_app.app_context():
        assert db.session.scalar(select(func.count(Enrolment.id))) == seats
        db.session.remove()
