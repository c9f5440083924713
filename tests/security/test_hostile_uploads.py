"""Hostile uploads: XML bomb, zip bombs (honest and lying headers), too many parts, macro workbooks,
wrong types and oversize bodies are refused early, with a translated message, nothing saved, and
memory flat, on every upload: the people import, the materials library and certificate images."""

import functools
import io
import struct
import tracemalloc
import zipfile
import zlib

import openpyxl
import pytest
from sqlalchemy import func, select

from app.auth.models import Role
from app.extensions import db
from app.materials.models import Material
from app.people.models import Person
from app.registration.models import Enrolment
from tests.factories import make_activity, make_user

MEMORY_BOUND = 50 * 1024 * 1024
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _workbook(extra: dict | None = None, replace: dict | None = None) -> bytes:
    """A genuine one-sheet workbook of the import's headers, with parts added or replaced."""
    book = openpyxl.Workbook()
    book.active.append(["Họ và tên", "Giới tính", "Ngày sinh", "Cấp", "Mã đơn vị hành chính"])
    source = io.BytesIO()
    book.save(source)
    out = io.BytesIO()
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in original.namelist():
            archive.writestr(name, (replace or {}).get(name, original.read(name)))
        for name, content in (extra or {}).items():
            archive.writestr(name, content)
    return out.getvalue()


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">' for i in range(1, 10))
    + ']><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
    "<si><t>&lol9;</t></si></sst>"
)


@functools.cache
def xml_bomb() -> bytes:
    return _workbook(extra={"xl/sharedStrings.xml": BILLION_LAUGHS})


def _streamed_member(archive, name: str, megabytes: int) -> None:
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    with archive.open(info, "w", force_zip64=True) as member:
        chunk = b" " * (1024 * 1024)
        for _ in range(megabytes):
            member.write(chunk)


@functools.cache
def zip_bomb() -> bytes:
    """A workbook whose parts declare (truthfully) 101 MB: ~100 kB on the wire."""
    out = io.BytesIO(_workbook())
    with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as archive:
        _streamed_member(archive, "xl/media/padding.xml", 101)
    return out.getvalue()


@functools.cache
def lying_zip_bomb() -> bytes:
    """The sheet itself inflates to 120 MB while both its headers claim 1 kB (no declared-size check
    can see it; only reading can). zipfile stops at the declared size and fails the CRC."""
    payload = b"<worksheet>" + b" " * (120 * 1024 * 1024)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    compressed = compressor.compress(payload) + compressor.flush()
    return _replace_member(_workbook(), b"xl/worksheets/sheet1.xml", compressed, 1024, zlib.crc32(payload))


def _replace_member(data: bytes, name: bytes, compressed: bytes, claimed_size: int, crc: int) -> bytes:
    """Rebuild a zip with ``name``'s compressed bytes swapped and its sizes claimed as given."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    central = []
    for info in source.infolist():
        raw = compressed if info.filename.encode() == name else source.read(info.filename)
        if info.filename.encode() != name:
            compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
            body, size, checksum = compressor.compress(raw) + compressor.flush(), len(raw), zlib.crc32(raw)
        else:
            body, size, checksum = raw, claimed_size, crc
        offset = out.tell()
        filename = info.filename.encode()
        out.write(struct.pack("<4s5H3I2H", b"PK\x03\x04", 20, 0, 8, 0, 0, checksum, len(body), size, len(filename), 0))
        out.write(filename + body)
        central.append((filename, checksum, len(body), size, offset))
    start = out.tell()
    for filename, checksum, compressed_size, size, offset in central:
        out.write(
            struct.pack(
                "<4s6H3I5H2I",
                b"PK\x01\x02",
                20,
                20,
                0,
                8,
                0,
                0,
                checksum,
                compressed_size,
                size,
                len(filename),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
        )
        out.write(filename)
    end = out.tell()
    out.write(struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, len(central), len(central), end - start, start, 0))
    return out.getvalue()


@functools.cache
def many_parts() -> bytes:
    return _workbook(extra={f"xl/media/p{i}.xml": b"<x/>" for i in range(2500)})


def png_claiming(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    pixels = zlib.compress(b"\x00" * 64)
    return (
        PNG_MAGIC
        + chunk(b"IHDR", struct.pack(">2I5B", width, height, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", pixels)
        + chunk(b"IEND", b"")
    )


SPREADSHEETS = [
    ("bom-xml.xlsx", xml_bomb, "DTD/ENTITY"),
    ("bom-nen.xlsx", zip_bomb, "Tệp nén giải ra quá lớn"),
    ("bom-noi-doi.xlsx", lying_zip_bomb, "Tệp bị hỏng"),
    ("nhieu-phan.xlsx", many_parts, "quá nhiều thành phần"),
    ("macro.xlsx", lambda: _workbook(extra={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0macro"}), "Tệp có macro"),
    ("macro.xlsm", lambda: _workbook(extra={"xl/vbaProject.bin": b"macro"}), "Chỉ nhận tệp"),
    ("anh.xlsx", lambda: png_claiming(10, 10), "Tệp bị hỏng"),
    ("chuong-trinh.exe", lambda: b"MZ\x90\x00\x03\x00\x00\x00" * 100, "Chỉ nhận tệp"),
    ("chuong-trinh.csv", lambda: b"MZ\x90\x00\x03\x00\x00\x00" * 100, "không phải văn bản"),
]


def _counts():
    return tuple(db.session.scalar(select(func.count(m.id))) for m in (Person, Enrolment, Material))


def _post_measured(client, url, data):
    """POST a multipart form; return (response, peak Python memory grown during the request)."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        response = client.post(url, data=data, content_type="multipart/form-data")
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    return response, peak


