"""Checking an uploaded material before it is kept: which types we take, each checked by content
(the shared checks of size, archives, macros and DTDs are app/core/uploads.py's)."""

from dataclasses import dataclass

from app.core import uploads
from app.core.i18n import lazy_gettext as _l
from app.errors import ValidationError

# Extension -> (content type, check of the first bytes or the archive).
OFFICE_XML = {"docx", "xlsx", "pptx"}
OPEN_DOCUMENT = {"odt", "ods", "odp"}
TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "txt": "text/plain; charset=utf-8",
}
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024


@dataclass
class CheckedFile:
    extension: str
    content_type: str
    data: bytes


def _refuse(message):
    raise ValidationError("invalid_file", message, {"file": message})


def check_upload(filename: str, data: bytes, max_bytes: int) -> CheckedFile:
    """Accept a document only when its content matches its extension and it is safe to hand out.

    :raises ValidationError: empty, too large, a type we do not take, content that is not what the
        name says, an Office file with macros, or an archive that expands beyond reason.
    """
    extension = uploads.extension_of(filename)
    uploads.check_size(data, max_bytes)
    if extension not in TYPES:
        _refuse(_l("Chỉ nhận tệp PDF, Word, Excel, PowerPoint, OpenDocument, ảnh JPG/PNG hoặc văn bản TXT."))
    if extension == "pdf" and not data.startswith(b"%PDF-"):
        _refuse(_l("Nội dung tệp không phải PDF."))
    if extension in ("jpg", "jpeg") and not data.startswith(b"\xff\xd8\xff"):
        _refuse(_l("Nội dung tệp không phải ảnh JPG."))
    if extension == "png" and not data.startswith(b"\x89PNG\r\n\x1a\n"):
        _refuse(_l("Nội dung tệp không phải ảnh PNG."))
    if extension == "txt":
        uploads.check_text(data)
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            _refuse(_l("Tệp văn bản phải mã hóa UTF-8."))
    if extension in OFFICE_XML | OPEN_DOCUMENT:
        required = "[Content_Types].xml" if extension in OFFICE_XML else "mimetype"
        uploads.check_zip(data, extension, required=required, max_expanded=MAX_UNCOMPRESSED_BYTES)
    return CheckedFile(extension, TYPES[extension], data)

