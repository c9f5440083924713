"""The trained figures: distinct people against person-times, exactly, and every breakdown adding up."""

from datetime import date

import pytest

from app.auth.models import Role
from app.reports import trained
from app.reports.filters import FilterError, ReportFilter, parse
from tests.factories import LOC_BINH, make_user, unit
from tests.reports.conftest import MAU_SON_2025, held

YEAR = ReportFilter(year=2023)


def figures(row) -> tuple:
    return row.people, row.women, row.person_times, row.ethnic_minority


def by_label(table) -> dict:
    return {row.label: figures(row) for row in table.rows}


def test_one_woman_in_three_activities_is_one_person_and_three_person_times(year_2023):
    # Hoa (3 activities), Bình (1), Dũng (1); Cúc never came; the cancelled and the 2024 ones do not count.
    assert figures(trained.total(YEAR)) == (3, 1, 5, 2)
    women = trained.breakdown("gender", YEAR)
    assert by_label(women) == {"Nữ": (1, 1, 3, 1), "Nam": (2, 0, 2, 1)}
    assert women.total.women_share == pytest.approx(1 / 3)


@pytest.mark.parametrize("by", sorted(trained.BREAKDOWNS))
def test_every_breakdown_adds_up_to_its_total(year_2023, by):
    table = trained.breakdown(by, YEAR)
    parts = [*table.rows, *([table.overlap] if table.overlap else [])]
    for measure in ("people", "women", "person_times", "ethnic_minority"):
        assert sum(getattr(row, measure) for row in parts) == getattr(table.total, measure), measure
    if by in trained.ONE_GROUP_PER_PERSON:
        assert table.overlap is None  # a person has one gender, one ethnicity, one level


def test_activity_breakdowns_count_a_person_in_each_group_and_say_by_how_much(year_2023):
    kinds = trained.breakdown("kind", YEAR)
    assert by_label(kinds) == {
        "Lớp tập huấn, bồi dưỡng": (2, 1, 2, 2),  # Hoa, Bình
        "Hội thảo, hội nghị": (2, 1, 2, 1),  # Hoa, Dũng
        "Đoàn học tập kinh nghiệm": (1, 1, 1, 1),  # Hoa
    }
    assert figures(kinds.overlap) == (-2, -2, 0, -2)  # Hoa counted three times: person-times add up anyway

    topics = trained.breakdown("topic", YEAR)
    assert by_label(topics) == {
        "Chương trình mục tiêu quốc gia giảm nghèo bền vững": (3, 1, 4, 2),  # training 2 + workshop 2
        "Việc làm": (2, 1, 2, 1),  # the workshop only
        "Chưa xác định": (1, 1, 1, 1),  # the study tour has no topic
    }


def test_people_are_counted_where_they_were_enrolled(year_2023):
    districts = trained.breakdown("district", YEAR)
    assert by_label(districts) == {"Huyện Lộc Bình": (2, 1, 4, 2), "Huyện Cao Lộc": (1, 0, 1, 0)}
    assert districts.overlap is None
    categories = trained.breakdown("category", YEAR)
    assert by_label(categories)["Cán bộ cấp xã"] == (1, 0, 1, 0)


def test_2023_stays_with_its_districts_after_the_2025_reorganisation(year_2023, organiser):
    # Hoa's commune joined the new Xã Mẫu Sơn, directly under the province, on 01/07/2025.
    year_2023.hoa.unit = unit(MAU_SON_2025, on=date(2025, 8, 1))
    held(organiser, [[year_2023.hoa]], [year_2023.hoa], start_date=date(2026, 3, 2))

    assert by_label(trained.breakdown("district", YEAR))["Huyện Lộc Bình"] == (2, 1, 4, 2)
    assert by_label(trained.breakdown("district", ReportFilter(year=2026))) == {"Xã Mẫu Sơn": (1, 1, 1, 1)}

    # The Lộc Bình officer still reaches both: their 2023 people and those now in the successor commune.
    officer = make_user(Role.district, unit_code=LOC_BINH)
    assert figures(trained.total(YEAR, officer)) == (2, 1, 4, 2)
    assert figures(trained.total(ReportFilter(year=2026), officer)) == (1, 1, 1, 1)


def test_a_district_officer_counts_only_their_units(year_2023):
    officer = make_user(Role.district, unit_code=LOC_BINH)
    assert figures(trained.total(YEAR, officer)) == (2, 1, 4, 2)  # Hoa and Bình; Dũng is in Cao Lộc
    assert [row.label for row in trained.breakdown("district", YEAR, officer).rows] == ["Huyện Lộc Bình"]
    # Asking for another district's unit gives nothing, not that district's figures.
    assert figures(trained.total(YEAR.but(unit_id=unit("183").id), officer)) == (0, 0, 0, 0)


def test_filters_narrow_the_activities(year_2023):
    assert figures(trained.total(ReportFilter(year=2023, period="h1"))) == (2, 1, 2, 2)  # the March training
    assert figures(trained.total(ReportFilter(year=2023, period="h2"))) == (2, 1, 3, 1)
    assert figures(trained.total(YEAR.but(kind=year_2023.study_tour.kind))) == (1, 1, 1, 1)
    assert figures(trained.total(YEAR.but(unit_id=unit("183").id))) == (1, 0, 1, 0)
    assert figures(trained.total(YEAR.but(budget_line_code="DA7.TDA1"))) == (3, 1, 5, 2)  # the lines under it
    assert figures(trained.total(YEAR.but(budget_line_code="DA7.TDA2"))) == (0, 0, 0, 0)
    custom = ReportFilter(period="custom", date_from=date(2023, 8, 1), date_to=date(2024, 3, 1))
    assert figures(trained.total(custom)) == (3, 1, 4, 2)  # workshop 2, study tour 1, the 2024 training 1


def test_the_people_behind_a_figure_are_the_figure(year_2023):
    from app.extensions import db

    rows = db.session.execute(trained.people_behind(YEAR, None, "gender", "female")).all()
    assert [(person.full_name, times) for person, times in rows] == [("Lục Thị Hoa", 3)]
    everyone = db.session.execute(trained.people_behind(YEAR)).all()
    # In list order, by given name: Bình, Dũng, Hoa.
    assert [person.full_name for person, _ in everyone] == ["Hoàng Văn Bình", "Nguyễn Văn Dũng", "Lục Thị Hoa"]
    assert sum(times for _, times in everyone) == 5

    trainings = db.session.execute(trained.activities_behind(YEAR, None, "kind", "training")).all()
    assert [(a.title, people, women) for a, people, women in trainings] == [("Lớp tập huấn kỹ năng giảm nghèo", 2, 1)]


def test_a_bad_filter_is_refused_with_the_reason():
    with pytest.raises(FilterError):
        parse({"year": "hai nghìn"})
    with pytest.raises(FilterError):
        parse({"period": "custom", "date_from": "31/12/2023", "date_to": "01/01/2023"})
    assert parse({"period": "custom", "date_from": "01/03/2023", "date_to": "2023-06-30"}).bounds == (
        date(2023, 3, 1),
        date(2023, 6, 30),
    )
