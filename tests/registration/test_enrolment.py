"""Enrolment: seats then a waiting list, promotion, quotas per unit, transfers, personal QR codes."""

import pytest
from sqlalchemy import select

from app.auth.models import Role
from app.errors import ConflictError, ValidationError
from app.extensions import db
from app.people.models import Gender
from app.planning.models import ActivityStatus
from app.registration import services
from app.registration.models import Enrolment, EnrolmentStatus
from tests.factories import commune_of, make_activity, make_person, make_plan, make_user, unit

E = EnrolmentStatus


@pytest.fixture
def organiser():
    return make_user(Role.organiser)


def open_activity(capacity=2, **fields):
    return make_activity(status=ActivityStatus.open, capacity=capacity, **fields)


def test_seats_then_waiting_list_in_order(app_ctx, organiser):
    activity = open_activity(capacity=2)
    people = [make_person() for _ in range(4)]
    statuses = [services.enrol(activity, p, organiser).status for p in people]
    assert statuses == [E.registered, E.registered, E.waitlisted, E.waitlisted]
    with pytest.raises(ConflictError) as raised:
        services.enrol(activity, people[0], organiser)
    assert raised.value.code == "already_enrolled"


@pytest.mark.parametrize(
    "status", [ActivityStatus.draft, ActivityStatus.submitted, ActivityStatus.completed, ActivityStatus.cancelled]
)
def test_only_approved_or_open_activities_take_enrolments(app_ctx, organiser, status):
    with pytest.raises(ConflictError) as raised:
        services.enrol(make_activity(status=status), make_person(), organiser)
    assert raised.value.code == "not_open"


def test_cancelling_a_seat_promotes_the_first_on_the_waiting_list(app_ctx, organiser):
    activity = open_activity(capacity=1)
    seated, first, second = (services.enrol(activity, make_person(), organiser) for _ in range(3))
    with pytest.raises(ValidationError):
        services.cancel(seated, organiser, " ")
    promoted = services.cancel(seated, organiser, "Bận công tác")
    assert promoted is first and first.status is E.registered and second.status is E.waitlisted
    assert seated.status is E.cancelled and seated.cancel_reason == "Bận công tác"


def test_cancelling_from_the_waiting_list_promotes_nobody(app_ctx, organiser):
    activity = open_activity(capacity=1)
    seated, waiting, other = (services.enrol(activity, make_person(), organiser) for _ in range(3))
    assert services.cancel(waiting, organiser, "Không đi được") is None
    assert (seated.status, other.status) == (E.registered, E.waitlisted)


def test_a_transfer_keeps_the_seat_for_the_replacement(app_ctx, organiser):
    activity = open_activity(capacity=1)
    seated = services.enrol(activity, make_person(full_name="Nông Văn Đi"), organiser)
    waiting = services.enrol(activity, make_person(), organiser)
    replacement = services.transfer(seated, make_person(full_name="Nông Thị Thay"), organiser, "Ốm")
    assert replacement.status is E.registered and replacement.replaces_id == seated.id
    assert seated.status is E.cancelled and waiting.status is E.waitlisted


def test_a_person_enrolled_again_after_cancelling_reuses_the_record(app_ctx, organiser):
    activity = open_activity(capacity=3)
    person = make_person()
    first = services.enrol(activity, person, organiser)
    services.cancel(first, organiser, "Nhầm")
    again = services.enrol(activity, person, organiser)
    assert again.id == first.id and again.status is E.registered and again.cancel_reason is None


def test_district_officers_fill_only_their_quota(app_ctx, organiser):
    activity = open_activity(capacity=10)
    services.set_quota(activity, unit("188").id, None, 1)
    officer = make_user(Role.district, unit_code="188")
    services.enrol(activity, make_person(unit=commune_of("188")), officer)
    with pytest.raises(ConflictError) as full:
        services.enrol(activity, make_person(unit=commune_of("188")), officer)
    assert full.value.code == "quota_full"
    with pytest.raises(ValidationError):  # a person of another district is out of reach
        services.enrol(activity, make_person(unit=commune_of("183")), officer)
    other_officer = make_user(Role.district, unit_code="183")
    with pytest.raises(ConflictError) as none:
        services.enrol(activity, make_person(unit=commune_of("183")), other_officer)
    assert none.value.code == "no_quota"
    services.enrol(activity, make_person(unit=commune_of("183")), organiser)  # organisers are not limited


