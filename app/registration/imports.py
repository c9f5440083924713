"""Importing a list of people into an activity, with a dry run that shows every row's outcome.

The dry run does the whole import inside a savepoint and rolls it back, so it reports exactly
what a commit would do — new or matched person, seat or waiting list, or the error and why.
A commit runs the same steps and keeps them only when no row has an error: all or nothing.
"""

from dataclasses import dataclass, field

from sqlalchemy import select

from app.core.i18n import lazy_gettext as _l
from app.core.text import fold
from app.errors import DomainError
from app.extensions import db
from app.geo.services import find_by_code
from app.people import services as people
from app.people.identity import InvalidValue, normalise_phone
from app.people.models import Person
from app.permissions import can
from app.planning.models import Activity
from app.reference.models import Ethnicity, ParticipantCategory
from app.registration import services as registration
from app.registration import spreadsheet as sheet

GENDERS = {"nu": "female", "n": "female", "female": "female", "f": "female", "nam": "male", "male": "male", "m": "male"}
LEVELS = {
    "thon": "village",
    "ban": "village",
    "thon ban": "village",
    "thon, ban": "village",
    "cap thon": "village",
    "khoi pho": "village",
    "to dan pho": "village",
    "xa": "commune",
    "phuong": "commune",
    "thi tran": "commune",
    "cap xa": "commune",
    "huyen": "district",
    "cap huyen": "district",
    "thanh pho": "district",
    "tinh": "province",
    "cap tinh": "province",
    "village": "village",
    "commune": "commune",
    "district": "district",
    "province": "province",
}


@dataclass
class RowResult:
    number: int
    full_name: str | None
    person: str | None = None  # "new" or "matched"
    enrolment: str | None = None  # "registered" or "waitlisted"
    errors: list = field(default_factory=list)
    notes: list = field(default_factory=list)


@dataclass
class ImportReport:
    rows: list[RowResult]
    committed: bool

    def count(self, **match) -> int:
        return sum(1 for row in self.rows if all(getattr(row, k) == v for k, v in match.items()))

    @property
    def errors(self) -> int:
        return sum(1 for row in self.rows if row.errors)


class _Lookups:
    """Reference rows by every way a spreadsheet names them, loaded once per import.

    The rows themselves are kept (not only their ids): the session's identity map holds weak
    references, and without these the same rows would be fetched again for every line.
    """

    def __init__(self, activity: Activity):
        from app.geo.models import AdminUnit
        from app.geo.services import valid_on

        self.rows = list(db.session.scalars(select(Ethnicity))) + list(db.session.scalars(select(ParticipantCategory)))
        self.ethnicities, self.categories = {}, {}
        for row in self.rows:
            table = self.ethnicities if isinstance(row, Ethnicity) else self.categories
            table[fold(row.name)] = table[fold(row.name).replace("-", " ")] = table[row.code] = row.id
        self.units = {u.code: u for u in db.session.scalars(valid_on(select(AdminUnit), activity.start_date))}
        for unit in self.units.values():  # load once what duplicate checks read
            unit.successors, unit.predecessors  # noqa: B018

    def unit(self, code: str | None):
        return self.units.get(code) if code else None


def _value(cells: list, columns: dict, name: str):
    index = columns.get(name)
    return cells[index] if index is not None and index < len(cells) else None


def _person_data(cells, columns, lookups: _Lookups, activity: Activity, result: RowResult) -> dict | None:
    """Plain person data from a row, or None after recording why the row cannot be read."""
    data = {
        "full_name": sheet.text_cell(_value(cells, columns, "full_name")),
        "position": sheet.text_cell(_value(cells, columns, "position")),
        "workplace": sheet.text_cell(_value(cells, columns, "workplace")),
    }
    try:
        data["id_number"] = sheet.id_number_cell(_value(cells, columns, "id_number"))
    except sheet.RoundedNumber as number:
        data["id_number"] = None
        result.errors.append(
            _l("Số “%(v)s” đã bị Excel làm tròn; định dạng cột là Văn bản rồi nhập lại.", v=str(number))
        )
    result.full_name = data["full_name"]
    gender = fold(sheet.text_cell(_value(cells, columns, "gender")) or "")
    data["gender"] = GENDERS.get(gender)
    if data["gender"] is None:
        result.errors.append(_l("Giới tính “%(v)s” không rõ (ghi Nam hoặc Nữ).", v=gender or "—"))
    try:
        data["birth_date"], data["birth_year"] = sheet.birth_cell(_value(cells, columns, "birth"))
    except ValueError:
        data["birth_date"] = data["birth_year"] = None
        result.errors.append(_l("Ngày sinh không đọc được; ghi ngày/tháng/năm hoặc năm sinh."))
    try:
        data["phone"] = normalise_phone(sheet.digits_cell(_value(cells, columns, "phone")), restore_lost_zero=True)
    except sheet.RoundedNumber as number:
        data["phone"] = None
        result.errors.append(
            _l("Số “%(v)s” đã bị Excel làm tròn; định dạng cột là Văn bản rồi nhập lại.", v=str(number))
        )
    except InvalidValue as problem:
        data["phone"] = None
        result.errors.append(problem.message)
    level = fold(sheet.text_cell(_value(cells, columns, "level")) or "")
    data["level"] = LEVELS.get(level, level or None)
    data["ethnicity_id"] = _reference(cells, columns, "ethnicity", lookups.ethnicities)
    if data["ethnicity_id"] is False:
        result.errors.append(
            _l("Dân tộc “%(v)s” không có trong danh mục.", v=sheet.text_cell(_value(cells, columns, "ethnicity")))
        )
    data["category_id"] = _reference(cells, columns, "category", lookups.categories)
    if data["category_id"] is False:
        result.errors.append(
            _l("Đối tượng “%(v)s” không có trong danh mục.", v=sheet.text_cell(_value(cells, columns, "category")))
        )
    code = sheet.unit_code_cell(_value(cells, columns, "unit_code"))
    unit = lookups.unit(code) or (find_by_code(code, activity.start_date) if code else None)
    data["unit_id"] = unit.id if unit else None
    if unit is None:
        result.errors.append(_l("Mã đơn vị hành chính “%(v)s” không có.", v=code or "—"))
    return None if result.errors else data


