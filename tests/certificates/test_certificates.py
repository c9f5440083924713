"""Certificates: eligibility, issuing with serials, the PDF read back, QR verification, revoke and re-issue."""

import io
import re
import subprocess
import zipfile
from datetime import date

import pytest
from sqlalchemy import func, select

from app.attendance.models import Attendance, Method
from app.audit.models import AuditEntry
from app.auth.models import Role
from app.certificates import pdf, services
from app.certificates.models import Certificate, Register, Status
from app.errors import ConflictError, ValidationError
from app.evaluations import services as evaluations
from app.extensions import db
from app.people.models import Gender
from app.planning.models import ActivityStatus
from app.registration import services as registration
from tests.factories import make_activity, make_person, make_session, make_user, unit
from tests.registration.test_letters import tool

NAMES = ("Nguyễn Thị Hường", "Đàm Văn Chính", "Hoàng Thị Ngọc Ánh")


@pytest.fixture
def organiser(app_ctx):
    return make_user(Role.organiser)


@pytest.fixture
def certificates_dir(app, tmp_path):
    previous = app.config["CERTIFICATES_DIR"]
    app.config["CERTIFICATES_DIR"] = str(tmp_path / "certificates")
    yield tmp_path / "certificates"
    app.config["CERTIFICATES_DIR"] = previous


def course_with(organiser, attended: list[int], sessions: int = 5, names=NAMES, **fields):
    """A completed course of ``sessions`` sessions; person i attended ``attended[i]`` of them."""
    activity = make_activity(status=ActivityStatus.open, capacity=50, **fields)
    planned = [make_session(activity, day=i // 2, afternoon=bool(i % 2)) for i in range(sessions)]
    people = []
    for index, count in enumerate(attended):
        name = names[index] if index < len(names) else f"Lò Văn Học {index}"
        person = make_person(full_name=name, gender=Gender.female if "Thị" in name else Gender.male)
        registration.enrol(activity, person, organiser)
        for session in planned[:count]:
            db.session.add(
                Attendance(
                    session=session, person=person, checked_in_at=session.starts_at, method=Method.manual, flags=[]
                )
            )
        people.append(person)
    activity.status = ActivityStatus.completed
    db.session.flush()
    return activity, people


def pdf_text(data: bytes, tmp_path, *args) -> str:
    path = tmp_path / "c.pdf"
    path.write_bytes(data)
    return subprocess.run([tool("pdftotext"), *args, str(path), "-"], capture_output=True, check=True).stdout.decode()


# -- eligibility ---------------------------------------------------------------------------------


def test_eligibility_at_the_threshold_and_below(organiser):
    activity, people = course_with(organiser, [4, 3, 5])  # 80 %, 60 %, 100 % of 5 sessions
    rows = {row.person.id: row for row in services.eligibility(activity)}
    assert rows[people[0].id].eligible  # exactly 80 % is enough
    assert not rows[people[1].id].eligible
    assert "3/5" in str(rows[people[1].id].reasons[0]) and "80" in str(rows[people[1].id].reasons[0])
    assert rows[people[2].id].eligible


def test_a_required_post_test_that_is_missing_failed_or_absent(organiser):
    activity, people = course_with(organiser, [5, 5, 5])
    services.set_rule(activity, 80, True)
    rows = services.eligibility(activity)
    assert all("chưa có bài kiểm tra cuối khóa" in str(r.reasons).lower() for r in rows)  # no test exists
    test = evaluations.create(activity, {"kind": "post_test", "title": "Cuối khóa", "pass_mark": 50}, organiser)
    evaluations.add_question(test, {"type": "single", "text": "2 + 2?", "options": "3\n4", "correct": "2", "points": 1})
    question = test.questions[0]
    evaluations.submit(test, people[0], {str(question.id): "1"})  # right
    evaluations.submit(test, people[1], {str(question.id): "0"})  # wrong
    rows = {r.person.id: r for r in services.eligibility(activity)}
    assert rows[people[0].id].eligible and rows[people[0].id].post_test == "passed"
    assert rows[people[1].id].post_test == "failed" and not rows[people[1].id].eligible
    assert rows[people[2].id].post_test == "missing" and "Chưa làm" in str(rows[people[2].id].reasons[0])


def test_bad_rules_are_refused(organiser):
    activity, _ = course_with(organiser, [1])
    with pytest.raises(ValidationError):
        services.set_rule(activity, 120, False)


# -- issuing ---------------------------------------------------------------------------------------


def test_issuing_gives_consecutive_serials_files_and_audit(organiser, certificates_dir, client, auth):
    activity, people = course_with(organiser, [5, 4, 2])
    created = services.issue(activity, organiser)
    assert {c.person_id for c in created} == {people[0].id, people[1].id}
    numbers = sorted(c.number for c in created)
    assert numbers == [numbers[0], numbers[0] + 1]
    assert all(re.fullmatch(r"\d{4}/GCN-SLĐTBXH", c.serial) for c in created)
    assert all((certificates_dir / c.file_name).exists() and c.sha256 for c in created)
    assert services.issue(activity, organiser) == []  # nobody gets a second one
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "certificate.issue")) == 2
    with pytest.raises(ConflictError):
        services.issue(make_activity(status=ActivityStatus.approved), organiser)


