"""API for funding sources, budget lines, activities, sessions and the workflow (shared API.md)."""

from datetime import date

from app.auth.models import Role
from app.planning.models import ActivityStatus
from tests.factories import budget_line, funding_source, make_activity, make_user, unit


def test_funding_sources_of_a_year_keep_carried_over_money_apart(api):
    body = api("GET", "/funding-sources?year=2023", make_user(Role.finance)).get_json()
    by_code = {s["code"]: s for s in body["items"]}
    assert by_code["CN-2022"]["carried_over_from"] == 2022
    assert by_code["NSTW-2023"]["carried_over_from"] is None
    assert by_code["NSTW-2023"]["amount"] == 2_850_000_000


def test_budget_lines_add_up_what_is_allocated_and_committed(api):
    make_activity(status=ActivityStatus.approved, estimated_cost=40_000_000)  # on DA7.TDA1.01
    make_activity(status=ActivityStatus.draft, estimated_cost=99_000_000)  # a draft commits nothing
    lines = {
        line["code"]: line for line in api("GET", "/budget-lines?year=2023", make_user(Role.leader)).get_json()["items"]
    }
    assert lines["DA7.TDA1.01"]["allocated"] == 1_750_000_000
    assert lines["DA7.TDA1.01"]["committed"] == 40_000_000
    assert lines["DA7.TDA1"]["committed"] == 40_000_000  # the sub-project sums its lines
    assert lines["DA7"]["allocated"] == 2_850_000_000 + 1_200_000_000
    assert lines["DA7.TDA1.01"]["parent_id"] == lines["DA7.TDA1"]["id"]


def activity_body(**overrides):
    body = {
        "kind": "training",
        "title": "Tập huấn cán bộ giảm nghèo huyện Văn Lãng",
        "start_date": "2023-06-13",
        "end_date": "2023-06-14",
        "capacity": 90,
        "budget_line_id": budget_line().id,
        "funding_source_id": funding_source().id,
        "topic_codes": ["programme", "employment"],
        "target_levels": ["commune", "village"],
        "estimated_cost": 60_000_000,
    }
    body.update(overrides)
    return body


def test_create_read_and_patch_an_activity(api):
    organiser = make_user(Role.organiser)
    created = api("POST", "/activities", organiser, json=activity_body())
    assert created.status_code == 201
    activity = created.get_json()
    assert (activity["status"], activity["topic_codes"]) == ("draft", ["programme", "employment"])

    patched = api("PATCH", f"/activities/{activity['id']}", organiser, json={"capacity": 120})
    assert patched.get_json()["capacity"] == 120
    assert patched.get_json()["title"] == activity["title"]


def test_bad_activity_is_422_with_every_field(api):
    response = api(
        "POST",
        "/activities",
        make_user(Role.organiser),
        json=activity_body(end_date="2023-06-01", capacity=0, budget_line_id=999999, topic_codes=["nope"]),
    )
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"topic_codes"}
    response = api(
        "POST",
        "/activities",
        make_user(Role.organiser),
        json=activity_body(end_date="2023-06-01", capacity=0, budget_line_id=999999),
    )
    assert set(response.get_json()["error"]["fields"]) == {"end_date", "capacity", "budget_line_id"}


def test_workflow_over_the_api(api):
    activity = make_activity()
    organiser, leader = make_user(Role.organiser), make_user(Role.leader)

    assert api("POST", f"/activities/{activity.id}/status", leader, json={"status": "submitted"}).status_code == 403
    assert api("POST", f"/activities/{activity.id}/status", organiser, json={"status": "submitted"}).status_code == 200
    wrong = api("POST", f"/activities/{activity.id}/status", organiser, json={"status": "settled"})
    assert (wrong.status_code, wrong.get_json()["error"]["code"]) == (409, "transition_not_allowed")
    approved = api("POST", f"/activities/{activity.id}/status", leader, json={"status": "approved"})
    assert approved.get_json()["status"] == "approved"
    no_reason = api("POST", f"/activities/{activity.id}/status", organiser, json={"status": "cancelled"})
    assert (no_reason.status_code, no_reason.get_json()["error"]["code"]) == (422, "reason_required")


def test_sessions_take_times_with_an_offset(api):
    activity = make_activity(start_date=date(2023, 5, 10))
    organiser = make_user(Role.organiser)
    created = api(
        "POST",
        f"/activities/{activity.id}/sessions",
        organiser,
        json={"title": "Sáng 10/05", "starts_at": "2023-05-10T00:30:00+00:00", "ends_at": "2023-05-10T11:30:00+07:00"},
    )
    assert created.status_code == 201
    assert created.get_json()["starts_at"] == "2023-05-10T07:30:00+07:00"
    outside = api(
        "POST",
        f"/activities/{activity.id}/sessions",
        organiser,
        json={"title": "Ngoài lịch", "starts_at": "2023-05-20T07:30:00+07:00", "ends_at": "2023-05-20T11:30:00+07:00"},
    )
    assert outside.status_code == 422
    listed = api("GET", f"/activities/{activity.id}/sessions", organiser).get_json()
    assert listed["total"] == 1


def test_district_officer_reads_only_what_concerns_their_unit(api):
    mine = make_activity(unit=unit("188"))
    theirs = make_activity(unit=unit("183"))
    officer = make_user(Role.district, unit_code="188")
    ids = [a["id"] for a in api("GET", "/activities?year=2023&per_page=200", officer).get_json()["items"]]
    assert mine.id in ids and theirs.id not in ids
    assert api("GET", f"/activities/{theirs.id}", officer).status_code == 404
    assert api("POST", "/activities", officer, json=activity_body()).status_code == 403


def test_activity_filters(api):
    make_activity(title="Hội thảo A", kind="workshop")
    user = make_user(Role.leader)
    body = api("GET", "/activities?kind=workshop", user).get_json()
    assert [a["title"] for a in body["items"]] == ["Hội thảo A"]
    bad = api("GET", "/activities?kind=party&status=nope", user).get_json()
    assert set(bad["error"]["fields"]) == {"kind", "status"}
