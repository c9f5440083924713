"""Spreadsheet formula injection: text that Excel would run (=, +, -, @, tab, CR first) is shown as
text in every .xlsx and .csv export; numbers stay numbers."""

import csv
import io

import openpyxl

from app.auth.models import Role
from app.core.exports import FORMULA_STARTS, workbook_bytes
from tests.factories import make_user
from tests.routes import format_rule, route_objects
from tests.security.bodies import xlsx_cells
from tests.security.payloads import FORMULA, poison

EXPORT_SUFFIXES = (".xlsx", ".csv")
FIXED_CONTENT = {"registration.import_template"}  # the blank template: no stored text in it


def _export_rules(app):
    return [
        rule
        for rule in app.url_map.iter_rules()
        if rule.rule.endswith(EXPORT_SUFFIXES) and "GET" in rule.methods and not rule.rule.startswith("/static")
    ]


def _cells(response) -> list[tuple[object, str | None]]:
    """(value, openpyxl data type or None for CSV) of every cell of an export."""
    if response.mimetype.startswith("text/csv"):
        rows = csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")))
        return [(value, None) for row in rows for value in row]
    return [(cell.value, cell.data_type) for cell in xlsx_cells(response.get_data())]


def test_every_export_shows_formula_text_as_text(app, client, auth):
    from app.audit import services as audit

    objects = route_objects()
    assert len(poison(FORMULA)) >= 20  # names, titles, places, notes... of people, activities, money
    # The audit log keeps what users typed, e.g. the reason for removing a check-in.
    audit.record("attendance.remove", object_type="attendances", object_id=1, after={"reason": FORMULA})
    auth.login(make_user(Role.admin))
    rules = _export_rules(app)
    assert len(rules) >= 9
    problems, carried = [], set()
    for rule in rules:
        url = format_rule(rule.rule, objects) + "?year=2023"
        response = client.get(url)
        assert response.status_code == 200, url
        for value, data_type in _cells(response):
            if data_type == "f" or (isinstance(value, str) and value.startswith(FORMULA_STARTS)):
                problems.append(f"{url}: {value!r}")
            if isinstance(value, str) and "HYPERLINK" in value:
                carried.add(rule.endpoint)
    assert problems == [], "\n".join(problems)
    # The payload really reached every export that prints stored text, so the check above could fail.
    assert {r.endpoint for r in rules} - FIXED_CONTENT <= carried


def test_numbers_stay_numbers_and_every_dangerous_start_is_neutralised():
    workbook = openpyxl.Workbook()
    workbook.active.append([-5, 12.5, "-5 người", "=1+1", "+84912", "@SUM(A1)", "\tx", "\rx", "Bình thường", None])
    cells = [c for row in openpyxl.load_workbook(io.BytesIO(workbook_bytes(workbook))).active.iter_rows() for c in row]
    values = [c.value for c in cells]
    assert values[:2] == [-5, 12.5] and {cells[0].data_type, cells[1].data_type} == {"n"}
    assert values[2:9] == ["'-5 người", "'=1+1", "'+84912", "'@SUM(A1)", "'\tx", "'\rx", "Bình thường"]
    assert all(c.data_type != "f" for c in cells)


def test_the_people_csv_export_neutralises_a_name(client, auth):
    from tests.factories import make_person

    make_person(full_name='=HYPERLINK("http://evil","Bấm vào đây")', position="-1+2", workplace="@cmd")
    auth.login(make_user(Role.admin))
    rows = list(csv.reader(io.StringIO(client.get("/people/export.csv").get_data(as_text=True).lstrip("\ufeff"))))
    row = next(r for r in rows if "HYPERLINK" in r[0])
    assert row[0] == '\'=HYPERLINK("http://evil","Bấm vào đây")' and "'-1+2" in row and "'@cmd" in row
