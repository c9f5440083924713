"""Checking an uploaded file before anything parses or keeps it: one module for every upload.

Checks run on the bytes, cheapest first, and refuse with a translated message: size; content
that matches the extension; for zip-based formats (Office, OpenDocument) the archive's declared
expansion (in total and as a ratio), its member count, macros, and XML that declares a DTD —
entity expansion ("billion laughs") needs one, and Office files never carry one, so the check
does not depend on defusedxml being installed. zipfile never yields more than a member's declared
size (a member that lies about it fails its CRC check), so the declared sizes bound what any
later parser can inflate.
"""

import io
import zipfile

from app.core.i18n import lazy_gettext as _l
from app.errors import ValidationError

MAX_RATIO = 100  # real Office files compress 5-20 times; a bomb, thousands of times
MAX_MEMBERS = 2000  # a workbook or document has tens of parts
XML_HEAD_BYTES = 4096  # a DTD comes before the root element: the head of each part is enough
XML_SUFFIXES = (".xml", ".rels", ".vml")


def refuse(message, code: str = "invalid_file", field: str = "file"):
    raise ValidationError(code, message, {field: message})


def extension_of(filename: str) -> str:
    return filename.rsplit(".", 1)[-1].lower() if "." in (filename or "") else ""


def check_size(data: bytes, max_bytes: int) -> None:
    """:raises ValidationError: the file is empty or larger than ``max_bytes``."""
    if not data:
        refuse(_l("Tệp rỗng."))
    if len(data) > max_bytes:
        refuse(_l("Tệp quá lớn (%(s)s MB); tối đa %(m)s MB.", s=round(len(data) / 1048576, 1), m=max_bytes // 1048576))


def check_text(data: bytes) -> None:
    """A text format (CSV, TXT) holds no NUL byte: an executable or image renamed is refused here."""
    if b"\x00" in data[:65536]:
        refuse(_l("Nội dung tệp không phải văn bản (có thể là tệp chương trình hoặc ảnh đổi tên)."))


def check_zip(data: bytes, extension: str, required: str, max_expanded: int) -> list[str]:
    """Check a zip-based document before it is opened; return its member names.

    :param required: a member every genuine file of this type has (``xl/workbook.xml``).
    :param max_expanded: the most the members may expand to, together.
    :raises ValidationError: not a zip, too many members, expands too far, not this type, has
        macros, or an XML part declares a DTD.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        refuse(_l("Tệp bị hỏng hoặc không đúng định dạng."))
    if len(members) > MAX_MEMBERS:
        refuse(_l("Tệp nén có quá nhiều thành phần; không nhận."))
    expanded = sum(member.file_size for member in members)
    if expanded > max_expanded or expanded > MAX_RATIO * len(data):
        refuse(_l("Tệp nén giải ra quá lớn; không nhận."))
    names = [member.filename for member in members]
    lowered = [name.lower() for name in names]
    if required.lower() not in lowered:
        refuse(_l("Nội dung tệp không đúng với phần mở rộng .%(e)s.", e=extension))
    if any(name.endswith("vbaproject.bin") or name.startswith("basic/") for name in lowered):
        refuse(_l("Tệp có macro; hãy lưu lại dạng không có macro rồi tải lên."))
    for member in members:
        if member.filename.lower().endswith(XML_SUFFIXES) and _declares_dtd(archive, member):
            refuse(_l("Tệp có khai báo DTD/ENTITY không an toàn; không nhận."))
    return names


def _declares_dtd(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bool:
    try:
        with archive.open(member) as part:
            head = part.read(XML_HEAD_BYTES)
    except (zipfile.BadZipFile, ValueError, OSError, NotImplementedError, RuntimeError):
        refuse(_l("Tệp bị hỏng hoặc không đúng định dạng."))
    head = head.replace(b"\x00", b"")  # UTF-16 text read as bytes
    return b"<!DOCTYPE" in head or b"<!ENTITY" in head