def _reference(cells, columns, column: str, table: dict):
    """The id a reference cell names (by name or code), None when empty, False when unknown."""
    raw = sheet.text_cell(_value(cells, columns, column))
    if not raw:
        return None
    return table.get(raw.zfill(2) if raw.isdigit() else fold(raw), False)


def _existing_person(data: dict, user, result: RowResult, known_ids: dict[str, Person]) -> Person | None:
    cleaned, warnings = people.clean(data, user)
    result.notes += [str(w) for w in warnings]
    if cleaned["id_number"]:
        holder = known_ids.get(cleaned["id_number"])
        if holder is not None and (
            holder.search_name != fold(cleaned["full_name"])
            or holder.gender is not cleaned["gender"]
            or (cleaned["birth_year"] and holder.year_of_birth and holder.year_of_birth != cleaned["birth_year"])
        ):
            name = holder.full_name if can("people.view", holder, user) else _l("một người khác")
            raise DomainError(
                "id_number_mismatch",
                _l(
                    "Số định danh này đã đăng ký cho %(name)s, khác họ tên, giới tính hoặc năm sinh trong tệp.",
                    name=name,
                ),
            )
        if holder is not None:
            if not can("people.view", holder, user):
                raise DomainError("out_of_scope", _l("Số định danh này thuộc một người ở đơn vị khác."))
            return holder
    candidates = [p for p in people.look_alikes(cleaned) if can("people.view", p, user)]
    if len(candidates) > 1:
        raise DomainError(
            "ambiguous",
            _l("Có %(n)s người giống nhau trong danh sách; hãy ghi số định danh để phân biệt.", n=len(candidates)),
        )
    return candidates[0] if candidates else None


def _people_by_id_number(rows, columns) -> dict[str, Person]:
    """People already registered under the ID numbers in the file, fetched in a few queries."""
    numbers = set()
    for _, cells in rows:
        try:
            if number := sheet.id_number_cell(_value(cells, columns, "id_number")):
                numbers.add(number)
        except sheet.RoundedNumber:
            continue  # reported on its row
    numbers = sorted(numbers)
    found: dict[str, Person] = {}
    for start in range(0, len(numbers), 500):
        chunk = numbers[start : start + 500]
        found.update({p.id_number: p for p in db.session.scalars(select(Person).where(Person.id_number.in_(chunk)))})
    return found


def run(activity: Activity, filename: str, data: bytes, user, *, commit: bool, max_bytes: int) -> ImportReport:
    """Import a file of people into an activity.

    :param commit: False for the dry run; True keeps the result when no row has an error.
    :raises ValidationError: the file itself is refused (type, size, macros, missing columns).
    """
    columns, rows = sheet.read_rows(filename, data, max_bytes)
    lookups = _Lookups(activity)
    known_ids = _people_by_id_number(rows, columns)
    results = []
    outer = db.session.begin_nested()
    for number, cells in rows:
        result = RowResult(number, None)
        results.append(result)
        person_data = _person_data(cells, columns, lookups, activity, result)
        if person_data is None:
            continue
        row = db.session.begin_nested()
        try:
            person = _existing_person(person_data, user, result, known_ids)
            result.person = "matched" if person is not None else "new"
            if person is not None:
                result.notes.append(
                    _l("Khớp với %(name)s (%(unit)s).", name=person.full_name, unit=person.unit.full_name)
                )
            if person is None:
                person = people.save_person(person_data, user, confirmed=True)
            result.enrolment = registration.enrol(activity, person, user, source="import").status.value
            row.commit()
        except DomainError as error:
            row.rollback()
            messages = list(error.fields.values()) or [error.message]
            result.errors += messages
            result.person = result.enrolment = None
    report = ImportReport(results, committed=False)
    if commit and report.errors == 0:
        outer.commit()
        report.committed = True
    else:
        outer.rollback()
    return report


def template_workbook() -> bytes:
    """The .xlsx template with Vietnamese headers and one example row."""
    import io

    import openpyxl

    workbook = openpyxl.Workbook()
    sheet_ = workbook.active
    sheet_.title = "Danh sách"
    sheet_.append([label for label, _ in sheet.COLUMNS.values()])
    sheet_.append(
        [
            "Nguyễn Thị Hường",
            "Nữ",
            "05/02/1985",
            "Tày",
            "020185001234",
            "0912345678",
            "Thôn",
            "Cán bộ thôn, bản",
            "Trưởng thôn",
            "Thôn Nà Lầu",
            "06325",
        ]
    )
    for column in sheet_.columns:
        sheet_.column_dimensions[column[0].column_letter].width = 22
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
