"""Editing certificate templates: wording, signer, rule defaults, seal and signature images.

Images are checked before they are kept: PNG or JPEG by their content, at most 1 MB and
2.000 pixels a side, decoded by Pillow and saved again as PNG (which drops anything else a file
may carry).
"""

import io

from sqlalchemy import select

from app.audit import services as audit
from app.certificates.models import CertificateTemplate
from app.core.i18n import lazy_gettext as _l
from app.core.text import nfc
from app.errors import ValidationError
from app.extensions import db
from app.planning.models import ActivityKind
from app.reference.models import Signatory

MAX_IMAGE_BYTES = 1024 * 1024
MAX_SIDE = 2000


def fill_choices(form) -> None:
    form.activity_kind.choices = [("", _l("Mọi loại (mẫu chung)"))] + [(k.value, k.label) for k in ActivityKind]
    form.signatory_id.choices = [(None, "—")] + [
        (s.id, s.label) for s in db.session.scalars(select(Signatory).order_by(Signatory.id))
    ]


def _image(upload, field: str) -> bytes | None:
    if upload is None or not getattr(upload, "filename", ""):
        return None
    from PIL import Image, UnidentifiedImageError

    data = upload.read(MAX_IMAGE_BYTES + 1)
    message = None
    if len(data) > MAX_IMAGE_BYTES:
        message = _l("Ảnh tối đa 1 MB.")
    elif not (data.startswith(b"\x89PNG\r\n\x1a\n") or data.startswith(b"\xff\xd8\xff")):
        message = _l("Chỉ nhận ảnh PNG hoặc JPEG.")
    if message is None:
        try:
            with Image.open(io.BytesIO(data)) as probe:
                if max(probe.size) > MAX_SIDE:
                    raise ValueError
                probe.load()
                out = io.BytesIO()
                probe.convert("RGBA").save(out, format="PNG")
                return out.getvalue()
        except (UnidentifiedImageError, ValueError, OSError, Image.DecompressionBombError):
            message = _l("Ảnh không đọc được hoặc quá lớn (tối đa %(n)s điểm ảnh mỗi cạnh).", n=MAX_SIDE)
    raise ValidationError("invalid_image", message, {field: message})


def save(template: CertificateTemplate | None, data: dict, files) -> CertificateTemplate:
    errors = {}
    name, title, line = (nfc(data.get(k)) or "" for k in ("name", "title", "completion_line"))
    if not name or len(name) > 120:
        errors["name"] = _l("Nhập tên mẫu (tối đa 120 ký tự).")
    if not title or len(title) > 120:
        errors["title"] = _l("Nhập tên giấy (tối đa 120 ký tự).")
    if not line or len(line) > 200:
        errors["completion_line"] = _l("Nhập câu xác nhận (tối đa 200 ký tự).")
    kind = data.get("activity_kind") or None
    if kind is not None and kind not in {k.value for k in ActivityKind}:
        errors["activity_kind"] = _l("Chọn loại hoạt động.")
    percent = data.get("min_attendance_percent")
    if percent is None or not 0 <= percent <= 100:
        errors["min_attendance_percent"] = _l("Tỷ lệ tham dự tối thiểu từ 0 đến 100 %.")
    clash = db.session.scalar(
        select(CertificateTemplate).where(
            CertificateTemplate.activity_kind.is_(None) if kind is None else CertificateTemplate.activity_kind == kind
        )
    )
    if clash is not None and clash is not template:
        errors["activity_kind"] = _l("Loại hoạt động này đã có mẫu riêng.")
    seal = signature = None
    try:
        seal = _image(files.get("seal"), "seal")
        signature = _image(files.get("signature"), "signature")
    except ValidationError as problem:
        errors.update(problem.fields)
    if errors:
        raise ValidationError("invalid_template", _l("Kiểm tra lại các trường được đánh dấu."), errors)
    created = template is None
    template = template or CertificateTemplate()
    template.name, template.title, template.completion_line, template.activity_kind = name, title, line, kind
    template.signatory_id = data.get("signatory_id")
    template.min_attendance_percent, template.requires_post_test = percent, bool(data.get("requires_post_test"))
    if data.get("remove_images"):
        template.seal_png = template.signature_png = None
    template.seal_png = seal or template.seal_png
    template.signature_png = signature or template.signature_png
    db.session.add(template)
    db.session.flush()
    audit.record(
        "certificate_template.create" if created else "certificate_template.update",
        template,
        after={"name": name, "kind": kind, "min": percent, "post_test": template.requires_post_test},
    )
    return template