def test_a_category_quota_and_the_general_quota_split_the_units_people_whatever_their_order(app_ctx):
    activity = open_activity(capacity=10)
    general = services.set_quota(activity, unit("188").id, None, 1)  # created first
    heads = make_person(unit=commune_of("188")).category
    specific = services.set_quota(activity, unit("188").id, heads.id, 1)
    officer = make_user(Role.district, unit_code="188")
    services.enrol(activity, make_person(unit=commune_of("188"), category=heads), officer)
    assert (services._quota_filled(activity, specific), services._quota_filled(activity, general)) == (1, 0)
    with pytest.raises(ConflictError) as full:  # the category's seat is taken; the general seat is not theirs
        services.enrol(activity, make_person(unit=commune_of("188"), category=heads), officer)
    assert full.value.code == "quota_full"
    other_category = make_person(unit=commune_of("188"), category=None)
    services.enrol(activity, other_category, officer)
    assert (services._quota_filled(activity, specific), services._quota_filled(activity, general)) == (1, 1)


def test_quotas_cannot_exceed_capacity(app_ctx):
    activity = open_activity(capacity=10)
    services.set_quota(activity, unit("188").id, None, 6)
    with pytest.raises(ValidationError) as raised:
        services.set_quota(activity, unit("183").id, None, 5)
    assert raised.value.code == "quota_over_capacity"


def test_summary_gives_the_share_of_women_against_the_plan(app_ctx, organiser):
    activity = open_activity(capacity=4, plan=make_plan(target_women_percent=40))
    for gender in (Gender.female, Gender.male, Gender.male, Gender.female):
        services.enrol(activity, make_person(gender=gender), organiser)
    summary = services.summary(activity, organiser)
    assert (summary.registered, summary.women, summary.women_share, summary.target_women_percent) == (4, 2, 0.5, 40)


def test_the_personal_qr_code_decodes_to_a_token_the_system_accepts(app, client, auth, organiser):
    import shutil
    import subprocess

    from tests.conftest import skip_or_fail

    zbarimg = shutil.which("zbarimg")
    if zbarimg is None:
        skip_or_fail("zbarimg is not installed (apt-get install zbar-tools)", "REQUIRE_BROWSER")
    activity = open_activity()
    enrolment = services.enrol(activity, make_person(), organiser)
    db.session.flush()
    auth.login(organiser)
    image = client.get(f"/activities/{activity.id}/enrolments/{enrolment.id}/qr.png").data
    decoded = subprocess.run([zbarimg, "--quiet", "--raw", "-"], input=image, capture_output=True, check=True)
    payload = decoded.stdout.decode().strip()
    prefix, token = payload.split(":")
    assert prefix == "DA7E1" and len(token) >= 24 and token != str(enrolment.id)  # unguessable, not the row id
    assert services.find_by_qr(payload) == enrolment
    assert services.find_by_qr("DA7E1:" + "x" * 24) is None


def test_merging_duplicates_moves_their_enrolments(app_ctx, organiser):
    from app.people.services import merge

    activity, other_activity = open_activity(capacity=5), open_activity(capacity=5)
    keep = make_person(full_name="Hoàng Thị Nga", birth_year=1980, birth_date=None)
    twin = make_person(full_name="Hoàng Thị Nga", birth_year=1980, birth_date=None)
    services.enrol(activity, keep, organiser)
    duplicate = services.enrol(activity, twin, organiser)
    moved = services.enrol(other_activity, twin, organiser)
    merge(keep.id, [twin.id], organiser)
    assert moved.person_id == keep.id
    assert duplicate.status is E.cancelled


def test_pages_and_api_show_a_district_officer_only_their_people(client, auth, api, organiser):
    activity = open_activity(capacity=10)
    mine = services.enrol(activity, make_person(full_name="Lộc Thị Mình", unit=commune_of("188")), organiser)
    theirs = services.enrol(activity, make_person(full_name="Cao Văn Khác", unit=commune_of("183")), organiser)
    db.session.flush()
    officer = make_user(Role.district, unit_code="188")
    auth.login(officer)
    page = client.get(f"/activities/{activity.id}/enrolments").get_data(as_text=True)
    assert "Lộc Thị Mình" in page and "Cao Văn Khác" not in page
    ids = [e["id"] for e in api("GET", f"/activities/{activity.id}/enrolments", officer).get_json()["items"]]
    assert ids == [mine.id]
    assert "qr_code" not in api("GET", f"/activities/{activity.id}/enrolments", officer).get_json()["items"][0]
    cancel = api("POST", f"/activities/{activity.id}/enrolments/{theirs.id}/cancel", officer, json={"reason": "x"})
    assert cancel.status_code == 404


