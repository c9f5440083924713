"""The materials library: checked uploads, versions, downloads, attached to activities."""

import io
import zipfile

import pytest
from sqlalchemy import func, select

from app.auth.models import Role
from app.extensions import db
from app.materials.models import ActivityMaterial, Material, MaterialVersion
from app.planning.models import ActivityStatus
from tests.factories import make_activity, make_session, make_user, unit

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def office_file(extra: dict | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
        for name, content in (extra or {}).items():
            archive.writestr(name, content)
    return buffer.getvalue()


def upload(client, filename, content, **fields):
    data = {
        "title": "Sổ tay hướng dẫn rà soát hộ nghèo",
        "author": "Phòng BTXH-TE",
        "file": (io.BytesIO(content), filename),
        **fields,
    }
    return client.post("/materials/new", data=data, content_type="multipart/form-data")


def materials_count():
    return db.session.scalar(select(func.count(Material.id)))


@pytest.fixture
def organiser(auth):
    user = make_user(Role.organiser)
    auth.login(user)
    return user


def test_a_pdf_is_kept_and_downloaded_as_uploaded(client, organiser):
    response = upload(client, "Sổ tay rà soát.pdf", PDF)
    assert response.status_code == 302
    material = db.session.scalars(select(Material).order_by(Material.id.desc())).first()
    version = material.current
    assert (version.version, version.size, version.content_type) == (1, len(PDF), "application/pdf")
    download = client.get(f"/materials/{material.id}/versions/{version.id}/download")
    assert download.data == PDF
    assert "attachment" in download.headers["Content-Disposition"]


def test_a_word_document_is_accepted(client, organiser):
    assert upload(client, "tai-lieu.docx", office_file()).status_code == 302


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        ("virus.exe", b"MZ\x90\x00", "Chỉ nhận tệp PDF, Word"),
        ("gia-pdf.pdf", b"MZ\x90\x00 not a pdf", "Nội dung tệp không phải PDF."),
        ("macro.docx", office_file({"word/vbaProject.bin": "x"}), "Tệp có macro"),
        ("hong.docx", b"PK\x03\x04 broken", "Tệp bị hỏng"),
        ("bomb.docx", office_file({"word/big.xml": "0" * 5_000_000}), "Tệp nén giải ra quá lớn"),
        ("rong.pdf", b"", "Tệp rỗng."),
        ("anh.png", b"\xff\xd8\xff not png", "Nội dung tệp không phải ảnh PNG."),
    ],
)
def test_unsafe_or_mislabelled_files_are_refused_and_nothing_is_kept(client, organiser, filename, content, message):
    before = materials_count()
    page = upload(client, filename, content).get_data(as_text=True)
    assert message in page
    assert materials_count() == before


def test_too_large_a_file_is_refused(app, client, organiser):
    app.config["MATERIALS_MAX_BYTES"] = 1024
    try:
        page = upload(client, "lon.pdf", PDF + b"0" * 2048).get_data(as_text=True)
    finally:
        app.config["MATERIALS_MAX_BYTES"] = 25 * 1024 * 1024
    assert "Tệp quá lớn" in page


def test_a_missing_file_or_title_says_so(client, organiser):
    page = client.post("/materials/new", data={"title": ""}, content_type="multipart/form-data").get_data(as_text=True)
    assert "Chọn tệp để tải lên." in page


def test_new_versions_keep_the_old_ones(client, organiser):
    upload(client, "ban-1.pdf", PDF)
    material = db.session.scalars(select(Material).order_by(Material.id.desc())).first()
    response = client.post(
        f"/materials/{material.id}/versions",
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(PDF + b"% v2"), "ban-2.pdf")},
    )
    assert response.status_code == 302
    versions = db.session.scalars(
        select(MaterialVersion).where(MaterialVersion.material_id == material.id).order_by(MaterialVersion.version)
    ).all()
    assert [(v.version, v.original_name) for v in versions] == [(1, "ban-1.pdf"), (2, "ban-2.pdf")]


def test_materials_attach_to_an_activity_and_its_sessions(client, organiser):
    upload(client, "so-tay.pdf", PDF)
    material = db.session.scalars(select(Material).order_by(Material.id.desc())).first()
    activity = make_activity()
    session = make_session(activity)
    other_session = make_session(make_activity())
    assert (
        client.post(
            f"/activities/{activity.id}/materials/attach", data={"material_id": material.id, "session_id": session.id}
        ).status_code
        == 302
    )
    page = client.post(
        f"/activities/{activity.id}/materials/attach", data={"material_id": material.id, "session_id": other_session.id}
    ).get_data(as_text=True)
    assert "Buổi học không thuộc hoạt động này." in page
    uses = db.session.scalars(select(ActivityMaterial).where(ActivityMaterial.activity_id == activity.id)).all()
    assert [(u.material_id, u.session_id) for u in uses] == [(material.id, session.id)]
    assert "so-tay.pdf" not in client.get(f"/activities/{activity.id}/materials").get_data(as_text=True)
    assert "Sổ tay hướng dẫn rà soát hộ nghèo" in client.get(f"/activities/{activity.id}/materials").get_data(
        as_text=True
    )


