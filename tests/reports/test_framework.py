"""The results framework: computed actuals on a dataset counted by hand, targets, figures entered
through the pages, a district officer's view, and the spreadsheet."""

import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.auth.models import Role
from app.costs import spending
from app.errors import ValidationError
from app.extensions import db
from app.people.models import Gender
from app.planning.models import ActivityKind, ActivityStatus
from app.reports import framework
from app.reports.framework_forms import parse_figure
from app.reports.models import Indicator, Measure, PeriodKind, ReportingPeriod
from tests.factories import (
    CAO_LOC,
    LOC_BINH,
    budget_line,
    ethnicity,
    funding_source,
    make_activity,
    make_person,
    make_plan,
    make_session,
    make_user,
    present,
    unit,
)


def indicator(code: str) -> Indicator:
    return db.session.scalar(select(Indicator).where(Indicator.code == code))


def attended(activity, *people) -> None:
    """People present at the activity's first session (the report counts attendance, nothing else)."""
    present(make_session(activity), *people)


def by_code(rows) -> dict[str, framework.FrameworkRow]:
    return {row.indicator.code: row for row in rows}


@dataclass
class FrameworkData:
    year: ReportingPeriod
    half: ReportingPeriod


@pytest.fixture
def framework_data(app_ctx) -> FrameworkData:
    """2023, counted by hand:

    - class A (Lộc Bình, 10/05, completed): Lan (woman, Nùng, Lộc Bình) and Minh (man, Kinh, Lộc Bình);
    - class B (Cao Lộc, 01/09, completed): Lan again and Hoa (woman, Kinh, Cao Lộc);
    - a cancelled class (15/06) and a class on 01/01/2024 with Dũng present: neither counts;
    - study tours on 01/03 and 31/12 (last day of the year) held, one on 01/04 cancelled;
    - a workshop held on 01/07, another approved for 01/11 but not held.

    So the year has 3 people (2 women, 1 ethnic minority), 4 person-times, 2 classes, 2 study tours,
    1 workshop. The first half-year has class A and the March tour only.
    """
    kinh, nung = ethnicity("01"), ethnicity("07")
    lan = make_person(full_name="Hoàng Thị Lan", gender=Gender.female, ethnicity=nung)
    minh = make_person(full_name="Nguyễn Văn Minh", gender=Gender.male, ethnicity=kinh)
    hoa = make_person(full_name="Trần Thị Hoa", gender=Gender.female, ethnicity=kinh, district_code=CAO_LOC)
    dung = make_person(full_name="Lý Văn Dũng", gender=Gender.male, ethnicity=nung)
    done = ActivityStatus.completed
    training = ActivityKind.training
    attended(make_activity(kind=training, status=done, unit=unit(LOC_BINH), start_date=date(2023, 5, 10)), lan, minh)
    attended(make_activity(kind=training, status=done, unit=unit(CAO_LOC), start_date=date(2023, 9, 1)), lan, hoa)
    attended(make_activity(kind=training, status=ActivityStatus.cancelled, start_date=date(2023, 6, 15)), dung)
    attended(make_activity(kind=training, status=done, start_date=date(2024, 1, 1)), dung)
    tour = ActivityKind.study_tour
    make_activity(kind=tour, status=done, unit=unit(LOC_BINH), start_date=date(2023, 3, 1))
    make_activity(kind=tour, status=ActivityStatus.in_progress, start_date=date(2023, 12, 31))
    make_activity(kind=tour, status=ActivityStatus.cancelled, start_date=date(2023, 4, 1))
    make_activity(kind=ActivityKind.workshop, status=ActivityStatus.settled, start_date=date(2023, 7, 1))
    make_activity(kind=ActivityKind.workshop, status=ActivityStatus.approved, start_date=date(2023, 11, 1))
    organiser = make_user(Role.organiser)
    year = framework.save_period(None, {"kind": PeriodKind.annual, "year": 2023}, organiser)
    half = framework.save_period(None, {"kind": PeriodKind.six_month, "year": 2023}, organiser)
    return FrameworkData(year, half)


# -- computed figures -------------------------------------------------------------------------------


