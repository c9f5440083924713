"""Loading and editing reference data."""

import csv
from datetime import date
from pathlib import Path

from sqlalchemy import select

from app.audit import services as audit
from app.core.i18n import lazy_gettext as _l
from app.core.text import nfc
from app.errors import ValidationError
from app.extensions import db
from app.geo.services import load_units
from app.reference.models import Ethnicity, Organisation, ParticipantCategory, Signatory, TrainingTopic

DATA_DIR = Path(__file__).parent / "data"


def _rows(name: str) -> list[dict]:
    with open(DATA_DIR / name, encoding="utf-8") as handle:
        return [{k: nfc(v) for k, v in row.items()} for row in csv.DictReader(handle)]


def _date(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _insert_missing(model, rows, build) -> int:
    known = set(db.session.scalars(select(model.code)))
    new = [build(row) for row in rows if row["code"] not in known]
    db.session.add_all(new)
    db.session.flush()
    return len(new)


def load_reference_data() -> dict[str, int]:
    """Insert every reference row that is missing (matched by code); never overwrite edits.

    :return: how many rows were added per table.
    """
    added = {"units": load_units()}
    added["ethnicities"] = _insert_missing(
        Ethnicity,
        _rows("ethnicities.csv"),
        lambda r: Ethnicity(
            code=r["code"],
            name=r["name"],
            code_2008=r["code_2008"] or None,
            is_minority=r["is_minority"] == "1",
            sort_order=int(r["sort_order"]),
        ),
    )
    added["categories"] = _insert_missing(
        ParticipantCategory,
        _rows("categories.csv"),
        lambda r: ParticipantCategory(
            code=r["code"],
            name=r["name"],
            name_en=r["name_en"],
            sort_order=int(r["sort_order"]),
            on_state_payroll=r["on_state_payroll"] == "1",
        ),
    )
    added["topics"] = _insert_missing(
        TrainingTopic,
        _rows("topics.csv"),
        lambda r: TrainingTopic(code=r["code"], name=r["name"], name_en=r["name_en"], sort_order=int(r["sort_order"])),
    )
    added["organisations"] = _load_organisations()
    added["signatories"] = _load_signatories()
    from app.costs.services import load_norms  # the costs domain owns its norms; seeded with the rest

    added["spending_norms"] = load_norms()
    from app.reports.framework import load_indicators  # the results framework's indicators, seeded likewise

    added["indicators"] = load_indicators()
    return added


def _load_organisations() -> int:
    by_code = {o.code: o for o in db.session.scalars(select(Organisation))}
    added = 0
    for row in _rows("organisations.csv"):
        if row["code"] in by_code:
            continue
        org = Organisation(
            code=row["code"],
            name=row["name"],
            short_name=row["short_name"],
            parent=by_code.get(row["parent_code"]),
            place_name=row["place_name"],
            valid_from=_date(row["valid_from"]),
            valid_to=_date(row["valid_to"]),
        )
        db.session.add(org)
        by_code[org.code] = org
        added += 1
    db.session.flush()
    return added


def _load_signatories() -> int:
    if db.session.scalar(select(Signatory.id).limit(1)) is not None:
        return 0
    orgs = {o.code: o for o in db.session.scalars(select(Organisation))}
    rows = _rows("signatories.csv")
    db.session.add_all(
        Signatory(
            organisation=orgs[r["organisation_code"]],
            full_name=r["full_name"],
            authority_line=r["authority_line"],
            title=r["title"],
            valid_from=_date(r["valid_from"]),
            valid_to=_date(r["valid_to"]),
        )
        for r in rows
    )
    db.session.flush()
    return len(rows)


def save_row(model, row, data: dict):
    """Create (``row`` None) or update a reference row from validated form data.

    :raises ValidationError: ``code`` already used by another row of the same table.
    """
    errors = {}
    if "code" in data:
        clash = db.session.scalar(select(model).where(model.code == data["code"]))
        if clash is not None and clash is not row:
            errors["code"] = _l("Mã này đã tồn tại.")
    errors.update(_organisation_link_errors(model, row, data))
    if errors:
        raise ValidationError("invalid_reference", _l("Dữ liệu danh mục không hợp lệ."), errors)
    values = {field: nfc(value) if isinstance(value, str) else value for field, value in data.items()}
    return audit.save_audited(row, model, values, list(data), model.__tablename__)


def _organisation_link_errors(model, row, data: dict) -> dict:
    """Links to organisations must point at one that exists, and never make a parent cycle."""
    errors = {}
    if "organisation_id" in data and db.session.get(Organisation, data["organisation_id"] or 0) is None:
        errors["organisation_id"] = _l("Cơ quan không tồn tại.")
    parent_id = data.get("parent_id")
    if model is Organisation and parent_id:
        parent = db.session.get(Organisation, parent_id)
        if parent is None:
            errors["parent_id"] = _l("Cơ quan cấp trên không tồn tại.")
        while parent is not None and row is not None:
            if parent.id == row.id:
                errors["parent_id"] = _l(
                    "Cơ quan cấp trên không được là chính cơ quan này hoặc cơ quan cấp dưới của nó."
                )
                break
            parent = parent.parent
    return errors


def ethnicities_query():
    return select(Ethnicity).order_by(Ethnicity.sort_order, Ethnicity.code)


def categories_query(active_only: bool = False):
    query = select(ParticipantCategory).order_by(ParticipantCategory.sort_order, ParticipantCategory.code)
    return query.where(ParticipantCategory.active.is_(True)) if active_only else query


def topics_query(active_only: bool = False):
    query = select(TrainingTopic).order_by(TrainingTopic.sort_order, TrainingTopic.code)
    return query.where(TrainingTopic.active.is_(True)) if active_only else query


def ethnicities():
    return db.session.scalars(ethnicities_query()).all()


def categories(active_only: bool = False):
    return db.session.scalars(categories_query(active_only)).all()


def topics(active_only: bool = False):
    return db.session.scalars(topics_query(active_only)).all()


# -- who issues and who signs a document ---------------------------------------------------------


def issuing_organisation(activity) -> Organisation | None:
    """The body whose name heads an activity's letters and certificates: the plan's, else the
    organising unit's parent (a department issues for its offices), else the first department."""
    if activity.plan and activity.plan.organisation:
        return activity.plan.organisation
    if activity.organiser_org:
        return activity.organiser_org.parent or activity.organiser_org
    return db.session.scalar(select(Organisation).where(Organisation.parent_id.is_not(None)).order_by(Organisation.id))


def signer_on(day: date, preferred: Signatory | None, organisation: Organisation | None) -> Signatory | None:
    """Who signs on ``day``: the preferred signer while their mandate runs, else whoever holds it then."""

    def valid(signer) -> bool:
        return (signer.valid_from is None or signer.valid_from <= day) and (
            signer.valid_to is None or day <= signer.valid_to
        )

    if preferred is not None and valid(preferred):
        return preferred
    candidates = db.session.scalars(
        select(Signatory)
        .where(Signatory.organisation_id == (organisation.id if organisation else None))
        .order_by(Signatory.id)
    ).all()
    return next((s for s in candidates if valid(s)), None)
