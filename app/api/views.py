"""JSON API v1: tokens, reference data and people (see shared API.md and docs/api.md)."""

from flask import current_app, g, jsonify, request
from flask_login import current_user
from sqlalchemy import select

from app.api import schemas
from app.api.blueprint import MAX_PER_PAGE, body_json, bp, iso_date, paginate
from app.api.openapi import build_document
from app.audit import services as audit
from app.auth import services as auth_services
from app.core.forms import int_or_none
from app.core.i18n import lazy_gettext as _l
from app.errors import DomainError, ValidationError, json_error
from app.extensions import db, limiter
from app.geo import services as geo
from app.geo.models import UnitLevel
from app.people import services as people
from app.people.models import Person
from app.people.services import PeopleFilter, PossibleDuplicate
from app.permissions import get_in_scope_or_404, public, require, require_unit_in_scope
from app.reference import services as reference
from app.reference.models import Ethnicity, ParticipantCategory

# The service speaks of ids; the API of codes.
API_FIELD_NAMES = {"ethnicity_id": "ethnicity_code", "category_id": "category"}


# -- tokens ---------------------------------------------------------------------------


@bp.route("/auth/token", methods=["POST"])
@public
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"])
def token_create():
    """Exchange a username and password for a bearer token."""
    body = body_json()
    user = auth_services.authenticate(str(body.get("username") or ""), str(body.get("password") or ""))
    if user is None:
        audit.record("auth.login_failed", object_type="users", after={"username": str(body.get("username"))[:60]})
        db.session.commit()
        return json_error(401, "invalid_credentials", _l("Tên đăng nhập hoặc mật khẩu không đúng."))
    raw, token = auth_services.issue_token(user, current_app.config["API_TOKEN_LIFETIME"])
    db.session.commit()
    return jsonify({"token": raw, "expires_at": schemas.utc_iso(token.expires_at)}), 201


@bp.route("/auth/token", methods=["DELETE"])
@require("home.view")
def token_revoke():
    """Revoke the token used for this call."""
    auth_services.revoke_token(g.api_token)
    db.session.commit()
    return "", 204


# -- reference data -------------------------------------------------------------------


@bp.route("/units")
@require("reference.view")
def unit_list():
    """Administrative units, filtered by level, parent and date in force."""
    errors = {}
    level = request.args.get("level")
    if level and level not in {lv.value for lv in UnitLevel}:
        errors["level"] = _l("level phải là province, district, commune hoặc village.")
    on = iso_date(request.args.get("on"), "on", errors)
    parent_id = request.args.get("parent_id", "")
    if parent_id and int_or_none(parent_id) is None:
        errors["parent_id"] = _l("parent_id phải là số nguyên.")
    if errors:
        raise ValidationError("invalid_filter", _l("Tham số lọc không hợp lệ."), errors)
    query = geo.list_units(
        level=UnitLevel(level) if level else None,
        on=on,
        parent_id=int(parent_id) if parent_id else None,
        q=request.args.get("q"),
    )
    return paginate(query, schemas.unit)


@bp.route("/ethnicities")
@require("reference.view")
def ethnicity_list():
    """The ethnic groups with their codes."""
    return paginate(reference.ethnicities_query(), schemas.ethnicity, default_per_page=MAX_PER_PAGE)


@bp.route("/categories")
@require("reference.view")
def category_list():
    """Participant categories."""
    return paginate(reference.categories_query(), schemas.named, default_per_page=MAX_PER_PAGE)


@bp.route("/topics")
@require("reference.view")
def topic_list():
    """Training topics."""
    return paginate(reference.topics_query(), schemas.named, default_per_page=MAX_PER_PAGE)


# -- people ---------------------------------------------------------------------------


@bp.route("/people")
@require("people.view")
def person_list():
    """People within the caller's scope; ``q`` searches names without diacritics."""
    filters = PeopleFilter(q=(request.args.get("q") or "").strip()[:100] or None)
    filters.unit_id = int_or_none(request.args.get("unit_id"))
    if request.args.get("unit_id") and filters.unit_id is None:
        # Ignoring a mistyped filter would answer with everyone in scope, as if it were honoured.
        raise ValidationError(
            "invalid_filter", _l("Tham số lọc không hợp lệ."), {"unit_id": _l("unit_id phải là số nguyên.")}
        )
    require_unit_in_scope(filters.unit_id)  # another district's unit: 404, as on the pages
    return paginate(people.search(current_user, filters), schemas.person)


