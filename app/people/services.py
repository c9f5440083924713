"""Registering, changing, finding and de-duplicating people.

The same rules serve the pages, the API and (later) spreadsheet import: everything a person
types arrives here as plain data, is cleaned and checked, and comes back either as a saved
``Person`` or as a ``ValidationError`` / ``PossibleDuplicate`` that names the field at fault.
"""

import re
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, func, literal, or_, select, tuple_

from app.audit import services as audit
from app.core.i18n import lazy_gettext as _l
from app.core.text import capitalise_name, fold, nfc
from app.errors import ConflictError, DomainError, ValidationError
from app.extensions import db
from app.geo.models import AdminUnit, UnitLevel
from app.geo.services import descendant_unit_ids
from app.people.identity import InvalidValue, id_number_warnings, normalise_id_number, normalise_phone
from app.people.models import Gender, Person
from app.permissions import can, restrict_to_scope, scope_unit_ids
from app.reference.models import Ethnicity, ParticipantCategory

MAX_NAME = 100
MAX_POSITION = 120
MAX_WORKPLACE = 200
MIN_BIRTH_YEAR = 1920
MIN_AGE = 14
# Letters of any script (Vietnamese and minority names), spaces, apostrophes and hyphens.
_NAME_PATTERN = re.compile(r"^[^\W\d_]+(?:[ '\-][^\W\d_]+)*$")
_MARKUP = re.compile(r"[<>]")
FIELDS = (
    "full_name",
    "gender",
    "birth_date",
    "birth_year",
    "ethnicity_id",
    "id_number",
    "phone",
    "level",
    "category_id",
    "position",
    "workplace",
    "unit_id",
)


class PossibleDuplicate(ConflictError):
    """The new data looks like people already registered; the caller must confirm."""

    def __init__(self, candidates: list[Person], hidden: int, warnings: list):
        super().__init__("possible_duplicate", _l("Có thể người này đã có trong danh sách. Kiểm tra trước khi lưu."))
        self.candidates = candidates
        self.hidden = hidden  # look-alikes outside the user's scope: counted, never shown
        self.warnings = warnings


@dataclass
class Review:
    """What the user must see before a save goes through: warnings and look-alikes."""

    warnings: list = field(default_factory=list)
    candidates: list[Person] = field(default_factory=list)
    hidden: int = 0

    @property
    def needs_confirmation(self) -> bool:
        return bool(self.warnings or self.candidates or self.hidden)


def _check_optional_text(value, limit, field_name, errors):
    """An optional free-text field: NFC, bounded, no markup characters; '' becomes None."""
    value = nfc(value) if isinstance(value, str) else value
    if not value:
        return None
    if len(value) > limit:
        errors[field_name] = _l("Tối đa %(n)s ký tự (đang có %(m)s).", n=limit, m=len(value))
    elif _MARKUP.search(value):
        errors[field_name] = _l("Không được chứa ký tự < hoặc >.")
    return value


def _exists(model, object_id) -> bool:
    return object_id is not None and db.session.get(model, object_id) is not None