def test_api_enrols_and_cancels_with_the_waiting_list_moving_up(api, organiser):
    activity = open_activity(capacity=1)
    first = api("POST", f"/activities/{activity.id}/enrolments", organiser, json={"person_id": make_person().id})
    second = api("POST", f"/activities/{activity.id}/enrolments", organiser, json={"person_id": make_person().id})
    assert (first.get_json()["status"], second.get_json()["status"]) == ("registered", "waitlisted")
    assert first.get_json()["qr_code"].startswith("DA7E1:")
    cancelled = api(
        "POST",
        f"/activities/{activity.id}/enrolments/{first.get_json()['id']}/cancel",
        organiser,
        json={"reason": "Bận"},
    ).get_json()
    assert cancelled["status"] == "cancelled" and cancelled["promoted"]["id"] == second.get_json()["id"]
    refused = api("POST", f"/activities/{make_activity().id}/enrolments", organiser, json={"person_id": 1})
    assert (refused.status_code, refused.get_json()["error"]["code"]) == (409, "not_open")


def test_the_page_enrols_the_people_chosen(client, auth, organiser):
    activity = open_activity(capacity=1)
    a, b = make_person(full_name="Triệu Văn Một"), make_person(full_name="Triệu Văn Hai")
    auth.login(organiser)
    assert "Triệu Văn Một" in client.get(f"/activities/{activity.id}/enrolments?q=trieu van").get_data(as_text=True)
    client.post(f"/activities/{activity.id}/enrolments", data={"person_ids": [a.id, b.id]})
    statuses = dict(
        db.session.execute(
            select(Enrolment.person_id, Enrolment.status).where(Enrolment.activity_id == activity.id)
        ).all()
    )
    assert statuses == {a.id: E.registered, b.id: E.waitlisted}


def test_the_xlsx_export_is_scoped_masked_and_formula_safe(client, auth, organiser):
    import io

    import openpyxl

    activity = open_activity(capacity=5)
    services.enrol(
        activity,
        make_person(
            full_name="Lộc Thị Mình",
            unit=commune_of("188"),
            id_number="020190111222",
            birth_date=None,
            birth_year=1990,
            gender=Gender.female,
            position="=1+1",
        ),
        organiser,
    )
    services.enrol(activity, make_person(full_name="Cao Văn Khác", unit=commune_of("183")), organiser)
    db.session.flush()
    auth.login(make_user(Role.district, unit_code="188"))
    rows = list(
        openpyxl.load_workbook(
            io.BytesIO(client.get(f"/activities/{activity.id}/enrolments.xlsx").data)
        ).active.iter_rows(values_only=True)
    )
    assert rows[0][:3] == ("STT", "Họ và tên", "Giới tính")
    assert [r[1] for r in rows[1:]] == ["Lộc Thị Mình"]
    assert rows[1][0] == 1 and rows[1][3] == 1990  # numbers stay numbers
    assert rows[1][7] == "'=1+1"
    auth.logout()
    auth.login(make_user(Role.leader))
    rows = list(
        openpyxl.load_workbook(
            io.BytesIO(client.get(f"/activities/{activity.id}/enrolments.xlsx").data)
        ).active.iter_rows(values_only=True)
    )
    assert "0201******22" in [r[5] for r in rows[1:]]


def test_the_printable_list_has_a_signature_column(client, auth, organiser):
    activity = open_activity(capacity=5)
    services.enrol(activity, make_person(full_name="Lộc Thị In"), organiser)
    db.session.flush()
    auth.login(organiser)
    page = client.get(f"/activities/{activity.id}/enrolments/print").get_data(as_text=True)
    assert "DANH SÁCH HỌC VIÊN" in page and "Lộc Thị In" in page and "Ký tên" in page
