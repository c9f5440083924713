"""How objects look in the API (field names per shared API.md)."""

from datetime import UTC, datetime


def utc_iso(value: datetime) -> str:
    return value.replace(tzinfo=UTC).isoformat()


def _iso(value):
    return value.isoformat() if value else None


def unit(u) -> dict:
    return {
        "id": u.id,
        "code": u.code,
        "name": u.name,
        "level": u.level.value,
        "kind": u.kind.value,
        "parent_id": u.parent_id,
        "valid_from": _iso(u.valid_from),
        "valid_to": _iso(u.valid_to),
        "successor_ids": [s.id for s in u.successors],
    }


def ethnicity(e) -> dict:
    return {
        "code": e.code,
        "name": e.name,
        "is_minority": e.is_minority,
        "code_system": e.code_system,
        "code_2008": e.code_2008,
    }


def named(row) -> dict:
    return {"code": row.code, "name": row.name, "name_en": row.name_en, "active": row.active}


def person(p) -> dict:
    return {
        "id": p.id,
        "full_name": p.full_name,
        "gender": p.gender.value,
        "birth_date": _iso(p.birth_date),
        "birth_year": p.year_of_birth,
        "ethnicity_code": p.ethnicity.code if p.ethnicity else None,
        "id_number": p.masked_id_number,
        "phone": p.phone,
        "unit_id": p.unit_id,
        "level": p.level.value,
        "category": p.category.code if p.category else None,
        "position": p.position,
        "workplace": p.workplace,
        "merged_into_id": p.merged_into_id,
    }