@bp.route("/people/<int:person_id>")
@require("people.view")
def person_get(person_id):
    """One person; ``?reveal=id_number`` returns the full citizen ID to roles that may see it (audited)."""
    person = get_in_scope_or_404(Person, person_id)
    reveal = request.args.get("reveal")
    if reveal not in (None, "id_number"):  # a typo must not look like a refusal to reveal
        raise ValidationError(
            "invalid_filter", _l("Tham số lọc không hợp lệ."), {"reveal": _l("reveal chỉ nhận giá trị id_number.")}
        )
    body = schemas.person(person)
    if reveal == "id_number":
        body["id_number"] = people.reveal_id_number(person, current_user)
        db.session.commit()
    return jsonify(body)


@bp.route("/people", methods=["POST"])
@require("people.edit")
def person_create():
    """Register a person (409 ``possible_duplicate`` unless ``confirm`` is true)."""
    return _save_person(None, body_json())


@bp.route("/people/<int:person_id>", methods=["PATCH"])
@require("people.edit")
def person_update(person_id):
    """Change some fields of a person."""
    person = get_in_scope_or_404(Person, person_id)
    return _save_person(person, body_json())


def _save_person(person: Person | None, body: dict):
    data, errors = _person_data(body, person)
    if errors:
        # Report every faulty field at once: the service's checks run on what could be read.
        try:
            people.clean(data, current_user)
        except ValidationError as error:
            errors = {**_api_fields(error.fields), **errors}
        raise ValidationError("invalid_person", _l("Thông tin chưa hợp lệ."), errors)
    try:
        saved = people.save_person(data, current_user, person, confirmed=body.get("confirm") is True)
    except PossibleDuplicate as duplicate:
        db.session.rollback()
        response, status = json_error(409, duplicate.code, duplicate.message)
        payload = response.get_json()
        payload["error"]["duplicates"] = [schemas.person(p) for p in duplicate.candidates]
        payload["error"]["hidden_duplicates"] = duplicate.hidden
        payload["error"]["warnings"] = [str(w) for w in duplicate.warnings]
        return jsonify(payload), status
    except DomainError as error:
        db.session.rollback()
        error.fields = _api_fields(error.fields)
        raise
    db.session.commit()
    return jsonify(schemas.person(saved)), 201 if person is None else 200


def _api_fields(fields: dict) -> dict:
    return {API_FIELD_NAMES.get(k, k): v for k, v in fields.items()}


def _person_data(body: dict, person: Person | None) -> tuple[dict, dict]:
    """Translate API field names and codes into the service's plain data; PATCH keeps the rest.

    :return: (data, errors of type and code that the service cannot see).
    """
    errors: dict = {}
    data = {key: getattr(person, key) for key in people.FIELDS} if person is not None else {}
    for key in ("full_name", "id_number", "phone", "position", "workplace", "gender", "level"):
        if key in body:
            value = body[key]
            if value is not None and not isinstance(value, str):
                errors[key] = _l("Giá trị phải là chuỗi ký tự.")
                value = None
            data[key] = value
    for key in ("unit_id", "birth_year"):
        if key in body:
            value = body[key]
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                errors[key] = _l("Giá trị phải là số nguyên.")
                value = None
            data[key] = value
    if "birth_date" in body:
        data["birth_date"] = iso_date(body["birth_date"], "birth_date", errors)
    elif "birth_year" in body:
        data["birth_date"] = None  # a year given alone replaces a date it contradicts
    if "ethnicity_code" in body:
        data["ethnicity_id"] = _id_for_code(
            Ethnicity, body["ethnicity_code"], "ethnicity_code", errors, _l("Mã dân tộc không có trong danh mục.")
        )
    if "category" in body:
        data["category_id"] = _id_for_code(
            ParticipantCategory, body["category"], "category", errors, _l("Mã đối tượng không có trong danh mục.")
        )
    return data, errors


def _id_for_code(model, code, field, errors, message):
    if code in (None, ""):
        return None
    found = db.session.scalar(select(model.id).where(model.code == str(code)))
    if found is None:
        errors[field] = message
    return found


@bp.route("/openapi.json")
@public
def openapi():
    """The OpenAPI 3 description of this API."""
    return jsonify(build_document())