def clean(data: dict, user) -> tuple[dict, list]:
    """Normalise and check person data.

    :param data: field -> value; ids as ints, enums as values or members, dates as ``date``.
    :return: (clean data, warnings that need a human's confirmation).
    :raises ValidationError: with a message per faulty field; nothing is written.
    """
    errors: dict = {}
    out: dict = {}

    name = nfc(data.get("full_name") or "")
    if not name:
        errors["full_name"] = _l("Nhập họ và tên.")
    elif len(name) > MAX_NAME:
        errors["full_name"] = _l("Họ và tên tối đa %(n)s ký tự (đang có %(m)s).", n=MAX_NAME, m=len(name))
    elif not _NAME_PATTERN.match(name):
        errors["full_name"] = _l("Họ và tên chỉ gồm chữ cái và khoảng trắng.")
    elif len(name.split()) < 2:
        errors["full_name"] = _l("Nhập đầy đủ họ và tên (ít nhất hai từ).")
    out["full_name"] = capitalise_name(name) if name else name

    out["gender"] = _enum(Gender, data.get("gender"), "gender", errors, _l("Chọn giới tính (Nữ hoặc Nam)."))
    out["level"] = _enum(UnitLevel, data.get("level"), "level", errors, _l("Chọn cấp: tỉnh, huyện, xã hoặc thôn."))

    birth_date, birth_year = data.get("birth_date"), data.get("birth_year")
    this_year = date.today().year
    if birth_date is not None:
        if not (MIN_BIRTH_YEAR <= birth_date.year <= this_year - MIN_AGE):
            errors["birth_date"] = _l(
                "Ngày sinh phải trong khoảng năm %(a)s đến %(b)s.", a=MIN_BIRTH_YEAR, b=this_year - MIN_AGE
            )
        birth_year = birth_date.year
    elif birth_year is not None:
        if not isinstance(birth_year, int) or not (MIN_BIRTH_YEAR <= birth_year <= this_year - MIN_AGE):
            errors["birth_year"] = _l(
                "Năm sinh phải trong khoảng %(a)s đến %(b)s.", a=MIN_BIRTH_YEAR, b=this_year - MIN_AGE
            )
    else:
        errors["birth_date"] = _l("Nhập ngày sinh hoặc năm sinh.")
    out["birth_date"], out["birth_year"] = birth_date, birth_year

    warnings = []
    try:
        out["id_number"] = normalise_id_number(data.get("id_number"))
    except InvalidValue as problem:
        errors["id_number"] = problem.message
        out["id_number"] = None
    if out["id_number"] and "birth_date" not in errors and "birth_year" not in errors and out["gender"]:
        warnings += id_number_warnings(out["id_number"], birth_year, out["gender"] is Gender.female)

    try:
        out["phone"] = normalise_phone(data.get("phone"))
    except InvalidValue as problem:
        errors["phone"] = problem.message
        out["phone"] = None

    out["position"] = _check_optional_text(data.get("position"), MAX_POSITION, "position", errors)
    out["workplace"] = _check_optional_text(data.get("workplace"), MAX_WORKPLACE, "workplace", errors)

    for key, model, message in (
        ("ethnicity_id", Ethnicity, _l("Dân tộc không có trong danh mục.")),
        ("category_id", ParticipantCategory, _l("Đối tượng không có trong danh mục.")),
    ):
        value = data.get(key)
        if value is not None and not _exists(model, value):
            errors[key] = message
        out[key] = value

    unit_id = data.get("unit_id")
    allowed = scope_unit_ids(user) if user is not None else None  # None: a participant's own request
    if unit_id is None:
        errors["unit_id"] = _l("Chọn đơn vị hành chính.")
    elif not _exists(AdminUnit, unit_id):
        errors["unit_id"] = _l("Đơn vị hành chính không tồn tại.")
    elif allowed is not None and unit_id not in allowed:
        errors["unit_id"] = _l("Bạn chỉ được đăng ký người thuộc đơn vị mình phụ trách.")
    out["unit_id"] = unit_id

    if errors:
        raise ValidationError(
            "invalid_person", _l("Thông tin chưa hợp lệ, vui lòng sửa các mục được đánh dấu."), errors
        )
    return out, warnings


def _enum(enum_type, value, key, errors, message):
    if isinstance(value, enum_type):
        return value
    try:
        return enum_type(value)
    except ValueError:
        errors[key] = message
        return None


def look_alikes(data: dict, exclude: Person | None = None) -> list[Person]:
    """People who are probably the same person: same name, same birth (the date, or the year
    where either record has only a year) and the same commune or one it became or came from;
    or same name and phone."""
    if data["birth_date"]:
        same_birth = or_(
            Person.birth_date == data["birth_date"],
            and_(Person.birth_date.is_(None), Person.birth_year == data["birth_date"].year),
        )
    else:
        same_birth = Person.birth_year == data["birth_year"]
    same_name = Person.search_name == fold(data["full_name"])
    conditions = [and_(same_name, same_birth, Person.unit_id.in_(related_unit_ids(data["unit_id"])))]
    if data.get("phone"):
        conditions.append(and_(Person.phone == data["phone"], same_name))
    query = select(Person).where(or_(*conditions), Person.merged_into_id.is_(None))
    if exclude is not None and exclude.id is not None:
        query = query.where(Person.id != exclude.id)
    return list(db.session.scalars(query.limit(20)))


def related_unit_ids(unit_id: int) -> set[int]:
    """A unit with the units it became and came from: the same commune across a reorganisation."""
    unit = db.session.get(AdminUnit, unit_id)
    return {unit_id, *(u.id for u in unit.successors), *(u.id for u in unit.predecessors)}


def _check_id_unique(id_number: str | None, person: Person | None, user) -> None:
    if not id_number:
        return
    holder = db.session.scalar(select(Person).where(Person.id_number == id_number))
    if holder is None or holder is person:
        return
    if can("people.view", holder, user):
        message = _l("Số định danh này đã được đăng ký cho %(name)s.", name=holder.full_name)
    else:
        message = _l("Số định danh này đã được đăng ký cho một người thuộc đơn vị khác.")
    raise ValidationError("duplicate_id_number", message, {"id_number": message})


