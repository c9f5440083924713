"""`flask reports check [--repair]`: what the reports read, checked against the attendance rows
and put right after something went around the triggers."""

from datetime import date

from sqlalchemy import text

from app.extensions import db
from app.reports import kept, trained
from app.reports.filters import ReportFilter
from tests.factories import CAO_LOC, unit

ALL_YEARS = ReportFilter()  # reads the kept groups
EVERY_DAY = ReportFilter(period="custom", date_from=date(2000, 1, 1), date_to=date(2100, 12, 31))  # the pairs


def run(app, *args):
    return app.test_cli_runner().invoke(args=["reports", "check", *args])


def figures() -> list:
    tables = []
    for report_filter in (ALL_YEARS, EVERY_DAY):
        for by in ("kind", "district", "topic"):
            table = trained.breakdown(by, report_filter)
            tables.append([(row.key, row.people, row.women, row.person_times) for row in table.rows])
            tables.append(table.total.as_dict())
    return tables


def test_figures_kept_by_the_triggers_pass_the_check(app, year_2023):
    result = run(app)
    assert result.exit_code == 0, result.output
    assert "khớp" in result.output
    assert kept.check().clean


def test_drift_around_the_triggers_is_found_then_repaired_to_the_figures_of_before(app, year_2023):
    y = year_2023
    before = figures()
    ids = {
        "training": y.training.id,
        "workshop": y.workshop.id,
        "study_tour": y.study_tour.id,
        "cuc": y.cuc.id,
        "cuc_unit": y.cuc.unit_id,
        "dung": y.dung.id,
        "hoa": y.hoa.id,
        "cao_loc": unit(CAO_LOC).id,
    }
    statements = [
        # the groups edited by hand: one breakdown gone, the total inflated
        "DELETE FROM trained_groups WHERE dim = 'kind'",
        "UPDATE trained_groups SET times = times + 5 WHERE dim = 'total'",
        # a pair nobody attended (Cúc registered for the training and never came)
        "INSERT INTO trained_pairs (activity_id, person_id, unit_id, gender, level)"
        " VALUES (:training, :cuc, :cuc_unit, 'female', 'village')",
        # Dũng's workshop counted in another place than his enrolment, Hoa's study tour lost
        "UPDATE trained_pairs SET unit_id = :cao_loc WHERE person_id = :dung AND activity_id = :workshop",
        "DELETE FROM trained_pairs WHERE person_id = :hoa AND activity_id = :study_tour",
    ]
    for statement in statements:
        used = {name: value for name, value in ids.items() if f":{name}" in statement}
        db.session.execute(text(statement), used)
    assert figures() != before

    found = kept.check()
    assert (found.stale_pairs, found.missing_pairs) == (2, 2)  # Cúc's and Dũng's; Dũng's and Hoa's
    assert found.stale_groups > 0 and found.missing_groups > 0
    checked = run(app)
    assert checked.exit_code == 1 and "--repair" in checked.output

    repaired = run(app, "--repair")
    assert repaired.exit_code == 0, repaired.output
    assert "2 sai/thừa, 2 thiếu" in repaired.output
    assert kept.check().clean
    db.session.expire_all()
    assert figures() == before
    assert run(app).exit_code == 0
