"""Checking an uploaded file before it is kept: size, type by content, no macros, no zip bombs."""

import io
import zipfile
from dataclasses import dataclass

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
MAX_UNCOMPRESSED_RATIO = 100
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
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if not data:
        _refuse(_l("Tệp rỗng."))
    if len(data) > max_bytes:
        _refuse(_l("Tệp quá lớn (%(s)s MB); tối đa %(m)s MB.", s=round(len(data) / 1048576, 1), m=max_bytes // 1048576))
    if extension not in TYPES:
        _refuse(_l("Chỉ nhận tệp PDF, Word, Excel, PowerPoint, OpenDocument, ảnh JPG/PNG hoặc văn bản TXT."))
    if extension == "pdf" and not data.startswith(b"%PDF-"):
        _refuse(_l("Nội dung tệp không phải PDF."))
    if extension in ("jpg", "jpeg") and not data.startswith(b"\xff\xd8\xff"):
        _refuse(_l("Nội dung tệp không phải ảnh JPG."))
    if extension == "png" and not data.startswith(b"\x89PNG\r\n\x1a\n"):
        _refuse(_l("Nội dung tệp không phải ảnh PNG."))
    if extension == "txt":
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            _refuse(_l("Tệp văn bản phải mã hóa UTF-8."))
    if extension in OFFICE_XML | OPEN_DOCUMENT:
        _check_archive(data, extension)
    return CheckedFile(extension, TYPES[extension], data)


def _check_archive(data: bytes, extension: str) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = archive.namelist()
        total = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        _refuse(_l("Tệp bị hỏng hoặc không đúng định dạng."))
    if total > MAX_UNCOMPRESSED_BYTES or total > MAX_UNCOMPRESSED_RATIO * max(len(data), 1):
        _refuse(_l("Tệp nén giải ra quá lớn; không nhận."))
    expected = "[Content_Types].xml" if extension in OFFICE_XML else "mimetype"
    if expected not in names:
        _refuse(_l("Nội dung tệp không đúng với phần mở rộng .%(e)s.", e=extension))
    if any(name.lower().endswith("vbaproject.bin") or name.lower().startswith("basic/") for name in names):
        _refuse(_l("Tệp có macro; hãy lưu lại dạng không có macro rồi tải lên."))