def test_the_pdf_names_the_holder_with_every_diacritic(organiser, certificates_dir, tmp_path):
    activity, people = course_with(organiser, [5, 5, 5], title="Tập huấn cán bộ giảm nghèo cấp xã năm 2023")
    created = services.issue(activity, organiser)
    assert {c.person.full_name for c in created} == set(NAMES)
    for certificate in created:
        name = certificate.person.full_name
        text = pdf_text(services.pdf_bytes(certificate), tmp_path)
        for expected in (
            name,
            "GIẤY CHỨNG NHẬN",
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            "Độc lập - Tự do - Hạnh phúc",
            "Tập huấn cán bộ giảm nghèo cấp xã năm 2023",
            certificate.serial,
            "SỞ LAO ĐỘNG",
        ):
            assert expected in text, expected
        assert f"ngày {date.today():%d}" in text  # "Lạng Sơn, ngày 05 tháng 02 năm 2023" style


def test_the_qr_on_the_page_opens_the_verification(organiser, certificates_dir, tmp_path, client, app):
    activity, people = course_with(organiser, [5])
    (certificate,) = services.issue(activity, organiser)
    (tmp_path / "c.pdf").write_bytes(services.pdf_bytes(certificate))
    subprocess.run([tool("pdftoppm"), "-r", "150", "-png", str(tmp_path / "c.pdf"), str(tmp_path / "page")], check=True)
    image = next(tmp_path.glob("page*.png"))
    decoded = subprocess.run([tool("zbarimg"), "--quiet", "--raw", str(image)], capture_output=True, check=True)
    url = decoded.stdout.decode().strip()
    assert url == app.config["BASE_URL"].rstrip("/") + f"/verify/{certificate.code}"
    page = client.get(url.split("://", 1)[1].split("/", 1)[1].join(["/", ""]))
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Giấy chứng nhận còn hiệu lực." in text and people[0].full_name in text and certificate.serial in text
    body = client.get(f"/api/v1/verify/{certificate.code}").get_json()
    assert body["status"] == "valid" and body["full_name"] == people[0].full_name
    assert body["activity_title"] == activity.title and body["issued_on"] == date.today().isoformat()


def test_a_revoked_certificate_verifies_as_revoked(organiser, certificates_dir, client):
    activity, _ = course_with(organiser, [5])
    (certificate,) = services.issue(activity, organiser)
    with pytest.raises(ValidationError):
        services.revoke(certificate, organiser, "")
    services.revoke(certificate, organiser, "Cấp nhầm người")
    assert client.get(f"/api/v1/verify/{certificate.code}").get_json()["status"] == "revoked"
    assert "đã bị thu hồi" in client.get(f"/verify/{certificate.code}").get_data(as_text=True)
    with pytest.raises(ConflictError):
        services.revoke(certificate, organiser, "Lần nữa")


def test_reissue_gives_a_new_serial_and_the_old_one_says_so(organiser, certificates_dir, client, tmp_path):
    activity, people = course_with(organiser, [5])
    (old,) = services.issue(activity, organiser)
    people[0].full_name = "Nguyễn Thị Hường Anh"  # the name was misspelt on the registry
    new = services.reissue(old, organiser, "Sửa tên theo CCCD")
    assert new.number == old.number + 1 and new.replaces_id == old.id and old.status is Status.replaced
    view = client.get(f"/api/v1/verify/{old.code}").get_json()
    assert view["status"] == "revoked" and view["detail"] == "replaced" and view["replaced_by"] == new.serial
    assert client.get(f"/api/v1/verify/{new.code}").get_json()["full_name"] == "Nguyễn Thị Hường Anh"
    assert "Nguyễn Thị Hường Anh" in pdf_text(services.pdf_bytes(new), tmp_path)
    assert old.data["full_name"] == "Nguyễn Thị Hường"  # the register keeps what was issued