def test_computed_actuals_match_the_hand_count(framework_data):
    framework.save_value(indicator("TDA1.01"), framework_data.year, {"denominator": 4}, None)
    rows = by_code(framework.build(framework_data.year))
    assert rows["TDA1.01"].actual == Decimal("75.00")  # 3 people trained of 4 cadres in the register
    assert rows["TDA1.02"].actual == 3
    assert rows["TDA1.03"].actual == 4  # Lan twice
    assert rows["TDA1.04"].actual == Decimal("66.67")  # 2 women of 3
    assert rows["TDA1.05"].actual == Decimal("33.33")  # Lan (Nùng) of 3
    assert rows["TDA1.06"].actual == 2  # not the cancelled class, not the one on 01/01/2024
    assert rows["TDA1.07"].actual == 2  # 31/12 is inside the year; the cancelled tour is not
    assert rows["TDA1.08"].actual == 1  # an approved workshop that has not taken place is not held
    assert rows["TDA1.09"].actual is None and rows["TDA1.09"].computation is None  # entered by hand


def test_a_period_counts_only_what_starts_within_it(framework_data):
    rows = by_code(framework.build(framework_data.half))
    assert framework_data.half.starts_on == date(2023, 1, 1) and framework_data.half.ends_on == date(2023, 6, 30)
    assert (rows["TDA1.02"].actual, rows["TDA1.03"].actual) == (2, 2)  # class A only: Lan and Minh
    assert rows["TDA1.04"].actual == Decimal("50.00")
    assert (rows["TDA1.06"].actual, rows["TDA1.07"].actual, rows["TDA1.08"].actual) == (1, 1, 0)


def test_a_share_without_its_denominator_is_left_blank_with_the_reason(framework_data):
    row = by_code(framework.build(framework_data.year))["TDA1.01"]
    assert row.actual is None
    assert "mẫu số" in str(row.missing)
    assert row.target == 90 and row.target_from == "default"  # the programme's (unverified) 90 %


def test_targets_come_from_the_period_then_the_plan_then_the_indicator(framework_data):
    make_plan(target_classes=4, target_women_percent=40)
    year = by_code(framework.build(framework_data.year))
    assert (year["TDA1.06"].target, year["TDA1.06"].target_from) == (4, "plan")
    assert year["TDA1.06"].ratio == Decimal("0.5") and year["TDA1.06"].met is False
    assert (year["TDA1.04"].target, year["TDA1.04"].met) == (40, True)  # 66.67 % women against 40 %
    half = by_code(framework.build(framework_data.half))
    assert half["TDA1.04"].target == 40  # a share holds for half a year
    assert half["TDA1.06"].target is None  # a year's number of classes does not
    framework.save_value(indicator("TDA1.06"), framework_data.year, {"target": Decimal(2)}, None)
    year = by_code(framework.build(framework_data.year))
    assert (year["TDA1.06"].target, year["TDA1.06"].target_from, year["TDA1.06"].met) == (2, "period", True)


def test_budget_disbursed_counts_vouchers_to_the_end_of_the_period_for_those_who_see_money(framework_data):
    finance = make_user(Role.finance)
    money = {"budget_line_id": budget_line().id, "funding_source_id": funding_source().id, "description": "Chi lớp"}
    spending.record_expenditure(
        {**money, "voucher_no": "C1", "voucher_date": date(2023, 5, 12), "amount": 405_000_000}, finance
    )
    spending.record_expenditure(
        {**money, "voucher_no": "C2", "voucher_date": date(2023, 8, 1), "amount": 405_000_000}, finance
    )
    voided = spending.record_expenditure(
        {**money, "voucher_no": "C3", "voucher_date": date(2023, 6, 1), "amount": 100_000_000}, finance
    )
    spending.void_expenditure(voided, "Ghi nhầm", finance)
    # The year's sources give 4.050.000.000 đ to lines (allocations_2023.csv).
    assert by_code(framework.build(framework_data.year, finance))["DA7.01"].actual == Decimal("20.00")
    assert by_code(framework.build(framework_data.half, finance))["DA7.01"].actual == Decimal("10.00")
    hidden = by_code(framework.build(framework_data.year, make_user(Role.organiser)))["DA7.01"]
    assert hidden.actual is None and hidden.missing is not None