def test_district_officers_read_but_do_not_upload(client, auth):
    auth.login(make_user(Role.district, unit_code="188"))
    assert client.get("/materials/").status_code == 200
    assert upload(client, "x.pdf", PDF).status_code == 403
    hidden = make_activity(unit=unit("183"))
    assert client.get(f"/activities/{hidden.id}/materials").status_code == 404


def attached_material(client, activity):
    upload(client, "so-tay.pdf", PDF)
    material = db.session.scalars(select(Material).order_by(Material.id.desc())).first()
    client.post(f"/activities/{activity.id}/materials/attach", data={"material_id": material.id})
    return material


def test_participants_open_materials_from_the_link_without_an_account(app, client, organiser):
    from app.materials.services import participant_token

    activity = make_activity(title="Lớp tập huấn Đình Lập", status=ActivityStatus.approved)
    material = attached_material(client, activity)
    unattached = attached_material(client, make_activity())
    draft = make_activity(title="Lớp chưa duyệt")
    token = participant_token(activity)
    phone = app.test_client()  # nobody signed in

    page = phone.get(f"/m/{token}").get_data(as_text=True)
    assert "Lớp tập huấn Đình Lập" in page and material.title in page
    assert phone.get(f"/m/{token}/{material.current.id}").data == PDF
    assert phone.get(f"/m/{token}/{unattached.current.id}").status_code == 404
    assert phone.get(f"/m/{token[:-2]}xx").status_code == 404
    assert phone.get(f"/m/{participant_token(draft)}").status_code == 404  # not before approval


def test_the_participant_link_expires_and_dies_with_a_cancelled_activity(app, monkeypatch):
    import time

    from itsdangerous.timed import TimestampSigner

    from app.materials.services import participant_token

    activity = make_activity(status=ActivityStatus.approved)
    with app.test_request_context():
        fresh = participant_token(activity)
        with monkeypatch.context() as patch:  # signed 400 days ago
            patch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - 400 * 86400)
            old = participant_token(activity)
    client = app.test_client()
    assert client.get(f"/m/{fresh}").status_code == 200
    assert client.get(f"/m/{old}").status_code == 404
    activity.status = ActivityStatus.cancelled
    db.session.flush()
    assert client.get(f"/m/{fresh}").status_code == 404


def test_the_activity_page_offers_the_link_as_a_qr_code_a_phone_can_read(app, client, organiser):
    import shutil
    import subprocess

    from tests.conftest import skip_or_fail

    zbarimg = shutil.which("zbarimg")
    if zbarimg is None:
        skip_or_fail("zbarimg is not installed (apt-get install zbar-tools)", "REQUIRE_BROWSER")
    activity = make_activity(title="Lớp có mã QR", status=ActivityStatus.open)
    response = client.get(f"/activities/{activity.id}/materials/qr.png")
    assert response.headers["Content-Type"] == "image/png"
    run = subprocess.run([zbarimg, "--quiet", "--raw", "-"], input=response.data, capture_output=True, check=True)
    decoded = run.stdout.decode().strip()
    assert decoded.startswith(app.config["BASE_URL"] + "/m/")
    path = decoded.removeprefix(app.config["BASE_URL"])
    assert "Lớp có mã QR" in app.test_client().get(path).get_data(as_text=True)


def test_a_file_missing_on_this_server_is_a_logged_404(app, client, organiser, caplog, monkeypatch):
    # What a second app server without the shared MATERIALS_DIR would meet (docs/deployment.md).
    monkeypatch.setattr(app.logger, "disabled", False)  # Alembic's fileConfig in the suite's setup turns it off
    upload(client, "Sổ tay rà soát.pdf", PDF)
    material = db.session.scalars(select(Material).order_by(Material.id.desc())).first()
    from app.materials.services import file_path

    file_path(material.current).unlink()
    response = client.get(f"/materials/{material.id}/versions/{material.current.id}/download")
    assert response.status_code == 404
    assert "is MATERIALS_DIR shared?" in caplog.text