def test_unknown_codes_all_get_the_same_answer(client, app_ctx):
    answers = {client.get(f"/api/v1/verify/{code}").get_data(as_text=True) for code in ("x", "A" * 24, "1")}
    assert len(answers) == 1
    assert client.get("/api/v1/verify/x").status_code == 404 and client.get("/verify/zz").status_code == 404


def test_a_long_name_and_title_stay_inside_the_page(tmp_path):
    name = ("Hoàng Thị Ngọc Ánh Nguyễn " * 6)[:120]
    page = pdf.Page(
        parent_body="UBND tỉnh Lạng Sơn",
        issuing_body="Sở Lao động - Thương binh và Xã hội",
        title="GIẤY CHỨNG NHẬN",
        salutation="Bà",
        full_name=name,
        birth="Ngày sinh: 05/02/1985",
        unit="Xã Tú Đoạn",
        completion_line="Đã hoàn thành",
        course="Tập huấn nâng cao năng lực " * 12,
        period="từ ngày 10/05/2023 đến ngày 11/05/2023",
        venue="Hội trường",
        result="",
        date_line="Lạng Sơn, ngày 05 tháng 02 năm 2023",
        authority_line="KT. GIÁM ĐỐC",
        signer_title="PHÓ GIÁM ĐỐC",
        signer_name="Hoàng Văn Minh",
        serial="0001/GCN",
        verify_url="http://x/verify/abc",
    )
    html = pdf_text(pdf.render([page]), tmp_path, "-bbox")
    words = re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', html)
    width, height = re.search(r'<page width="([\d.]+)" height="([\d.]+)"', html).groups()
    assert words
    for x_min, _y_min, x_max, y_max, _word in words:
        assert float(x_min) >= 0 and float(x_max) <= float(width) - 15 and float(y_max) <= float(height)
    text = " ".join(w[4] for w in words)
    assert text.count("Ánh") == name.count("Ánh")  # every word of the name is on the page


def test_every_character_is_in_the_font():
    """The serif face covers Vietnamese (its italic does not, and is not used)."""
    from reportlab.pdfbase import pdfmetrics

    pdf.register_fonts()
    sample = "ẠạẢảẤấẦầẨẩẪẫẬậẮắẰằẲẳẴẵẶặẸẹẺẻẼẽẾếỀềỂểỄễỆệỈỉỊịỌọỎỏỐốỒồỔổỖỗỘộỚớỜờỞởỠỡỢợỤụỦủỨứỪừỬửỮữỰựỲỳỴỵỶỷỸỹĐđƠơƯư"
    for face in (pdf.REGULAR, pdf.BOLD):
        font = pdfmetrics.getFont(face)
        missing = [c for c in sample if ord(c) not in font.face.charToGlyph]
        assert missing == [], face


def test_a_missing_file_is_drawn_again_from_the_register(organiser, certificates_dir, tmp_path):
    activity, people = course_with(organiser, [5])
    (certificate,) = services.issue(activity, organiser)
    (certificates_dir / certificate.file_name).unlink()
    assert people[0].full_name in pdf_text(services.pdf_bytes(certificate), tmp_path)


# -- pages, downloads, scope ---------------------------------------------------------------------------


def test_the_organiser_issues_from_the_page_and_downloads_a_zip(organiser, certificates_dir, client, auth):
    activity, people = course_with(organiser, [5, 5, 1])
    auth.login(organiser)
    page = client.get(f"/activities/{activity.id}/certificates").get_data(as_text=True)
    assert "Cấp giấy chứng nhận cho 2 người đủ điều kiện" in page and "1/5" in page
    client.post(f"/activities/{activity.id}/certificates/issue")
    assert db.session.scalar(select(func.count(Certificate.id))) == 2
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/activities/{activity.id}/certificates.zip").data))
    assert len(archive.namelist()) == 2 and all(archive.read(n).startswith(b"%PDF") for n in archive.namelist())


def test_the_api_issues_and_serves_the_pdf(organiser, certificates_dir, api):
    activity, people = course_with(organiser, [5, 5])
    response = api("POST", f"/activities/{activity.id}/certificates", organiser)
    assert response.status_code == 201
    items = response.get_json()["items"]
    assert {i["person_id"] for i in items} == {p.id for p in people}
    assert all(i["status"] == "valid" and "/verify/" in i["verify_url"] for i in items)
    pdf_response = api("GET", f"/certificates/{items[0]['id']}/pdf", organiser)
    assert pdf_response.status_code == 200 and pdf_response.data.startswith(b"%PDF")
    assert api("POST", f"/activities/{activity.id}/certificates", organiser).get_json()["items"] == []


