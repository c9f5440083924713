"""Benchmark: issuing 1.000 certificates for one activity against bare ReportLab + qrcode.

The issue asks: issuing 1,000 certificates (rendering, QR, files, register rows) takes no more
than 1.5x the time of bare ReportLab + qrcode drawing the same 1,000 pages in the same run, and
drawing must not hold the database lock.

In a temporary SQLite database (and PostgreSQL in a private schema when reachable): reference
data, an organiser, 1.000 people who attended both sessions of a two-session course plus 50 who
attended one (50 %, under the 80 % of the default template: they must get nothing). Each
repetition makes a fresh activity with the same people and times, one after the other:

* baseline "PNG QR": a small independent renderer (plain canvas, Source Serif Pro registered
  from ``font_source_serif_pro``, the same texts, A4 landscape) with ``qrcode.make(url)`` saved
  as PNG and placed with ``drawImage`` -- the straightforward way; one file per page;
* baseline "vector QR": the same renderer drawing the QR matrix as vector squares with a fixed
  mask pattern, as ``app/certificates/pdf.py`` does -- the strict comparison;
* ``services.issue(activity, organiser)`` inside a POST request context (as the view runs it:
  BEGIN IMMEDIATE and the app's write lock on SQLite) and the view's final commit; then checks:
  1.000 certificates to exactly the eligible people, a gap-free block of serials, 1.000 files
  whose sha256 is the one recorded, 1.000 audit rows.

Then one more activity is issued while another process writes to the database every 10 ms
(``UPDATE activities SET title = title`` on the activity being issued and ``UPDATE
certificate_registers SET last_number = last_number``: what a second batch would touch; on
SQLite any write needs the database's one write lock). The worst wait is reported for the
writes that fell entirely within drawing, and for the whole run (phases 1 and 3 do hold it).

Usage: .venv/bin/python bench/certificates_1000.py [people] [--repeat N] [--sqlite-only]
"""

import contextlib
import hashlib
import io
import multiprocessing
import random
import secrets
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import date, datetime
from datetime import time as clock
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import qrcode  # noqa: E402
from reportlab.lib.pagesizes import A4, landscape  # noqa: E402
from reportlab.lib.units import mm  # noqa: E402
from reportlab.lib.utils import ImageReader  # noqa: E402
from reportlab.pdfbase import pdfmetrics  # noqa: E402
from reportlab.pdfbase.ttfonts import TTFont  # noqa: E402
from reportlab.pdfgen import canvas  # noqa: E402

INELIGIBLE = 50  # people who attended one session of two
WRITE_EVERY = 0.010  # seconds between the other connection's writes


# -- the baseline: bare ReportLab + qrcode, no app ---------------------------------------------


def register_baseline_fonts() -> None:
    import font_source_serif_pro

    folder = Path(font_source_serif_pro.__path__[0]) / "files"
    pdfmetrics.registerFont(TTFont("BaseSerif", str(folder / "SourceSerifPro-Regular.ttf")))
    pdfmetrics.registerFont(TTFont("BaseSerif-Bold", str(folder / "SourceSerifPro-Bold.ttf")))


def qr_png(c, url: str, x: float, y: float, size: float) -> None:
    image = qrcode.make(url)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    buffer.seek(0)
    c.drawImage(ImageReader(buffer), x, y, size, size)


def qr_vector(c, url: str, x: float, y: float, size: float) -> None:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0, mask_pattern=2)
    code.add_data(url)
    code.make(fit=True)
    matrix = code.get_matrix()
    module = size / len(matrix)
    path = c.beginPath()
    for row_index, row in enumerate(matrix):
        for column_index, dark in enumerate(row):
            if dark:
                path.rect(x + column_index * module, y + size - (row_index + 1) * module, module, module)
    c.drawPath(path, stroke=0, fill=1)