IDENTITY_FIELDS = ("id_number", "birth_date", "birth_year", "gender")
LOOK_ALIKE_FIELDS = ("full_name", "birth_date", "birth_year", "unit_id", "phone")


def review(data: dict, user, person: Person | None = None, *, look_alikes_too: bool = True) -> tuple[dict, Review]:
    """Clean the data and collect what needs confirmation, without writing anything.

    On an edit, warnings already accepted once are not raised again unless the fields they
    concern change: correcting a phone number must not ask about the ID number every time.
    """
    cleaned, warnings = clean(data, user)
    _check_id_unique(cleaned["id_number"], person, user)

    def changed(fields):
        return person is None or any(getattr(person, f) != cleaned[f] for f in fields)

    result = Review(warnings=warnings if changed(IDENTITY_FIELDS) else [])
    if look_alikes_too and changed(LOOK_ALIKE_FIELDS):
        for candidate in look_alikes(cleaned, exclude=person):
            if can("people.view", candidate, user):
                result.candidates.append(candidate)
            else:
                result.hidden += 1
    return cleaned, result


def save_person(data: dict, user, person: Person | None = None, *, confirmed: bool = False) -> Person:
    """Create (``person`` None) or update a person.

    :param confirmed: the user has seen the warnings and look-alikes and still wants to save.
    :raises ValidationError: bad data, an ID number already registered, or a unit out of scope.
    :raises PossibleDuplicate: warnings or look-alikes exist and ``confirmed`` is False.
    """
    if person is not None and person.merged_into_id is not None:
        raise ConflictError("merged_record", _l("Hồ sơ này đã được gộp vào hồ sơ khác; hãy sửa hồ sơ còn lại."))
    if person is not None and person.anonymised_at is not None:
        raise ConflictError("anonymised", _l("Hồ sơ đã được ẩn danh và không thể sửa."))
    # Once the user has confirmed, look-alikes would be ignored: do not spend a query on them.
    cleaned, result = review(data, user, person, look_alikes_too=not confirmed)
    if result.needs_confirmation and not confirmed:
        raise PossibleDuplicate(result.candidates, result.hidden, result.warnings)
    creator_id = getattr(user, "id", None)
    return audit.save_audited(person, lambda: Person(created_by_id=creator_id), cleaned, FIELDS, "person")


@dataclass
class PeopleFilter:
    q: str | None = None
    unit_id: int | None = None
    gender: Gender | None = None
    level: UnitLevel | None = None
    category_id: int | None = None
    ethnicity_id: int | None = None


def search(user, filters: PeopleFilter):
    """A select() of the people the user may see, filtered, in Vietnamese list order.

    ``q`` matches the start of name words without diacritics ("huong" finds "Hường"), and
    matches phone numbers and, for roles that may see them, citizen ID numbers.
    """
    query = restrict_to_scope(select(Person).where(Person.merged_into_id.is_(None)), Person.unit_id, user)
    if filters.q:
        query = query.where(_text_condition(filters.q, user))
    if filters.unit_id:
        query = query.where(Person.unit_id.in_(descendant_unit_ids(filters.unit_id)))
    for column, value in (
        (Person.gender, filters.gender),
        (Person.level, filters.level),
        (Person.category_id, filters.category_id),
        (Person.ethnicity_id, filters.ethnicity_id),
    ):
        if value is not None:
            query = query.where(column == value)
    return query.order_by(Person.sort_key, Person.id)


def _text_condition(q: str, user):
    # Each typed word must start a word of the name: "huong" finds Hương and Hường, not Phượng.
    words = fold(q).split()
    spaced_name = literal(" ") + Person.search_name
    by_name = and_(*(spaced_name.contains(" " + word, autoescape=True) for word in words))
    digits = re.sub(r"\D", "", q)
    if len(digits) < 4 or len(digits) != len(re.sub(r"[\s.\-()+]", "", q)):
        return by_name  # not a phone or ID number: names only
    phone_digits = "0" + digits[2:] if digits.startswith("84") and len(digits) == 11 else digits
    options = [by_name, Person.phone.contains(phone_digits, autoescape=True)]
    # A full citizen ID finds its person for those who may reveal one (the list still shows it masked).
    if len(digits) == 12 and can("people.reveal_id", user=user):
        options.append(Person.id_number == digits)
    return or_(*options)