def test_a_district_officer_gets_their_units_computed_figures_and_the_province_s_entered_ones(framework_data):
    framework.save_value(indicator("TDA1.01"), framework_data.year, {"denominator": 4}, None)
    framework.save_value(
        indicator("TDA2.02"), framework_data.year, {"actual": Decimal(12), "source": "Báo cáo 15/BC-SLĐTBXH"}, None
    )
    officer = make_user(Role.district, LOC_BINH)
    rows = by_code(framework.build(framework_data.year, officer))
    assert (rows["TDA1.02"].actual, rows["TDA1.03"].actual) == (2, 3)  # Lan and Minh; Lan trained twice
    assert rows["TDA1.04"].actual == Decimal("50.00")
    assert rows["TDA1.06"].actual == 2  # class A, and class B in Cao Lộc, which trained Lan of Lộc Bình
    assert rows["TDA1.07"].actual == 1  # the March tour from Lộc Bình; not the province's December one
    # The register of cadres is the province's: a unit's share of it would be wrong.
    assert rows["TDA1.01"].actual is None and "toàn tỉnh" in str(rows["TDA1.01"].missing)
    assert rows["TDA2.02"].actual == 12 and rows["TDA2.02"].province_wide
    make_plan(target_classes=4)
    assert (
        by_code(framework.build(framework_data.year, officer))["TDA1.06"].ratio is None
    )  # their classes vs the province's 4


def test_a_district_officer_reads_the_page_and_may_not_edit(client, auth, framework_data):
    framework.save_value(
        indicator("TDA2.02"), framework_data.year, {"actual": Decimal(12), "source": "Báo cáo 15/BC-SLĐTBXH"}, None
    )
    db.session.commit()
    auth.login(make_user(Role.district, LOC_BINH))
    page = client.get(f"/reports/framework?period_id={framework_data.year.id}").get_data(as_text=True)
    assert "Số liệu tính tự động chỉ gồm đơn vị của bạn: Huyện Lộc Bình" in page
    assert "toàn tỉnh" in page and "Báo cáo 15/BC-SLĐTBXH" in page
    assert "/indicators/" not in page  # no edit links
    edit = f"/reports/framework/periods/{framework_data.year.id}/indicators/{indicator('TDA2.02').id}"
    assert client.get(edit).status_code == 403
    assert client.post(edit, data={"actual": "99", "source": "x"}).status_code == 403
    assert client.post("/reports/framework/periods/new", data={"kind": "annual", "year": "2024"}).status_code == 403
    assert client.post(f"/reports/framework/indicators/{indicator('TDA2.02').id}/edit", data={}).status_code == 403
    db.session.expire_all()
    assert framework.entry_for(indicator("TDA2.02"), framework_data.year).actual == 12


# -- entering figures -------------------------------------------------------------------------------


def test_an_organiser_enters_a_manual_figure_a_bad_number_is_refused_and_kept(client, auth, framework_data):
    communes = indicator("TDA2.02")
    url = f"/reports/framework/periods/{framework_data.year.id}/indicators/{communes.id}"
    auth.login(make_user(Role.organiser))
    refused = client.post(url, data={"actual": "12,5,1", "source": "Báo cáo giám sát", "note": "Đợt 1"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Nhập một số không âm" in page
    assert 'value="12,5,1"' in page and 'value="Báo cáo giám sát"' in page and "Đợt 1" in page
    fraction = client.post(url, data={"actual": "12,5", "source": "Báo cáo giám sát"})
    assert fraction.status_code == 422 and "Nhập số nguyên" in fraction.get_data(as_text=True)
    unsourced = client.post(url, data={"actual": "12"})
    assert unsourced.status_code == 422 and "Ghi nguồn của số liệu" in unsourced.get_data(as_text=True)
    assert framework.entry_for(communes, framework_data.year) is None  # nothing half-saved
    saved = client.post(url, data={"actual": "1.200", "target": "1.500", "source": "Báo cáo 15/BC-SLĐTBXH"})
    assert saved.status_code == 302
    db.session.expire_all()
    entry = framework.entry_for(communes, framework_data.year)
    assert (entry.actual, entry.target, entry.source) == (1200, 1500, "Báo cáo 15/BC-SLĐTBXH")
    page = client.get(saved.location).get_data(as_text=True)
    assert "1.200" in page and "1.500" in page and "80,0\u00a0%" in page and "Báo cáo 15/BC-SLĐTBXH" in page
    audit = db.session.scalars(select(AuditEntry).where(AuditEntry.object_type == "indicator_values")).all()
    assert [(a.action, a.after["actual"], a.after["target"]) for a in audit] == [
        ("indicator_value.create", "1200", "1500")
    ]


def test_a_computed_indicator_refuses_a_typed_actual_but_takes_its_denominator(client, auth, framework_data):
    cadres = indicator("TDA1.01")
    with pytest.raises(ValidationError) as refused:
        framework.save_value(cadres, framework_data.year, {"actual": Decimal(80)}, None)
    assert refused.value.code == "computed_actual"
    url = f"/reports/framework/periods/{framework_data.year.id}/indicators/{cadres.id}"
    auth.login(make_user(Role.organiser))
    response = client.post(url, data={"actual": "80", "denominator": "4", "source": "Sổ theo dõi"})
    assert response.status_code == 422
    assert "được tính tự động từ dữ liệu" in response.get_data(as_text=True)
    assert framework.entry_for(cadres, framework_data.year) is None
    assert client.post(url, data={"denominator": "4"}).status_code == 302
    db.session.expire_all()
    assert by_code(framework.build(framework_data.year))["TDA1.01"].actual == Decimal("75.00")


def test_a_share_above_100_and_a_zero_denominator_are_refused(framework_data):
    with pytest.raises(ValidationError) as refused:
        framework.save_value(
            indicator("TDA1.09"), framework_data.year, {"actual": Decimal("100.5"), "source": "Phiếu khảo sát"}, None
        )
    assert set(refused.value.fields) == {"actual"}
    with pytest.raises(ValidationError) as refused:
        framework.save_value(indicator("TDA1.01"), framework_data.year, {"denominator": 0}, None)
    assert set(refused.value.fields) == {"denominator"}


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("40,5", Decimal("40.5")),
        ("40.5", Decimal("40.5")),
        ("1.200", Decimal(1200)),
        ("12.500.000 đ", Decimal(12_500_000)),
        ("1.234,56", Decimal("1234.56")),
        ("75 %", Decimal(75)),
        ("", None),
    ],
)
def test_figures_are_read_as_vietnamese_users_type_them(typed, read):
    assert parse_figure(typed) == read


