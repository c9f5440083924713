"""Invitation letters: a real PDF, read back by poppler, whose QR codes a real decoder accepts."""

import shutil
import subprocess

import pytest

from app.auth.models import Role
from app.extensions import db
from app.people.models import Gender
from app.planning.models import ActivityStatus
from app.registration import services
from tests.conftest import skip_or_fail
from tests.factories import make_activity, make_person, make_user


def tool(name):
    path = shutil.which(name)
    if path is None:
        skip_or_fail(f"{name} is not installed (apt-get install poppler-utils zbar-tools)", "REQUIRE_BROWSER")
    return path


@pytest.fixture
def letters_pdf(client, auth):
    organiser = make_user(Role.organiser)
    activity = make_activity(status=ActivityStatus.open, title="Tập huấn cán bộ giảm nghèo huyện Đình Lập")
    people = [
        make_person(full_name="Nguyễn Thị Hường", gender=Gender.female, position="Trưởng thôn"),
        make_person(full_name="Đàm Văn Chính"),
    ]
    enrolments = [services.enrol(activity, p, organiser) for p in people]
    db.session.flush()
    auth.login(organiser)
    response = client.get(f"/activities/{activity.id}/letters.pdf")
    assert response.headers["Content-Type"] == "application/pdf"
    return response.data, enrolments


def test_letters_are_in_vietnamese_one_page_per_participant(letters_pdf, tmp_path):
    pdf, _ = letters_pdf
    (tmp_path / "letters.pdf").write_bytes(pdf)
    text = subprocess.run(
        [tool("pdftotext"), "-layout", str(tmp_path / "letters.pdf"), "-"], capture_output=True, check=True
    ).stdout.decode()
    pages = text.split("\f")
    assert len([p for p in pages if p.strip()]) == 2
    # Pages follow the Vietnamese list order, by given name: Chính, then Hường.
    assert "Ông: Đàm Văn Chính" in pages[0]
    second = pages[1]
    for expected in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "GIẤY TRIỆU TẬP",
        "Bà: Nguyễn Thị Hường",
        "Trưởng thôn",
        "Tập huấn cán bộ giảm nghèo huyện Đình Lập",
        "SỞ LAO ĐỘNG - THƯƠNG BINH VÀ XÃ HỘI",
        "Đàm Văn Chính",
        "KT. GIÁM ĐỐC",
    ):
        assert expected in second, expected


def test_the_qr_on_each_letter_is_accepted_by_the_system(letters_pdf, tmp_path):
    pdf, enrolments = letters_pdf
    (tmp_path / "letters.pdf").write_bytes(pdf)
    subprocess.run(
        [tool("pdftoppm"), "-r", "150", "-png", str(tmp_path / "letters.pdf"), str(tmp_path / "page")], check=True
    )
    payloads = []
    for image in sorted(tmp_path.glob("page*.png")):
        result = subprocess.run([tool("zbarimg"), "--quiet", "--raw", str(image)], capture_output=True, check=True)
        payloads.append(result.stdout.decode().strip())
    assert [services.find_by_qr(p) for p in payloads] == list(reversed(enrolments))  # Chính, then Hường


def test_no_letters_without_registered_people(client, auth):
    auth.login(make_user(Role.organiser))
    activity = make_activity(status=ActivityStatus.open)
    response = client.get(f"/activities/{activity.id}/letters.pdf", follow_redirects=True)
    assert "Chưa có ai đã đăng ký để in giấy triệu tập." in response.get_data(as_text=True)