def counts_by_gender(query) -> dict[Gender, int]:
    """How many women and men a people query holds (list header, home page)."""
    sub = query.order_by(None).subquery()
    rows = db.session.execute(select(sub.c.gender, func.count()).group_by(sub.c.gender))
    return {Gender(g) if not isinstance(g, Gender) else g: n for g, n in rows}


# -- de-duplication -------------------------------------------------------------------

# Later domains (registration, attendance, ...) append callables ``hook(keep, removed)`` that
# move what they hold from the removed record to the kept one, inside the same transaction.
MERGE_HOOKS: list = []
MERGE_FILLS = ("birth_date", "birth_year", "ethnicity_id", "phone", "category_id", "position", "workplace")


def duplicate_groups(user) -> list[list[Person]]:
    """Groups of registered people who are probably one person, within the user's scope:
    same name, birth year and unit, or same name and phone."""
    active = restrict_to_scope(select(Person).where(Person.merged_into_id.is_(None)), Person.unit_id, user)
    keys = [(Person.search_name, Person.birth_year, Person.unit_id), (Person.search_name, Person.phone)]
    by_id: dict[int, Person] = {}
    parent: dict[int, int] = {}

    def root(pid):
        while parent[pid] != pid:
            pid = parent[pid]
        return pid

    for columns in keys:
        grouped = active.with_only_columns(*columns).where(*(c.is_not(None) for c in columns))
        grouped = grouped.group_by(*columns).having(func.count() > 1)
        members: dict[tuple, list[Person]] = {}
        for person in db.session.scalars(active.where(tuple_(*columns).in_(grouped))):
            by_id[person.id] = person
            parent.setdefault(person.id, person.id)
            members.setdefault(tuple(getattr(person, c.key) for c in columns), []).append(person)
        for group in members.values():  # join overlapping groups (union-find)
            for other in group[1:]:
                parent[root(other.id)] = root(group[0].id)
    groups: dict[int, list[Person]] = {}
    for pid, person in by_id.items():
        groups.setdefault(root(pid), []).append(person)
    return sorted((sorted(g, key=lambda p: p.id) for g in groups.values()), key=lambda g: g[0].sort_key)


def merge(keep_id: int, remove_ids: list[int], user) -> Person:
    """Merge the records ``remove_ids`` into ``keep_id``: empty fields of the kept record are
    filled from the others, which stay (hidden) with a pointer to the kept one.

    :raises ValidationError: nothing to merge, a record outside the user's scope or already merged.
    :raises ConflictError: two different citizen IDs (two different people).
    """
    keep = db.session.get(Person, keep_id)
    removes = [db.session.get(Person, pid) for pid in dict.fromkeys(remove_ids) if pid != keep_id]
    records = [keep, *removes]
    if not removes or any(p is None or not can("people.edit", p, user) or p.merged_into_id for p in records):
        raise ValidationError("invalid_merge", _l("Chọn một hồ sơ giữ lại và ít nhất một hồ sơ khác để gộp."))
    ids = {p.id_number for p in records if p.id_number}
    if len(ids) > 1:
        raise ConflictError(
            "conflicting_id_numbers", _l("Các hồ sơ có số định danh khác nhau: đây không phải cùng một người.")
        )
    before = audit.snapshot(keep, FIELDS)
    for removed in removes:
        for field_name in MERGE_FILLS:
            if getattr(keep, field_name) is None and getattr(removed, field_name) is not None:
                setattr(keep, field_name, getattr(removed, field_name))
        if removed.id_number and not keep.id_number:
            keep_id_number, removed.id_number = removed.id_number, None
            db.session.flush()  # the number is unique: free it before giving it to the kept record
            keep.id_number = keep_id_number
        removed.merged_into_id = keep.id
        for earlier in db.session.scalars(select(Person).where(Person.merged_into_id == removed.id)):
            earlier.merged_into_id = keep.id
        for hook in MERGE_HOOKS:
            hook(keep, removed)
    db.session.flush()
    after = {**audit.snapshot(keep, FIELDS), "merged_ids": [p.id for p in removes]}
    audit.record("person.merge", keep, before=before, after=after)
    return keep


# -- citizen IDs ------------------------------------------------------------------------------


def reveal_id_number(person: Person, user) -> str | None:
    """One person's full citizen ID, for a user who may see it; each reveal is audited.

    :raises DomainError: ``reveal_forbidden`` (403) for a role or scope that may not.
    """
    if not can("people.reveal_id", person, user):
        raise DomainError("reveal_forbidden", _l("Bạn không có quyền xem số định danh đầy đủ."), status=403)
    audit.record(audit.REVEAL_ACTION, person, actor=user)
    return person.id_number