def test_a_district_officer_sees_only_their_peoples_certificates(organiser, certificates_dir, api):
    activity, (mine,) = course_with(organiser, [5], unit=unit("188"))
    theirs = make_person(district_code="178")
    registration_activity = activity
    from app.registration.models import Enrolment, EnrolmentStatus

    db.session.add(
        Enrolment(
            activity_id=registration_activity.id,
            person_id=theirs.id,
            status=EnrolmentStatus.registered,
            unit_id=theirs.unit_id,
        )
    )
    for session in activity.sessions:
        db.session.add(
            Attendance(session=session, person=theirs, checked_in_at=session.starts_at, method=Method.manual, flags=[])
        )
    db.session.flush()
    created = {c.person_id: c for c in services.issue(activity, organiser)}
    officer = make_user(Role.district, unit=unit("188"))
    assert api("GET", f"/certificates/{created[mine.id].id}/pdf", officer).status_code == 200
    assert api("GET", f"/certificates/{created[theirs.id].id}/pdf", officer).status_code == 404


def test_the_template_preview_and_bad_images(organiser, client, auth, tmp_path):
    auth.login(organiser)
    response = client.post(
        "/certificates/templates/new",
        data={
            "name": "Mẫu tập huấn",
            "activity_kind": "training",
            "title": "GIẤY CHỨNG NHẬN",
            "completion_line": "Đã hoàn thành lớp tập huấn",
            "min_attendance_percent": "75",
            "seal": (io.BytesIO(b"<svg>not an image</svg>"), "seal.png"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 200 and "Chỉ nhận ảnh PNG hoặc JPEG." in response.get_data(as_text=True)
    from PIL import Image

    png = io.BytesIO()
    Image.new("RGBA", (40, 40), (200, 0, 0, 180)).save(png, format="PNG")
    png.seek(0)
    saved = client.post(
        "/certificates/templates/new",
        data={
            "name": "Mẫu tập huấn",
            "activity_kind": "training",
            "title": "GIẤY CHỨNG NHẬN",
            "completion_line": "Đã hoàn thành lớp tập huấn",
            "min_attendance_percent": "75",
            "seal": (png, "seal.png"),
        },
        content_type="multipart/form-data",
    )
    assert saved.status_code == 302
    template_id = int(saved.location.rstrip("/").split("/")[-1])
    preview = client.get(f"/certificates/templates/{template_id}/preview.pdf")
    assert preview.status_code == 200
    assert "Hoàng Thị Ngọc Ánh" in pdf_text(preview.data, tmp_path)
    activity = make_activity(status=ActivityStatus.completed)
    assert services.rule_for(activity).min_attendance_percent == 75  # the training template's rule applies


def test_one_register_per_issuer_and_year(organiser, certificates_dir):
    first, _ = course_with(organiser, [5, 5])
    second, _ = course_with(organiser, [5])
    a = services.issue(first, organiser)
    b = services.issue(second, organiser)
    assert db.session.scalar(select(func.count(Register.id))) == 1
    assert sorted(c.number for c in a + b) == list(range(a[0].number, a[0].number + 3))


def test_verification_is_rate_limited(app, client, app_ctx):
    app.config["VERIFY_RATE_LIMIT"] = "3 per minute"
    try:
        statuses = [client.get("/api/v1/verify/guess-number-" + str(i)).status_code for i in range(4)]
    finally:
        app.config["VERIFY_RATE_LIMIT"] = "10000 per minute"
    assert statuses == [404, 404, 404, 429]


def test_a_district_officers_zip_holds_only_their_peoples_certificates(organiser, certificates_dir, client, auth):
    from app.registration.models import Enrolment, EnrolmentStatus

    activity, (mine,) = course_with(organiser, [5], unit=unit("188"))
    theirs = make_person(district_code="178")
    db.session.add(
        Enrolment(
            activity_id=activity.id, person_id=theirs.id, status=EnrolmentStatus.registered, unit_id=theirs.unit_id
        )
    )
    for session in activity.sessions:
        db.session.add(
            Attendance(session=session, person=theirs, checked_in_at=session.starts_at, method=Method.manual, flags=[])
        )
    db.session.flush()
    created = {c.person_id: c for c in services.issue(activity, organiser)}
    auth.login(make_user(Role.district, unit=unit("188")))
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/activities/{activity.id}/certificates.zip").data))
    assert archive.namelist() == [f"{created[mine.id].number:04d}-{mine.id}.pdf"]
    assert client.post(f"/certificates/{created[mine.id].id}/revoke", data={"reason": "x"}).status_code == 403