@pytest.mark.parametrize(("filename", "content", "message"), SPREADSHEETS, ids=[s[0] for s in SPREADSHEETS])
@pytest.mark.parametrize("target", ["import", "materials"])
def test_hostile_spreadsheets_are_refused_early_with_flat_memory(app, client, auth, filename, content, message, target):
    auth.login(make_user(Role.organiser))
    activity = make_activity()
    imports_dir = f"{app.instance_path}/imports"
    before, kept_before = _counts(), _files(imports_dir)
    data = content()
    if target == "import":
        url, form = f"/activities/{activity.id}/import", {"file": (io.BytesIO(data), filename)}
    else:
        url, form = "/materials/new", {"title": "Tài liệu", "file": (io.BytesIO(data), filename)}
        message = {"Chỉ nhận tệp": "Chỉ nhận tệp PDF", "không phải văn bản": "Chỉ nhận tệp PDF"}.get(message, message)
    response, peak = _post_measured(client, url, form)
    page = response.get_data(as_text=True)
    assert response.status_code in (200, 422) and message in page, (response.status_code, page[-1500:])
    assert len(data) < 1024 * 1024 or filename.endswith((".exe", ".csv"))  # small on the wire: bombs, not bulk
    assert "Traceback" not in page and "Ghi vào hệ thống" not in page
    assert _counts() == before and _files(imports_dir) == kept_before  # nothing saved
    assert peak < MEMORY_BOUND, f"{filename}: {peak / 1e6:.1f} MB"


def _files(directory) -> set:
    from pathlib import Path

    path = Path(directory)
    return {p.name for p in path.iterdir()} if path.exists() else set()


def test_an_image_bomb_is_refused_as_a_certificate_seal(client, auth):
    auth.login(make_user(Role.organiser))
    form = {
        "name": "Mẫu có dấu",
        "title": "GIẤY CHỨNG NHẬN",
        "completion_line": "Đã hoàn thành",
        "min_attendance_percent": "80",
        "activity_kind": "",
        "seal": (io.BytesIO(png_claiming(60_000, 60_000)), "dau.png"),
    }
    response, peak = _post_measured(client, "/certificates/templates/new", form)
    assert "Ảnh không đọc được hoặc quá lớn" in response.get_data(as_text=True)
    assert peak < MEMORY_BOUND


@pytest.mark.parametrize("language", ["vi", "en"])
def test_a_body_over_the_limit_is_413_with_a_translated_page(app, client, auth, language):
    auth.login(make_user(Role.organiser))
    client.post("/lang", data={"lang": language})
    activity = make_activity()
    limit = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    try:
        response = client.post(
            f"/activities/{activity.id}/import",
            data={"file": (io.BytesIO(b"0" * 200 * 1024), "lon.csv")},
            content_type="multipart/form-data",
        )
    finally:
        app.config["MAX_CONTENT_LENGTH"] = limit
    page = response.get_data(as_text=True)
    assert response.status_code == 413
    expected = "Tệp hoặc dữ liệu gửi lên quá lớn." if language == "vi" else "too large"
    assert expected in page and "Werkzeug" not in page and "Traceback" not in page


def test_the_refusal_reads_in_english_too(client, auth):
    auth.login(make_user(Role.organiser))
    client.post("/lang", data={"lang": "en"})
    activity = make_activity()
    page = client.post(
        f"/activities/{activity.id}/import",
        data={"file": (io.BytesIO(xml_bomb()), "bom.xlsx")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "unsafe DTD/ENTITY declaration" in page