@pytest.mark.parametrize("typed", ["12,5,1", "-3", "1,234", "abc", "1.2.3", "٣", "12a"])
def test_unreadable_figures_are_refused(typed):
    with pytest.raises(ValueError):
        parse_figure(typed)  # "1,234": three decimals, not a thousand (a thousand is 1.234)


# -- periods and indicators -------------------------------------------------------------------------


def test_a_period_ending_before_it_starts_is_refused_and_the_form_keeps_what_was_typed(client, auth, app_ctx):
    auth.login(make_user(Role.organiser))
    typed = {"kind": "mid_term", "year": "2023", "starts_on": "01/07/2023", "ends_on": "30/06/2023", "title": "Giữa kỳ"}
    response = client.post("/reports/framework/periods/new", data=typed)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Ngày kết thúc không được trước ngày bắt đầu" in page
    assert 'value="01/07/2023"' in page and 'value="30/06/2023"' in page and 'value="Giữa kỳ"' in page
    assert db.session.scalar(select(func.count(ReportingPeriod.id))) == 0
    response = client.post("/reports/framework/periods/new", data={**typed, "starts_on": "01/01/2021"})
    assert response.status_code == 302
    period = db.session.scalar(select(ReportingPeriod))
    assert (period.kind, period.starts_on, period.ends_on, period.title) == (
        PeriodKind.mid_term,
        date(2021, 1, 1),
        date(2023, 6, 30),
        "Giữa kỳ",
    )


def test_a_year_needs_no_typed_dates_and_the_same_period_twice_is_refused(app_ctx):
    year = framework.save_period(None, {"kind": PeriodKind.annual, "year": 2024}, None)
    assert (year.starts_on, year.ends_on, year.title) == (date(2024, 1, 1), date(2024, 12, 31), "Năm 2024")
    with pytest.raises(ValidationError) as refused:
        framework.save_period(None, {"kind": PeriodKind.annual, "year": 2024}, None)
    assert "starts_on" in refused.value.fields
    with pytest.raises(ValidationError) as refused:
        framework.save_period(
            None,
            {"kind": PeriodKind.ad_hoc, "year": 2022, "starts_on": date(2024, 3, 1), "ends_on": date(2024, 3, 5)},
            None,
        )
    assert set(refused.value.fields) == {"year"}


def test_an_indicator_s_definition_is_edited_and_a_computed_one_keeps_its_measure(client, auth, framework_data):
    women = indicator("TDA1.04")
    url = f"/reports/framework/indicators/{women.id}/edit"
    auth.login(make_user(Role.organiser))
    form = {"name": "Tỷ lệ nữ được tập huấn", "measure": "count", "baseline_value": "35,5", "baseline_year": "2021"}
    refused = client.post(url, data={**form, "active": "y", "direction": "higher"})
    assert refused.status_code == 422 and "đơn vị đo do cách tính quyết định" in refused.get_data(as_text=True)
    assert client.post(url, data={**form, "measure": "percent", "direction": "higher"}).status_code == 302
    db.session.expire_all()
    assert (women.name, women.baseline_value, women.baseline_year, women.active) == (
        "Tỷ lệ nữ được tập huấn",
        Decimal("35.5"),
        2021,
        False,
    )
    assert "TDA1.04" not in by_code(framework.build(framework_data.year))  # no longer used: not in the table
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "indicator.update"))
    assert audit.after["baseline_value"] == "35.5" and audit.after["active"] is False