def baseline_page(path: Path, page: dict, draw_qr) -> None:
    """One certificate, drawn the plain way: fixed sizes and positions, one file."""
    width, height = landscape(A4)
    c = canvas.Canvas(str(path), pagesize=(width, height))
    c.setStrokeColorRGB(0.55, 0.1, 0.1)
    c.setLineWidth(2)
    c.rect(12 * mm, 10 * mm, width - 24 * mm, height - 20 * mm)
    c.setStrokeColorRGB(0, 0, 0)
    top, left_x, right_x = height - 18 * mm, 75 * mm, width - 82 * mm
    lines = [
        ("BaseSerif", 13, left_x, top, page["parent_body"]),
        ("BaseSerif-Bold", 13, left_x, top - 17, page["issuing_body"]),
        ("BaseSerif-Bold", 13, right_x, top, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"),
        ("BaseSerif-Bold", 14, right_x, top - 17, "Độc lập - Tự do - Hạnh phúc"),
        ("BaseSerif-Bold", 30, width / 2, top - 78, "GIẤY CHỨNG NHẬN"),
        ("BaseSerif", 15, width / 2, top - 118, f"Chứng nhận {page['salutation'].lower()}:"),
        ("BaseSerif-Bold", 26, width / 2, top - 148, page["full_name"]),
        ("BaseSerif", 14, width / 2, top - 178, f"{page['birth']}    Đơn vị: {page['unit']}"),
        ("BaseSerif", 14, width / 2, top - 200, f"{page['completion_line']}:"),
        ("BaseSerif-Bold", 17, width / 2, top - 222, page["course"]),
        ("BaseSerif", 14, width / 2, top - 246, f"Thời gian: {page['period']}, tại {page['venue']}"),
        ("BaseSerif", 13, width - 75 * mm, 77 * mm, page["date_line"]),
        ("BaseSerif-Bold", 13, width - 75 * mm, 77 * mm - 18, page["authority_line"]),
        ("BaseSerif-Bold", 13, width - 75 * mm, 77 * mm - 34, page["signer_title"]),
        ("BaseSerif-Bold", 14, width - 75 * mm, 23 * mm, page["signer_name"]),
    ]
    for font, size, x, y, text in lines:
        c.setFont(font, size)
        c.drawCentredString(x, y, text)
    c.line(left_x - 22 * mm, top - 23, left_x + 22 * mm, top - 23)
    c.line(right_x - 31 * mm, top - 23, right_x + 31 * mm, top - 23)
    draw_qr(c, page["verify_url"], 25 * mm, 25 * mm, 30 * mm)
    c.setFont("BaseSerif", 11)
    c.drawString(59 * mm, 55 * mm - 11, f"Số vào sổ: {page['serial']}")
    c.setFont("BaseSerif", 8)
    c.drawString(59 * mm, 55 * mm - 26, f"Xác minh: {page['verify_url']}")
    c.showPage()
    c.save()


def run_baseline(pages: list[dict], folder: Path, draw_qr) -> float:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    start = time.perf_counter()
    for index, page in enumerate(pages):
        baseline_page(folder / f"{index:05d}.pdf", page, draw_qr)
    elapsed = time.perf_counter() - start
    assert len(list(folder.glob("*.pdf"))) == len(pages)
    return elapsed


# -- the other connection that writes while issuing runs ---------------------------------------


def writer(kind: str, target: str, activity_id: int, year: int, ready, stop, results) -> None:
    """Short write transactions every WRITE_EVERY s until ``stop``; (start, end, error) of each."""
    if kind == "sqlite":
        connection = sqlite3.connect(target, isolation_level=None)
        connection.execute("PRAGMA busy_timeout=30000")
        begin = "BEGIN IMMEDIATE"
        touch_activity = "UPDATE activities SET title = title WHERE id = ?"
        touch_register = "UPDATE certificate_registers SET last_number = last_number WHERE year = ?"
    else:
        import psycopg

        connection = psycopg.connect(target, autocommit=True)
        connection.execute("SET lock_timeout = '30s'")
        begin = "BEGIN"
        touch_activity = "UPDATE activities SET title = title WHERE id = %s"
        touch_register = "UPDATE certificate_registers SET last_number = last_number WHERE year = %s"
    statements = [
        (touch_activity, (activity_id,)),
        (touch_register, (year,)),
    ]
    log = []
    ready.set()
    while not stop.is_set():
        start = time.monotonic()
        error = None
        try:
            connection.execute(begin)
            for statement, parameters in statements:
                connection.execute(statement, parameters)
            connection.execute("COMMIT")
        except Exception as problem:  # a timeout is a result here, not a crash
            error = repr(problem)
            with contextlib.suppress(Exception):
                connection.execute("ROLLBACK")
        log.append((start, time.monotonic(), error))
        time.sleep(WRITE_EVERY)
    connection.close()
    results.put(log)


# -- the app side -----------------------------------------------------------------------------


def build_people(app, count: int) -> dict:
    """Reference data, an organiser, ``count`` + INELIGIBLE people; texts for the baseline."""
    from sqlalchemy import select

    from app.budget.services import load_year
    from app.certificates import services
    from app.demo.services import FAMILY, FEMALE_GIVEN, FEMALE_MIDDLE, MALE_GIVEN, MALE_MIDDLE
    from app.extensions import db
    from app.geo.models import AdminUnit, UnitLevel
    from app.geo.services import valid_on
    from app.people.models import Gender, Person
    from app.reference.services import load_reference_data
    from tests.factories import category, ethnicity, make_user

    rng = random.Random(7)
    with app.test_request_context():
        load_reference_data()
        load_year(2023)
        organiser = make_user(username="bench-organiser")
        communes = list(
            db.session.scalars(
                valid_on(select(AdminUnit).where(AdminUnit.level == UnitLevel.commune), date(2023, 6, 1))
            )
        )
        ethnicity_id, category_id = ethnicity().id, category().id
        people = []
        for _ in range(count + INELIGIBLE):
            female = rng.random() < 0.46
            name = " ".join(
                [
                    rng.choice(FAMILY),
                    rng.choice(FEMALE_MIDDLE if female else MALE_MIDDLE),
                    rng.choice(FEMALE_GIVEN if female else MALE_GIVEN),
                ]
            )
            born = date(rng.randint(1960, 2000), rng.randint(1, 12), rng.randint(1, 28))
            people.append(
                Person(
                    full_name=name,
                    gender=Gender.female if female else Gender.male,
                    birth_date=born,
                    birth_year=born.year,
                    level=UnitLevel.village,
                    ethnicity_id=ethnicity_id,
                    category_id=category_id,
                    unit=rng.choice(communes),
                )
            )
        db.session.add_all(people)
        db.session.commit()
        verify_prefix = services.verify_url("CODE")[: -len("CODE")]
        eligible = people[:count]
        texts = [
            {
                "parent_body": "UBND TỈNH LẠNG SƠN",
                "issuing_body": "SỞ LAO ĐỘNG - THƯƠNG BINH VÀ XÃ HỘI",
                "salutation": "Bà" if p.gender is Gender.female else "Ông",
                "full_name": p.full_name,
                "birth": f"Ngày sinh: {p.birth_date:%d/%m/%Y}",
                "unit": p.unit.full_name,
                "completion_line": "Đã hoàn thành lớp tập huấn, bồi dưỡng",
                "course": "Tập huấn nâng cao năng lực cán bộ giảm nghèo cấp xã, thôn, bản năm 2023",
                "period": "từ ngày 10/05/2023 đến ngày 11/05/2023",
                "venue": "Hội trường UBND huyện Lộc Bình",
                "date_line": f"Lạng Sơn, ngày {date.today():%d} tháng {date.today():%m} năm {date.today():%Y}",
                "authority_line": "KT. GIÁM ĐỐC",
                "signer_title": "PHÓ GIÁM ĐỐC",
                "signer_name": "Nguyễn Văn Mẫu",
                "serial": f"{index + 1:04d}/GCN-SLĐTBXH",
                "verify_url": verify_prefix + secrets.token_urlsafe(18),
            }
            for index, p in enumerate(eligible)
        ]
        return {
            "organiser_id": organiser.id,
            "eligible": [p.id for p in eligible],
            "ineligible": [p.id for p in people[count:]],
            "unit_of": {p.id: p.unit_id for p in people},
            "texts": texts,
        }


def make_course(app, data: dict, title: str) -> int:
    """A completed two-session course: the eligible attended both, the others one."""
    from sqlalchemy import insert

    from app.attendance.models import Attendance, Method
    from app.extensions import db
    from app.planning.models import ActivityStatus
    from app.registration.models import Enrolment, EnrolmentStatus
    from tests.factories import make_activity, make_session

    with app.test_request_context():
        everyone = data["eligible"] + data["ineligible"]
        activity = make_activity(
            status=ActivityStatus.open, capacity=len(everyone), title=title, start_date=date(2023, 5, 10)
        )
        sessions = [make_session(activity, day=0), make_session(activity, day=0, afternoon=True)]
        db.session.execute(
            insert(Enrolment),
            [
                {
                    "activity_id": activity.id,
                    "person_id": person_id,
                    "status": EnrolmentStatus.registered,
                    "unit_id": data["unit_of"][person_id],
                    "created_by_id": data["organiser_id"],
                }
                for person_id in everyone
            ],
        )
        attended = [(s, p) for s in sessions for p in data["eligible"]]
        attended += [(sessions[0], p) for p in data["ineligible"]]
        db.session.execute(
            insert(Attendance),
            [
                {
                    "session_id": session.id,
                    "person_id": person_id,
                    "checked_in_at": datetime.combine(session.starts_at.date(), clock(8, 0)),
                    "method": Method.manual,
                    "flags": [],
                }
                for session, person_id in attended
            ],
        )
        activity.status = ActivityStatus.completed
        db.session.commit()
        return activity.id


class PhaseClock:
    """Wraps the file-writing and drawing functions of the service to time the phases of one issue."""

    def __init__(self):
        from app.certificates import pdf, services

        self.services, self.pdf = services, pdf
        self.original_write, self.original_render = services._write, pdf.render
        self.first_write = self.last_write = None
        self.render_seconds = 0.0

    def __enter__(self):
        def write(drawing):
            if self.first_write is None:
                self.first_write = time.monotonic()
            try:
                return self.original_write(drawing)
            finally:
                self.last_write = time.monotonic()

        def render(pages):
            start = time.perf_counter()
            try:
                return self.original_render(pages)
            finally:
                self.render_seconds += time.perf_counter() - start

        self.services._write, self.pdf.render = write, render
        return self

    def __exit__(self, *exc):
        self.services._write, self.pdf.render = self.original_write, self.original_render


def run_issue(app, data: dict, activity_id: int) -> dict:
    """services.issue as the view runs it (POST request, commit after); phases; checks."""
    from app.auth.models import User
    from app.certificates import services
    from app.extensions import db
    from app.planning.models import Activity

    with app.test_request_context(method="POST"):
        start = time.monotonic()
        activity = db.session.get(Activity, activity_id)  # the view's first query: the write lock here
        organiser = db.session.get(User, data["organiser_id"])
        with PhaseClock() as phases:
            created = services.issue(activity, organiser)
        db.session.commit()
        end = time.monotonic()
        ids = [c.id for c in created]
    check(app, data, activity_id, ids)
    return {
        "total": end - start,
        "before_drawing": phases.first_write - start,
        "drawing": phases.last_write - phases.first_write,
        "after_drawing": end - phases.last_write,
        "render": phases.render_seconds,
        "window": (start, phases.first_write, phases.last_write, end),
    }


def check(app, data: dict, activity_id: int, ids: list[int]) -> None:
    from sqlalchemy import func, select

    from app.audit.models import AuditEntry
    from app.certificates.models import Certificate
    from app.extensions import db

    with app.test_request_context():
        rows = db.session.scalars(select(Certificate).where(Certificate.activity_id == activity_id)).all()
        assert sorted(c.id for c in rows) == sorted(ids), "issue returned other rows than it wrote"
        assert sorted(c.person_id for c in rows) == sorted(data["eligible"]), "not exactly the eligible people"
        numbers = sorted(c.number for c in rows)
        assert numbers == list(range(numbers[0], numbers[0] + len(rows))), "serials of the batch have a gap"
        register_id = rows[0].register_id
        every = db.session.scalars(select(Certificate.number).where(Certificate.register_id == register_id)).all()
        assert sorted(every) == list(range(1, len(every) + 1)), "the register has a gap"
        folder = Path(app.config["CERTIFICATES_DIR"])
        for certificate in rows:
            content = (folder / certificate.file_name).read_bytes()
            assert content.startswith(b"%PDF") and hashlib.sha256(content).hexdigest() == certificate.sha256
        assert not list(folder.rglob("*.tmp")), "a temporary file was left"
        audited = db.session.scalar(
            select(func.count(AuditEntry.id)).where(
                AuditEntry.action == "certificate.issue",
                AuditEntry.object_type == "certificates",
                AuditEntry.object_id.in_([str(i) for i in ids]),
            )
        )
        assert audited == len(rows), f"{audited} audit rows for {len(rows)} certificates"


def lock_demo(app, data: dict, kind: str, target: str) -> dict:
    """Issue one more activity while another process writes every WRITE_EVERY s."""
    activity_id = make_course(app, data, "Lớp đo khóa ghi")
    context = multiprocessing.get_context("spawn")
    ready, stop, results = context.Event(), context.Event(), context.Queue()
    process = context.Process(target=writer, args=(kind, target, activity_id, date.today().year, ready, stop, results))
    process.start()
    ready.wait(60)
    time.sleep(0.3)  # a few writes before issuing starts
    timing = run_issue(app, data, activity_id)
    time.sleep(0.3)
    stop.set()
    log = results.get(timeout=60)
    process.join(60)
    start, first_write, last_write, end = timing["window"]
    overlapping = [w for w in log if w[1] >= start and w[0] <= end]
    in_drawing = [w for w in log if w[0] >= first_write and w[1] <= last_write]
    errors = [w[2] for w in log if w[2]]
    return {
        **timing,
        "writes": len(overlapping),
        "writes_in_drawing": len(in_drawing),
        "worst_in_drawing": max((w[1] - w[0] for w in in_drawing), default=float("nan")),
        "median_in_drawing": statistics.median(w[1] - w[0] for w in in_drawing) if in_drawing else float("nan"),
        "worst_overall": max((w[1] - w[0] for w in overlapping), default=float("nan")),
        "errors": errors,
    }


def measure(app, count: int, repeat: int, label: str, scratch: Path, kind: str, target: str) -> dict:
    from app.certificates import pdf

    register_baseline_fonts()
    with app.app_context():
        pdf.register_fonts()  # both sides register their fonts once, outside the timings
    started = time.perf_counter()
    data = build_people(app, count)
    print(f"{label}: {count:,} + {INELIGIBLE} people in {time.perf_counter() - started:.1f} s", flush=True)
    runs = []
    for index in range(repeat):
        activity_id = make_course(app, data, f"Lớp đo số {index + 1}")
        png = run_baseline(data["texts"], scratch / "baseline-png", qr_png)
        vector = run_baseline(data["texts"], scratch / "baseline-vector", qr_vector)
        issued = run_issue(app, data, activity_id)
        runs.append({"png": png, "vector": vector, **issued})
        print(
            f"{label:<10} run {index + 1}: baseline PNG QR {png:6.2f} s, vector QR {vector:6.2f} s; "
            f"issue {issued['total']:6.2f} s (before drawing {issued['before_drawing']:.2f} s, drawing+files "
            f"{issued['drawing']:.2f} s of which pdf.render {issued['render']:.2f} s, "
            f"after {issued['after_drawing']:.2f} s)"
            f" -> x{issued['total'] / png:.2f} PNG, x{issued['total'] / vector:.2f} vector; checks passed",
            flush=True,
        )
    demo = lock_demo(app, data, kind, target)
    print(
        f"{label:<10} lock demo: issue {demo['total']:.2f} s (before drawing {demo['before_drawing']:.2f} s, "
        f"drawing {demo['drawing']:.2f} s, after {demo['after_drawing']:.2f} s); other connection: "
        f"{demo['writes']} writes during the issue, {demo['writes_in_drawing']} within drawing, worst wait there "
        f"{demo['worst_in_drawing'] * 1000:.1f} ms (median {demo['median_in_drawing'] * 1000:.1f} ms), worst "
        f"overall {demo['worst_overall'] * 1000:.0f} ms, errors {len(demo['errors'])} {demo['errors'][:1]}",
        flush=True,
    )
    return {"runs": runs, "demo": demo}


def report(label: str, count: int, result: dict) -> None:
    runs = result["runs"]

    def med(key: str) -> float:
        return statistics.median(run[key] for run in runs)

    png, vector, issued = med("png"), med("vector"), med("total")
    print(f"\n{label}: median of {len(runs)} run(s), {count:,} certificates")
    print(f"  {'':<34}{'total s':>9}{'ms/cert':>9}{'issue ÷ this':>14}")
    for name, value in (
        ("bare ReportLab + qrcode, PNG QR", png),
        ("bare ReportLab + qrcode, vector QR", vector),
        ("services.issue", issued),
    ):
        ratio = f"x{issued / value:.2f}" if name != "services.issue" else ""
        print(f"  {name:<34}{value:>9.2f}{value * 1000 / count:>9.1f}{ratio:>14}")
    print(
        f"  issue phases (median): before drawing {med('before_drawing'):.2f} s, drawing+files "
        f"{med('drawing'):.2f} s (pdf.render {med('render'):.2f} s), after {med('after_drawing'):.2f} s"
    )
    ratios = [(run["total"] / run["png"], run["total"] / run["vector"]) for run in runs]
    print(
        f"  per-run ratios issue ÷ PNG / ÷ vector: {', '.join(f'x{p:.2f}/x{v:.2f}' for p, v in ratios)}; median "
        f"x{statistics.median(p for p, _ in ratios):.2f} / x{statistics.median(v for _, v in ratios):.2f}"
    )
    demo = result["demo"]
    print(
        f"  another connection's write while drawing: worst {demo['worst_in_drawing'] * 1000:.1f} ms over "
        f"{demo['writes_in_drawing']} writes (whole issue: worst {demo['worst_overall'] * 1000:.0f} ms)"
    )


def main():
    from tests.conftest import (
        build_test_app,
        drop_postgres_schema,
        postgres_unavailable_reason,
        postgres_url,
        private_postgres_schema,
        upgrade_to_head,
    )

    args = sys.argv[1:]
    repeat = int(args[args.index("--repeat") + 1]) if "--repeat" in args else 1
    counts = [a for i, a in enumerate(args) if a.isdigit() and (i == 0 or args[i - 1] != "--repeat")]
    count = int(counts[0]) if counts else 1000
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "sqlite"
        folder.mkdir()
        app = build_test_app(f"sqlite:///{folder}/bench.db", folder)
        upgrade_to_head(app)
        results["SQLite"] = measure(app, count, repeat, "SQLite", Path(tmp), "sqlite", str(folder / "bench.db"))
        with app.app_context():
            from app.extensions import db

            db.engine.dispose()
        if postgres_unavailable_reason() is None and "--sqlite-only" not in args:
            schema = "bench_certificates"
            url = private_postgres_schema(postgres_url(), schema)
            folder = Path(tmp) / "postgresql"
            folder.mkdir()
            app = build_test_app(url, folder)
            upgrade_to_head(app)
            try:
                results["PostgreSQL"] = measure(app, count, repeat, "PostgreSQL", Path(tmp), "postgresql", url)
            finally:
                with app.app_context():
                    from app.extensions import db

                    db.session.remove()
                    db.engine.dispose()
                drop_postgres_schema(postgres_url(), schema)
    for label, result in results.items():
        report(label, count, result)


if __name__ == "__main__":
    main()
