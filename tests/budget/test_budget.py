"""Budget structure: the 2023 tree from the plan, allocations per source, finance's edits."""

import pytest
from sqlalchemy import func, select

from app.auth.models import Role
from app.budget import services
from app.budget.models import Allocation, FundingSource
from app.errors import ValidationError
from app.extensions import db
from app.planning.models import ActivityStatus
from tests.factories import budget_line, funding_source, make_activity, make_user


def test_the_2023_tree_follows_the_plan():
    figures = {f.line.code: f for f in services.line_figures(2023)}
    assert figures["CTMTQG-GNBV"].depth == 0
    assert figures["DA7.TDA1"].line.name.startswith("Tiểu dự án 1: Nâng cao năng lực")
    assert figures["DA7.TDA2"].line.name.startswith("Tiểu dự án 2: Giám sát, đánh giá")
    assert figures["DA7.TDA1.03"].line.name.startswith("Tổ chức đoàn học tập")
    sources = {f.source.code: (f.allocated, f.source.amount) for f in services.source_figures(2023)}
    assert sources["NSTW-2023"] == (2_850_000_000, 2_850_000_000)
    assert sources["CN-2022"] == (1_200_000_000, 1_200_000_000)


def test_an_allocation_cannot_exceed_the_source(app_ctx):
    line, source = budget_line("DA7.TDA1.02"), funding_source("CN-2022")  # CN-2022 is fully allocated
    with pytest.raises(ValidationError) as raised:
        services.set_allocation(line.id, source.id, 1)
    assert raised.value.code == "over_allocated"
    assert (
        db.session.scalar(
            select(func.count(Allocation.id)).where(
                Allocation.budget_line_id == line.id, Allocation.funding_source_id == source.id
            )
        )
        == 0
    )


def test_finance_reallocates_within_the_source(client, auth):
    auth.login(make_user(Role.finance))
    line, source = budget_line("DA7.TDA1.01"), funding_source("NSTW-2023")
    response = client.post(
        "/budget/allocations?year=2023",
        data={"budget_line_id": line.id, "funding_source_id": source.id, "amount": "1.100.000.000"},
    )
    assert response.status_code == 302
    allocation = db.session.scalar(
        select(Allocation).where(Allocation.budget_line_id == line.id, Allocation.funding_source_id == source.id)
    )
    db.session.refresh(allocation)
    assert allocation.amount == 1_100_000_000


def test_carried_over_money_is_a_source_of_its_own_with_an_earlier_year(client, auth):
    auth.login(make_user(Role.finance))
    response = client.post(
        "/budget/sources/new",
        data={
            "year": "2024",
            "code": "CN-2023",
            "name": "Kinh phí năm 2023 chuyển sang năm 2024",
            "amount": "500.000.000",
            "carried_over_from": "2023",
            "deadline": "31/12/2024",
        },
    )
    assert response.status_code == 302
    page = client.post(
        "/budget/sources/new",
        data={"year": "2024", "code": "CN-X", "name": "Sai năm", "amount": "1", "carried_over_from": "2025"},
    )
    assert "Năm chuyển nguồn phải trước năm sử dụng." in page.get_data(as_text=True)
    assert db.session.scalar(select(FundingSource).where(FundingSource.code == "CN-X")) is None


def test_only_finance_and_admin_change_the_budget(client, auth):
    auth.login(make_user(Role.organiser))
    assert client.get("/budget/?year=2023").status_code == 200
    assert client.post("/budget/sources/new", data={}).status_code == 403


def test_overview_shows_committed_money_of_submitted_activities(client, auth):
    make_activity(status=ActivityStatus.submitted, estimated_cost=12_345_678)
    auth.login(make_user(Role.leader))
    page = client.get("/budget/?year=2023").get_data(as_text=True)
    assert "12.345.678\u00a0đ" in page


def test_a_line_cannot_move_under_its_own_descendant(client, auth):
    auth.login(make_user(Role.finance))
    project, content = budget_line("DA7.TDA1"), budget_line("DA7.TDA1.01")
    form = {
        "year": "2023",
        "code": project.code,
        "name": project.name,
        "kind": "subproject",
        "parent_id": str(content.id),
        "sort_order": "10",
    }
    page = client.post(f"/budget/lines/{project.id}/edit", data=form).get_data(as_text=True)
    assert "không được là chính dòng này hoặc dòng cấp dưới" in page
    db.session.refresh(project)
    assert project.parent.code == "DA7"


def test_a_source_cannot_shrink_below_what_it_has_allocated(app_ctx):
    source = funding_source("NSTW-2023")
    data = {
        "year": 2023,
        "code": source.code,
        "name": source.name,
        "amount": 1,
        "carried_over_from": None,
        "legal_basis": None,
        "deadline": None,
    }
    with pytest.raises(ValidationError) as raised:
        services.save_source(source, data)
    assert "nhỏ hơn số đã phân bổ" in str(raised.value.fields["amount"])


def test_a_zero_allocation_is_accepted(client, auth):
    auth.login(make_user(Role.finance))
    line, source = budget_line("DA7.TDA1.02"), funding_source("CN-2022")
    response = client.post(
        "/budget/allocations?year=2023", data={"budget_line_id": line.id, "funding_source_id": source.id, "amount": "0"}
    )
    assert response.status_code == 302
    assert (
        db.session.scalar(
            select(Allocation.amount).where(
                Allocation.budget_line_id == line.id, Allocation.funding_source_id == source.id
            )
        )
        == 0
    )
