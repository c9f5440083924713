"""Keeping materials: storing checked uploads, versions, and attaching them to activities."""

import hashlib
import os
import secrets
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from app.audit import services as audit
from app.core.i18n import lazy_gettext as _l
from app.core.text import nfc
from app.errors import ValidationError
from app.extensions import db
from app.materials.files import check_upload
from app.materials.models import ActivityMaterial, Material, MaterialVersion
from app.planning.models import Activity, ActivitySession, ActivityStatus
from app.planning.services import check_editable
from app.reference.models import TrainingTopic


def storage_dir() -> Path:
    path = Path(current_app.config["MATERIALS_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def file_path(version: MaterialVersion) -> Path:
    return storage_dir() / version.stored_name


def _store(filename: str, data: bytes, material: Material, user) -> MaterialVersion:
    checked = check_upload(filename, data, current_app.config["MATERIALS_MAX_BYTES"])
    stored_name = f"{secrets.token_hex(16)}.{checked.extension}"
    # Written before the commit: a failed transaction leaves an unreferenced file with a random
    # name, never a row without its file.
    fd = os.open(storage_dir() / stored_name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    with os.fdopen(fd, "wb") as handle:
        handle.write(checked.data)
    number = max((v.version for v in material.versions), default=0) + 1
    safe_name = nfc(Path(filename).name)[:255] or stored_name
    version = MaterialVersion(
        material=material,
        version=number,
        original_name=safe_name,
        stored_name=stored_name,
        content_type=checked.content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by_id=getattr(user, "id", None),
    )
    db.session.add(version)
    return version


def _clean(data: dict) -> dict:
    errors = {}
    values = {
        "title": nfc(data.get("title")) or None,
        "description": nfc(data.get("description")) or None,
        "author": nfc(data.get("author")) or None,
        "topic_id": data.get("topic_id"),
    }
    if not values["title"]:
        errors["title"] = _l("Nhập tên tài liệu.")
    elif len(values["title"]) > 300:
        errors["title"] = _l("Tối đa %(n)s ký tự (đang có %(m)s).", n=300, m=len(values["title"]))
    if values["author"] and len(values["author"]) > 200:
        errors["author"] = _l("Tối đa %(n)s ký tự (đang có %(m)s).", n=200, m=len(values["author"]))
    if values["topic_id"] is not None and db.session.get(TrainingTopic, values["topic_id"]) is None:
        errors["topic_id"] = _l("Chuyên đề không có trong danh mục.")
    if errors:
        raise ValidationError("invalid_material", _l("Thông tin tài liệu chưa hợp lệ."), errors)
    return values


def create_material(data: dict, filename: str, content: bytes, user) -> Material:
    """A new material with its first version.

    :raises ValidationError: bad details or a file that fails the checks.
    """
    values = _clean(data)
    material = Material(**values, created_by_id=getattr(user, "id", None))
    db.session.add(material)
    version = _store(filename, content, material, user)
    db.session.flush()
    audit.record("material.create", material, after={**values, "file": version.original_name, "size": version.size})
    return material


def add_version(material: Material, filename: str, content: bytes, user) -> MaterialVersion:
    """A new version of a material; earlier versions stay downloadable."""
    version = _store(filename, content, material, user)
    db.session.flush()
    audit.record("material.version", material, after={"version": version.version, "file": version.original_name})
    return version


def attach(activity: Activity, material_id: int | None, session_id: int | None) -> ActivityMaterial:
    """Use a material in an activity (or one of its sessions).

    :raises ValidationError: unknown material, a session of another activity, or already attached.
    """
    check_editable(activity)
    material = db.session.get(Material, material_id) if material_id else None
    session = db.session.get(ActivitySession, session_id) if session_id else None
    if material is None:
        raise ValidationError("invalid_material", _l("Chọn một tài liệu."), {"material_id": _l("Chọn một tài liệu.")})
    if session_id and (session is None or session.activity_id != activity.id):
        raise ValidationError(
            "invalid_session",
            _l("Buổi học không thuộc hoạt động này."),
            {"session_id": _l("Buổi học không thuộc hoạt động này.")},
        )
    existing = db.session.scalar(
        select(ActivityMaterial).where(
            ActivityMaterial.activity_id == activity.id,
            ActivityMaterial.material_id == material.id,
            ActivityMaterial.session_id.is_(None) if session_id is None else ActivityMaterial.session_id == session_id,
        )
    )
    if existing is not None:
        raise ValidationError(
            "already_attached", _l("Tài liệu này đã được gắn."), {"material_id": _l("Tài liệu này đã được gắn.")}
        )
    use = ActivityMaterial(activity=activity, material=material, session=session)
    db.session.add(use)
    db.session.flush()
    audit.record("activity.material_attach", activity, after={"material_id": material.id, "session_id": session_id})
    return use


def detach(use: ActivityMaterial) -> None:
    check_editable(use.activity)
    audit.record("activity.material_detach", use.activity, before={"material_id": use.material_id})
    db.session.delete(use)
    db.session.flush()


def materials_query(topic_id: int | None = None, q: str | None = None):
    query = select(Material).order_by(Material.created_at.desc(), Material.id.desc())
    if topic_id:
        query = query.where(Material.topic_id == topic_id)
    if q:
        query = query.where(Material.title.icontains(nfc(q), autoescape=True))
    return query


def uses_of_activity(activity: Activity) -> list[ActivityMaterial]:
    return db.session.scalars(
        select(ActivityMaterial).where(ActivityMaterial.activity_id == activity.id).order_by(ActivityMaterial.id)
    ).all()


# -- participants' link -------------------------------------------------------------------------

LINK_SALT = "activity-materials-v1"
# Participants reach materials of activities that are going ahead: approved onward, not cancelled.
PARTICIPANT_STATUSES = (
    ActivityStatus.approved,
    ActivityStatus.open,
    ActivityStatus.in_progress,
    ActivityStatus.completed,
    ActivityStatus.settled,
)
LINK_DAYS = 365


def _serializer():
    from itsdangerous import URLSafeTimedSerializer

    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=LINK_SALT)


def participant_token(activity: Activity) -> str:
    """A signed token that opens this activity's materials without an account (phones, QR)."""
    return _serializer().dumps({"v": 1, "a": activity.id})


def activity_for_token(token: str) -> Activity | None:
    """The activity a participant token opens; None when forged, expired or for a cancelled activity."""
    from itsdangerous import BadSignature

    try:
        payload = _serializer().loads(token, max_age=LINK_DAYS * 24 * 3600)
    except BadSignature:
        return None
    activity = db.session.get(Activity, payload.get("a")) if isinstance(payload, dict) else None
    if activity is None or activity.status not in PARTICIPANT_STATUSES:
        return None
    return activity


def qr_response(data: str):
    """A response carrying the QR code of ``data`` as a PNG image."""
    from flask import make_response

    response = make_response(qr_png(data))
    response.headers["Content-Type"] = "image/png"
    return response


def qr_png(url: str) -> bytes:
    import io

    import qrcode

    image = qrcode.make(url, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