def test_an_organiser_adds_a_manual_indicator(client, auth, app_ctx):
    auth.login(make_user(Role.organiser))
    data = {"code": "TDA1.10", "name": "Số sổ tay được phát hành", "measure": "count", "unit_name": "cuốn"}
    assert (
        client.post(
            "/reports/framework/indicators/new", data={**data, "active": "y", "direction": "higher"}
        ).status_code
        == 302
    )
    added = indicator("TDA1.10")
    assert added.computation is None and added.measure is Measure.count and added.active
    again = client.post("/reports/framework/indicators/new", data={**data, "direction": "higher"})
    assert again.status_code == 422 and "Mã này đã được dùng" in again.get_data(as_text=True)


def test_the_seeded_indicators_load_once_and_name_known_computations(app_ctx):
    assert framework.load_indicators() == 0
    for each in framework.indicators(active_only=False):
        if each.computation is not None:
            assert framework.COMPUTATIONS[each.computation].measure is each.measure


# -- the page and the spreadsheet -------------------------------------------------------------------


def test_the_page_shows_each_figure_formatted_and_its_method(client, auth, framework_data):
    framework.save_value(indicator("TDA1.01"), framework_data.year, {"denominator": 4}, None)
    db.session.commit()
    auth.login(make_user(Role.leader))
    page = client.get("/reports/framework").get_data(as_text=True)  # the latest period first: the year
    assert framework_data.year.title in page and "01/01/2023 – 31/12/2023" in page
    assert "75,0\u00a0%" in page and "90,0\u00a0%" in page and "66,7\u00a0%" in page
    assert "Tự động" in page and "Nhập tay" in page
    assert client.get("/reports/framework?period_id=999999").status_code == 404
    assert client.get("/reports/framework?period_id=abc").status_code == 404


def test_the_spreadsheet_holds_numbers_cell_by_cell(client, auth, framework_data):
    framework.save_value(indicator("TDA1.01"), framework_data.year, {"denominator": 4}, None)
    framework.save_value(
        indicator("TDA2.02"),
        framework_data.year,
        {"actual": Decimal(12), "target": Decimal(20), "source": "=Báo cáo 15/BC", "note": "Đợt 1"},
        None,
    )
    make_plan(target_classes=4, target_women_percent=40)
    db.session.commit()
    auth.login(make_user(Role.admin))
    response = client.get(f"/reports/framework/periods/{framework_data.year.id}/export.xlsx")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    assert sheet["A1"].value == "Khung kết quả — Năm 2023"
    assert sheet["A2"].value == "Từ ngày 01/01/2023 đến ngày 31/12/2023"
    assert [c.value for c in sheet[4]] == framework.XLSX_HEADER
    rows = {sheet.cell(r, 2).value: [c.value for c in sheet[r]] for r in range(5, sheet.max_row + 1)}
    cadres = rows["TDA1.01"]
    assert cadres[:4] == [1, "TDA1.01", indicator("TDA1.01").name, "%"]
    assert cadres[6:9] == [0.9, 0.75, pytest.approx(0.75 / 0.9)]
    assert cadres[11] == 4
    assert rows["TDA1.03"][6:8] == [300, 4]  # the plan's person-times target
    assert rows["TDA1.06"][6:9] == [4, 2, 0.5]
    assert rows["TDA1.04"][6:8] == [0.4, pytest.approx(0.6667)]
    communes = rows["TDA2.02"]
    assert communes[6:9] == [20, 12, 0.6]
    assert communes[9:11] == ["Nhập tay", "'=Báo cáo 15/BC"]  # never run as a formula
    assert communes[12] == "Đợt 1"
    row_of_cadres = next(r for r in range(5, sheet.max_row + 1) if sheet.cell(r, 2).value == "TDA1.01")
    assert sheet.cell(row_of_cadres, 8).number_format == "0.0%"
    assert all(isinstance(v, int | float) for v in (cadres[6], cadres[7], rows["TDA1.06"][7]))
