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
        json=activity_body(
            end_date="2023-06-01", capacity=0, budget_line_id=999999, topic_codes=["nope"], target_levels=[[1]]
        ),
    )
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {
        "end_date",
        "capacity",
        "budget_line_id",
        "topic_codes",
        "target_levels",
    }


def test_odd_json_and_numbers_are_422_not_500(api):
    organiser = make_user(Role.organiser)
    activity = make_activity()
    for body in (
        {"budget_line_id": 99_999_999_999},
        {"capacity": True},
        {"topic_codes": "programme"},
        {"visited_unit_ids": [1.5]},
        {"estimated_cost": -1},
    ):
        response = api("PATCH", f"/activities/{activity.id}", organiser, json=body)
        assert response.status_code == 422, body
    response = api(
        "POST",
        f"/activities/{activity.id}/sessions",
        organiser,
        json={
            "title": "Sáng",
            "starts_at": "2023-05-10T07:30:00",
            "ends_at": "2023-05-10T11:30:00",
            "venue_id": "abc",
            "trainer_ids": 5,
        },
    )
    assert set(response.get_json()["error"]["fields"]) == {"venue_id", "trainer_ids"}
    for query in ("year=10000", "year=²", "unit_id=99999999999"):
        assert api("GET", f"/activities?{query}", organiser).status_code == 422, query


def test_monitoring_visit_over_the_api_records_the_units_visited(api):
    communes = [unit("188").id]
    created = api(
        "POST",
        "/activities",
        make_user(Role.organiser),
        json=activity_body(
            kind="monitoring", visited_unit_ids=communes, findings="Rà soát đúng quy trình", venue="UBND huyện"
        ),
    )
    body = created.get_json()
    assert (body["visited_unit_ids"], body["findings"], body["venue"]) == (
        communes,
        "Rà soát đúng quy trình",
        "UBND huyện",
    )


def test_an_approved_activity_only_takes_follow_up_changes(api):
    activity = make_activity(status=ActivityStatus.approved, estimated_cost=10)
    organiser = make_user(Role.organiser)
    locked = api("PATCH", f"/activities/{activity.id}", organiser, json={"estimated_cost": 900_000_000})
    assert (locked.status_code, locked.get_json()["error"]["code"]) == (409, "activity_locked")
    assert set(locked.get_json()["error"]["fields"]) == {"estimated_cost"}
    assert api("PATCH", f"/activities/{activity.id}", organiser, json={"report": "Đã tổ chức"}).status_code == 200
    api("POST", f"/activities/{activity.id}/status", organiser, json={"status": "draft", "reason": "Tăng dự toán"})
    assert (
        api("PATCH", f"/activities/{activity.id}", organiser, json={"estimated_cost": 90_000_000}).get_json()["status"]
        == "draft"
    )


def test_a_settled_activity_refuses_changes_and_steps(api):
    activity = make_activity(status=ActivityStatus.settled)
    organiser = make_user(Role.organiser)
    patched = api("PATCH", f"/activities/{activity.id}", organiser, json={"report": "x"})
    step = api(
        "POST", f"/activities/{activity.id}/status", make_user(Role.leader), json={"status": "cancelled", "reason": "x"}
    )
    assert patched.get_json()["error"]["code"] == step.get_json()["error"]["code"] == "activity_frozen"


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
