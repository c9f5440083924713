"""Importing a list of people into an activity, with a dry run that shows every row's outcome.

Every row is decided first, in memory, against the registry and the activity's seats as they
stand and as the rows before it left them (``import_batch``): new or matched person, seat or
waiting list, or the error and why. The dry run stops there and writes nothing; a commit decides
the same way under the activity lock and writes it all in bulk when no row has an error: all or
nothing. ``run_per_row`` does the same through the services one row at a time; it is the
reference the batch path is tested against.
"""

from dataclasses import dataclass, field

from sqlalchemy import select

from app.core.i18n import lazy_gettext as _l
from app.core.text import fold
from app.errors import DomainError
from app.extensions import db
from app.geo.services import find_by_code
from app.people import services as people
from app.people.identity import InvalidValue, normalise_id_number, normalise_phone
from app.people.models import Person
from app.permissions import can
from app.planning.models import Activity
from app.reference.models import Ethnicity, ParticipantCategory
from app.registration import import_batch as batch
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


def _match(cleaned: dict, user, registry) -> Person | None:
    """The registered person a clean row stands for, or None for someone new.

    :param registry: where people are looked up: ``holder(id_number)`` (registered before the
        import) and ``look_alikes(cleaned)`` — the database row by row, memory in the batch path.
    :raises DomainError: the ID number belongs to someone else or out of reach, or several look alike.
    """
    if cleaned["id_number"]:
        holder = registry.holder(cleaned["id_number"])
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
    candidates = [p for p in registry.look_alikes(cleaned) if can("people.view", p, user)]
    if len(candidates) > 1:
        raise DomainError(
            "ambiguous",
            _l("Có %(n)s người giống nhau trong danh sách; hãy ghi số định danh để phân biệt.", n=len(candidates)),
        )
    return candidates[0] if candidates else None


def _matched(result: RowResult, person: Person | None) -> None:
    result.person = "matched" if person is not None else "new"
    if person is not None:
        result.notes.append(_l("Khớp với %(name)s (%(unit)s).", name=person.full_name, unit=person.unit.full_name))


def _failed(result: RowResult, error: DomainError) -> None:
    result.errors += list(error.fields.values()) or [error.message]
    result.person = result.enrolment = None


def _id_numbers(rows, columns) -> set[str]:
    """The file's ID numbers as ``clean`` will write them ("020 185 001 234" is 020185001234)."""
    numbers = set()
    for _, cells in rows:
        try:
            number = normalise_id_number(sheet.id_number_cell(_value(cells, columns, "id_number")))
        except (sheet.RoundedNumber, InvalidValue):
            continue  # reported on its row
        if number:
            numbers.add(number)
    return numbers


class _Database:
    """The registry as the database holds it, asked row by row (the reference path)."""

    def __init__(self, rows, columns):
        numbers = sorted(_id_numbers(rows, columns))
        self.holders: dict[str, Person] = {}
        for start in range(0, len(numbers), 500):
            chunk = numbers[start : start + 500]
            self.holders.update(
                {p.id_number: p for p in db.session.scalars(select(Person).where(Person.id_number.in_(chunk)))}
            )

    def holder(self, id_number: str) -> Person | None:
        return self.holders.get(id_number)

    def look_alikes(self, cleaned: dict) -> list[Person]:
        return people.look_alikes(cleaned)


def run(activity: Activity, filename: str, data: bytes, user, *, commit: bool, max_bytes: int) -> ImportReport:
    """Import a file of people into an activity: every row is decided first, then written at once.

    The dry run only reads (no activity lock, nothing to roll back). A commit locks the activity
    first, so that the seats it decides on are the seats it writes to.

    :param commit: False for the dry run; True keeps the result when no row has an error.
    :raises ValidationError: the file itself is refused (type, size, macros, missing columns).
    """
    columns, rows = sheet.read_rows(filename, data, max_bytes)
    lookups = _Lookups(activity)
    if commit:
        # Decide on the seats as they will be when written: no enrolment can slip in between.
        # The dry run writes nothing, so it need not hold the activity against other enrolments.
        registration._lock(activity)
    results, cleaned = _clean_rows(rows, columns, lookups, activity, user)
    registry = batch.Registry([row for row in cleaned if row is not None])
    seats = batch.Seats(activity, user)
    for result, row in zip(results, cleaned, strict=True):
        if row is not None:
            _decide(result, row, user, registry, seats)
    report = ImportReport(results, committed=False)
    if commit and report.errors == 0:
        batch.write(activity, user, registry, seats)
        report.committed = True
    return report


def _clean_rows(rows, columns, lookups: _Lookups, activity: Activity, user) -> tuple[list[RowResult], list]:
    """Each row's result so far and its clean person data (None where the row already failed)."""
    results, cleaned = [], []
    for number, cells in rows:
        result = RowResult(number, None)
        results.append(result)
        person_data = _person_data(cells, columns, lookups, activity, result)
        row = None
        if person_data is not None:
            try:
                row, warnings = people.clean(person_data, user)
                result.notes += [str(w) for w in warnings]
            except DomainError as error:
                _failed(result, error)
        cleaned.append(row)
    return results, cleaned


def _decide(result: RowResult, row: dict, user, registry: batch.Registry, seats: batch.Seats) -> None:
    """One row against the registry and seats as the rows before it left them.

    A failed row leaves them as they were, as the row-by-row path's savepoint did.
    """
    try:
        person = _match(row, user, registry)
        _matched(result, person)
        new = registry.new_person(row, user) if person is None else None
        result.enrolment = seats.enrol(person or new, user).value
        if new is not None:
            registry.add(new)
    except DomainError as error:
        _failed(result, error)


def run_per_row(activity: Activity, filename: str, data: bytes, user, *, commit: bool, max_bytes: int) -> ImportReport:
    """The same import through the services one row at a time, each in a savepoint.

    Slow (about 200 rows/s): kept as the reference the batch path is tested against.
    """
    columns, rows = sheet.read_rows(filename, data, max_bytes)
    lookups = _Lookups(activity)
    registry = _Database(rows, columns)
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
            cleaned, warnings = people.clean(person_data, user)
            result.notes += [str(w) for w in warnings]
            person = _match(cleaned, user, registry)
            _matched(result, person)
            if person is None:
                person = people.save_person(person_data, user, confirmed=True)
            result.enrolment = registration.enrol(activity, person, user, source="import").status.value
            row.commit()
        except DomainError as error:
            row.rollback()
            _failed(result, error)
    report = ImportReport(results, committed=False)
    if commit and report.errors == 0:
        outer.commit()
        report.committed = True
    else:
        outer.rollback()
    return report


def template_workbook() -> bytes:
    """The .xlsx template with Vietnamese headers and one example row."""
    import openpyxl

    from app.core.exports import workbook_bytes

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
    return workbook_bytes(workbook)
