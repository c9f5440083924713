"""Durability under SIGKILL: no acknowledged write is lost, none is doubled, no import is half-done.

Serves the app with gunicorn on a temporary SQLite database (the fixture and server helpers of
bench/checkin_burst.py) while, over real HTTP,
- check-in clients post phone numbers to the sessions' check-in pages (the flow of
  checkin_burst.py), retrying what got no answer as a phone would, and
- an organiser imports lists of new people (dry run, then commit: the pages' two steps), one
  batch after another, each batch marked by its "Nơi công tác" so it can be counted,
and meanwhile kills the gunicorn master and every worker with SIGKILL at random moments,
restarting on the same port each time. At the end, on the database file:
- PRAGMA integrity_check is "ok" and PRAGMA foreign_key_check finds nothing;
- the reports' trained pairs (kept by triggers) are exactly the attendance rows' pairs,
  and the all-years groups kept from them are exactly those pairs grouped again;
- every check-in that was acknowledged (HTTP 200, checked_in or already_checked_in) exists,
  exactly once; no (session, person) pair has two rows; every attendance has its audit entry;
- every import batch is either entirely present (people, enrolments) or entirely absent, and
  every acknowledged batch (the commit's redirect to the enrolment list) is entirely present.
Exits non-zero on any loss, duplicate, half-import or failed check.
Usage: .venv/bin/python bench/durability_sigkill.py [--kills 20] [--seed N] [--people 300]
"""

import argparse
import contextlib
import csv
import http.client
import io
import json
import os
import queue
import random
import re
import signal
import sqlite3
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from app.core.time import utcnow  # noqa: E402
from app.demo.services import FAMILY, FEMALE_GIVEN, FEMALE_MIDDLE, MALE_GIVEN, MALE_MIDDLE  # noqa: E402
from app.extensions import db  # noqa: E402
from app.geo.models import AdminUnit, UnitLevel  # noqa: E402
from app.geo.services import valid_on  # noqa: E402
from app.planning.models import Activity, ActivityKind, ActivityStatus  # noqa: E402
from bench.checkin_burst import SECRET_KEY, Server, build_app_database, code_for  # noqa: E402

ORGANISER, ORGANISER_PASSWORD = "to-chuc", "mật khẩu đủ dài"  # made by build_app_database
BATCH_MARK = "Lô nhập {n}"  # the "Nơi công tác" of every row of batch n


@dataclass
class Figures:
    kills: int = 0
    checkins_acknowledged: int = 0  # distinct (session, phone) pairs the server acknowledged
    checkin_answers: dict = field(default_factory=dict)
    checkin_retries: int = 0
    imports_acknowledged: int = 0
    imports_unknown: int = 0  # the commit was sent, the answer never came (killed meanwhile)
    imports_unknown_present: int = 0  # ... of which the server had committed before it died
    imports_refused: list = field(default_factory=list)
    rows_per_batch: int = 0
    integrity: str = ""
    foreign_key_violations: int = 0
    lost: int = 0
    duplicates: int = 0
    missing_audits: int = 0
    half_imports: int = 0
    stale_pairs: int = 0  # trained_pairs rows that disagree with the attendance rows
    stale_groups: int = 0  # trained_groups rows that disagree with the pairs grouped again
    lost_imports: int = 0
    attendances: int = 0
    imported_people: int = 0
    seconds: float = 0.0
    errors: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (
            self.integrity == "ok"
            and not self.foreign_key_violations
            and not (self.lost or self.duplicates or self.missing_audits or self.half_imports or self.lost_imports)
            and not (self.stale_pairs or self.stale_groups)
            and self.checkins_acknowledged > 0
            and self.imports_acknowledged > 0
            and not self.imports_refused
        )

    def lines(self) -> list[str]:
        return [
            f"kills (SIGKILL to master and workers): {self.kills} in {self.seconds:.0f} s",
            f"check-ins acknowledged: {self.checkins_acknowledged} (answers {self.checkin_answers}; "
            f"{self.checkin_retries} retries after no answer)",
            f"imports acknowledged: {self.imports_acknowledged} batches of {self.rows_per_batch} rows; "
            f"{self.imports_unknown} commits cut off by a kill ({self.imports_unknown_present} of them whole in the"
            f" database, the rest absent); refused: {len(self.imports_refused)}",
            f"database: integrity_check {self.integrity}; foreign_key_check {self.foreign_key_violations} rows; "
            f"{self.attendances} attendances ({self.attendances - self.checkins_acknowledged} written but never"
            f" acknowledged: killed before the answer), {self.imported_people} imported people",
            f"lost: {self.lost}, duplicates: {self.duplicates}, attendances without audit entry: "
            f"{self.missing_audits}, half-imports: {self.half_imports}, acknowledged imports missing: "
            f"{self.lost_imports}, trained pairs disagreeing with attendance: {self.stale_pairs}, "
            f"kept groups disagreeing with the pairs: {self.stale_groups}",
            *(f"! {error}" for error in self.errors[:10]),
        ]


# -- the server, killed and restarted ---------------------------------------------------------------


def children_of(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def kill_everything(server: Server) -> None:
    """SIGKILL to the master and each worker at once: nobody gets to finish, flush or clean up."""
    pids = [server.process.pid, *children_of(server.process.pid)]
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):  # a worker may have died with its master
            os.kill(pid, signal.SIGKILL)
    server.process.wait()
    for pid in pids[1:]:  # workers are not our children: wait until the kernel has them gone
        while Path(f"/proc/{pid}").exists() and "Z" not in _state(pid):
            time.sleep(0.01)
    server.log.close()


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


def wait_up(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/login")
            status = connection.getresponse().status
            connection.close()
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError("gunicorn did not answer within 60 s")


# -- check-in clients ---------------------------------------------------------------------------------


class Codes:
    """The session codes the QR shows now, computed like the server does (same SECRET_KEY)."""

    def __init__(self, app):
        self.app, self.lock, self.cache = app, threading.Lock(), {}

    def __call__(self, session_id: int) -> str:
        with self.lock:
            code, at = self.cache.get(session_id, (None, 0.0))
            if code is None or time.monotonic() - at > 5:
                code = code_for(self.app, session_id)
                self.cache[session_id] = (code, time.monotonic())
            return code


def checkin_client(port: int, work: queue.SimpleQueue, codes: Codes, stop: threading.Event, out: dict) -> None:
    connection, pending = None, None
    while not stop.is_set():
        if pending is None:
            try:
                pending = work.get_nowait()
            except queue.Empty:
                return
        session_id, phone = pending
        try:
            if connection is None:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request(
                "POST",
                f"/c/{session_id}/{codes(session_id)}",
                body=json.dumps({"phone": phone, "nonce": uuid.uuid4().hex}),
                headers={"Content-Type": "application/json", "Accept": "application/json"},
            )
            response = connection.getresponse()
            status, payload = response.status, response.read()
        except (OSError, http.client.HTTPException):
            if connection is not None:
                connection.close()
            connection = None
            status, payload = 0, b""
        answer = json.loads(payload).get("status") if status == 200 else None
        with out["lock"]:
            if answer in ("checked_in", "already_checked_in"):
                out["acknowledged"].add((session_id, phone))
                out["answers"][answer] = out["answers"].get(answer, 0) + 1
                pending = None
            elif status == 0 or status >= 500:
                out["retries"] += 1  # no answer: the phone tries the same check-in again
            else:
                out["refused"].append(f"{status} {payload[:200]!r}")
                pending = None
        if status == 0:
            time.sleep(0.05)
    if connection is not None:
        connection.close()


# -- the importing organiser ------------------------------------------------------------------------


class Browser:
    """A person's browser, reduced to what the import pages need: one cookie, CSRF tokens, forms."""

    def __init__(self, port: int):
        self.port, self.cookie = port, None

    def request(self, method: str, path: str, body: bytes | None = None, content_type: str | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Cookie": self.cookie} if self.cookie else {}
        if content_type:
            headers["Content-Type"] = content_type
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode(errors="replace")
        finally:
            connection.close()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie" and value.startswith("session="):
                self.cookie = value.split(";", 1)[0]
        return response.status, response.getheader("Location") or "", text

    @staticmethod
    def hidden(text: str, name: str) -> str:
        tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', text)
        value = re.search(r'value="([^"]*)"', tag.group(0)) if tag else None
        if value is None:
            raise AssertionError(f"no hidden field {name}")
        return value.group(1)

    def post_form(self, path: str, fields: dict, files: dict | None = None):
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in fields.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        for name, (filename, data, mimetype) in (files or {}).items():
            head = (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                f"Content-Type: {mimetype}\r\n\r\n"
            )
            parts.append(head.encode() + data + b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode())
        return self.request("POST", path, b"".join(parts), f"multipart/form-data; boundary={boundary}")

    def log_in(self) -> None:
        status, _, text = self.request("GET", "/login")
        token = self.hidden(text, "csrf_token")
        status, _, _ = self.post_form(
            "/login", {"csrf_token": token, "username": ORGANISER, "password": ORGANISER_PASSWORD}
        )
        if status != 302:
            raise AssertionError(f"login answered {status}")


def unique_name(female: bool, serial: int) -> tuple[str, int]:
    """A name and birth year no other row of the run has: a look-alike would (rightly) stop the import."""
    families = sorted(set(FAMILY))  # the demo's lists repeat a few names
    middles, givens = (sorted(set(FEMALE_MIDDLE)), sorted(set(FEMALE_GIVEN)))
    if not female:
        middles, givens = sorted(set(MALE_MIDDLE)), sorted(set(MALE_GIVEN))
    serial, year = divmod(serial, 30)
    serial, family = divmod(serial, len(families))
    serial, middle = divmod(serial, len(middles))
    given = serial % len(givens)
    return f"{families[family]} {middles[middle]} {givens[given]}", 1970 + year


def batch_csv(number: int, rows: int, unit_codes: list[str], rng: random.Random) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["Họ và tên", "Giới tính", "Ngày sinh", "Số định danh cá nhân", "Cấp", "Nơi công tác", "Mã đơn vị hành chính"]
    )
    for index in range(rows):
        female = index % 2 == 0
        name, year = unique_name(female, (number * rows + index) // 2)
        id_number = f"020{1 if female else 0}{year % 100:02d}{number:03d}{index:03d}"
        writer.writerow(
            [
                name,
                "Nữ" if female else "Nam",
                f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{year}",
                id_number,
                "Thôn",
                BATCH_MARK.format(n=number),
                rng.choice(unit_codes),
            ]
        )
    return buffer.getvalue().encode()


def importer(port: int, activity_id: int, unit_codes: list[str], rows: int, stop: threading.Event, out: dict):
    """Batch after batch: dry run, then commit. A batch whose commit got no answer is left as it is."""
    rng = random.Random(7)
    browser = Browser(port)
    number = 0
    while not stop.is_set():
        try:
            if browser.cookie is None:
                browser.log_in()
            status, _, page = browser.request("GET", f"/activities/{activity_id}/import")
            if status != 200:
                raise ConnectionError(f"import form answered {status}")
        except (OSError, http.client.HTTPException, ConnectionError, AssertionError):
            time.sleep(0.1)  # the server is down or restarting: nothing was sent yet
            continue
        number += 1
        data = batch_csv(number, rows, unit_codes, rng)
        committing = False
        try:
            status, _, text = browser.post_form(
                f"/activities/{activity_id}/import",
                {"csrf_token": Browser.hidden(page, "csrf_token")},
                {"file": (f"lo-{number}.csv", data, "text/csv")},
            )
            if status != 200:
                out["refused"].append(f"batch {number}: dry run answered {status}")
                continue
            if 'name="token"' not in text:  # the dry run found errors: say which, it is a bug of this script
                problem = re.search(r".{0,120}(?:lỗi|Lỗi).{0,200}", text)
                out["refused"].append(f"batch {number}: dry run refused: {problem.group(0) if problem else '?'}")
                continue
            fields = {name: Browser.hidden(text, name) for name in ("csrf_token", "token", "extension")}
            committing = True
            status, location, _ = browser.post_form(f"/activities/{activity_id}/import/commit", fields)
        except (OSError, http.client.HTTPException, AssertionError) as error:
            out["batches"][number] = "unknown" if committing else "not sent"
            if not committing and not isinstance(error, OSError | http.client.HTTPException):
                out["refused"].append(f"batch {number}: {error}")
            continue
        if status == 302 and "/enrolments" in location:
            out["batches"][number] = "acknowledged"
        else:
            out["batches"][number] = "refused"
            out["refused"].append(f"batch {number}: commit answered {status} -> {location}")


# -- setting up, running, checking -----------------------------------------------------------------


def add_import_activity(fixture) -> tuple[int, list[str]]:
    with fixture.app.test_request_context():
        activity = db.session.scalar(select(Activity).limit(1))
        target = Activity(
            kind=ActivityKind.training,
            title="Lớp nhập danh sách",
            start_date=activity.start_date,
            end_date=activity.start_date + timedelta(days=2),
            capacity=1_000_000,
            status=ActivityStatus.open,
            budget_line_id=activity.budget_line_id,
            funding_source_id=activity.funding_source_id,
        )
        db.session.add(target)
        db.session.commit()
        codes = list(
            db.session.scalars(
                valid_on(select(AdminUnit.code).where(AdminUnit.level == UnitLevel.commune), date.today())
            )
        )[:30]
        activity_id = target.id
        db.session.remove()
    return activity_id, codes


def _disagreeing(connection, kept: str, wanted: str) -> int:
    """Rows in one result and not in the other, either way (0: the kept rows are what they should be)."""
    return len(set(connection.execute(kept)) ^ set(connection.execute(wanted)))


def check_database(path: Path, figures: Figures, acknowledged: set, batches: dict, activity_id: int) -> None:
    with sqlite3.connect(path) as connection:
        figures.integrity = ", ".join(row[0] for row in connection.execute("PRAGMA integrity_check"))
        figures.foreign_key_violations = len(connection.execute("PRAGMA foreign_key_check").fetchall())
        recorded = dict.fromkeys(acknowledged, 0)
        rows = connection.execute(
            "SELECT a.session_id, p.phone, count(*) FROM attendances a JOIN people p ON p.id = a.person_id"
            " GROUP BY a.session_id, p.phone"
        )
        for session_id, phone, count in rows:
            if (session_id, phone) in recorded:
                recorded[(session_id, phone)] = count
            figures.duplicates += max(0, count - 1)
        figures.lost = sum(1 for count in recorded.values() if count == 0)
        figures.duplicates += sum(
            n - 1
            for (n,) in connection.execute(
                "SELECT count(*) FROM attendances GROUP BY session_id, person_id HAVING count(*) > 1"
            )
        )
        figures.attendances = connection.execute("SELECT count(*) FROM attendances").fetchone()[0]
        audited = connection.execute(
            "SELECT count(DISTINCT object_id) FROM audit_entries WHERE action = 'attendance.create'"
        ).fetchone()[0]
        figures.missing_audits = max(0, figures.attendances - audited)
        # The reports' pairs, kept by triggers, must say exactly what the attendance rows say, and
        # the all-years groups kept from them must be those pairs grouped again.
        figures.stale_pairs = _disagreeing(
            connection,
            "SELECT activity_id, person_id FROM trained_pairs",
            "SELECT DISTINCT s.activity_id, a.person_id FROM attendances a"
            " JOIN activity_sessions s ON s.id = a.session_id",
        )
        figures.stale_groups = _disagreeing(
            connection,
            "SELECT dim, grp, person_id, times, female, minority FROM trained_groups",
            "SELECT dim, grp, person_id, COUNT(*), MAX(female), MAX(minority) FROM trained_pair_groups"
            " GROUP BY dim, grp, person_id",
        )
        per_batch = {
            workplace: (people, enrolled)
            for workplace, people, enrolled in connection.execute(
                "SELECT p.workplace, count(DISTINCT p.id), count(DISTINCT e.id) FROM people p"
                " LEFT JOIN enrolments e ON e.person_id = p.id AND e.activity_id = ?"
                " WHERE p.workplace LIKE 'Lô nhập %' GROUP BY p.workplace",
                (activity_id,),
            )
        }
    figures.imported_people = sum(people for people, _ in per_batch.values())
    rows = figures.rows_per_batch
    for number, outcome in batches.items():
        people, enrolled = per_batch.get(BATCH_MARK.format(n=number), (0, 0))
        if (people, enrolled) not in ((0, 0), (rows, rows)):
            figures.half_imports += 1
            figures.errors.append(f"batch {number} ({outcome}): {people} people, {enrolled} enrolments of {rows}")
        elif outcome == "acknowledged" and people != rows:
            figures.lost_imports += 1
            figures.errors.append(f"acknowledged batch {number} is missing")
        elif outcome == "unknown" and people == rows:
            figures.imports_unknown_present += 1
    unknown_marks = set(per_batch) - {BATCH_MARK.format(n=n) for n in batches}
    figures.half_imports += len(unknown_marks)  # rows of a batch the importer never sent: cannot be


def run(
    kills: int,
    seed: int,
    people: int = 300,
    sessions: int = 20,
    rows: int = 200,
    workers: int = 2,
    clients: int = 8,
    tmp: Path | None = None,
    window: tuple[float, float] = (0.8, 3.0),
) -> Figures:
    """Serve, load, kill ``kills`` times, then check; ``window`` bounds each life of the server (s)."""
    rng = random.Random(seed)
    figures = Figures(rows_per_batch=rows)
    with tempfile.TemporaryDirectory(dir=tmp) as tmp_name:
        tmp_path = Path(tmp_name)
        fixture = build_app_database(tmp_path, people, sessions)
        activity_id, unit_codes = add_import_activity(fixture)
        env = {
            "DATABASE_URL": f"sqlite:///{fixture.db_path}",
            "SECRET_KEY": SECRET_KEY,
            "CHECKIN_RATE_LIMIT": "1000000 per minute",
            "LOGIN_RATE_LIMIT": "1000000 per minute",
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "CERTIFICATES_DIR": str(tmp_path / "certificates"),
            "APP_ENV": "production",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        }
        args = SimpleNamespace(workers=workers, threads=4)
        log = tmp_path / "gunicorn.log"
        server = Server("app:create_app()", args, env, ROOT, log)
        port = server.port
        work: queue.SimpleQueue = queue.SimpleQueue()
        pairs = [(s, phone) for s in fixture.sessions for phone in fixture.phones]
        rng.shuffle(pairs)
        for pair in pairs:
            work.put(pair)
        stop = threading.Event()
        out = {"lock": threading.Lock(), "acknowledged": set(), "answers": {}, "retries": 0, "refused": []}
        imports = {"batches": {}, "refused": []}
        codes = Codes(fixture.app)
        started = time.perf_counter()
        threads = []
        try:
            wait_up(port)
            threads = [
                threading.Thread(target=checkin_client, args=(port, work, codes, stop, out)) for _ in range(clients)
            ]
            threads.append(threading.Thread(target=importer, args=(port, activity_id, unit_codes, rows, stop, imports)))
            for thread in threads:
                thread.start()
            for _ in range(kills):
                time.sleep(rng.uniform(*window))
                kill_everything(server)
                figures.kills += 1
                server = Server("app:create_app()", args, env, ROOT, log, port=port)
                wait_up(port)
            time.sleep(rng.uniform(*window))  # the last life: let the clients' retries land
        finally:
            stop.set()
            for thread in threads:
                thread.join(60)
            kill_everything(server)  # the run ends as it went: with a kill, not a clean shutdown
            with fixture.app.app_context():
                db.engine.dispose()
        figures.seconds = time.perf_counter() - started
        figures.checkins_acknowledged = len(out["acknowledged"])
        figures.checkin_answers = out["answers"]
        figures.checkin_retries = out["retries"]
        figures.errors += [f"check-in refused: {r}" for r in out["refused"][:5]]
        figures.imports_acknowledged = sum(1 for o in imports["batches"].values() if o == "acknowledged")
        figures.imports_unknown = sum(1 for o in imports["batches"].values() if o == "unknown")
        figures.imports_refused = imports["refused"]
        figures.errors += [f"import refused: {r}" for r in imports["refused"][:5]]
        if out["refused"]:
            figures.errors.append(f"{len(out['refused'])} check-ins refused")
        check_database(fixture.db_path, figures, out["acknowledged"], imports["batches"], activity_id)
        if out["refused"]:
            figures.imports_refused = figures.imports_refused + out["refused"]  # any refusal fails the run
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--people", type=int, default=300)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--rows", type=int, default=200, help="rows per import batch")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(
        f"Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f}; seed {args.seed}; {utcnow():%d/%m/%Y %H:%M} UTC"
    )
    figures = run(args.kills, args.seed, args.people, args.sessions, args.rows, args.workers)
    print("\n".join(figures.lines()))
    print("-> OK: nothing acknowledged was lost, doubled or half-written" if figures.ok else "-> FAILED")
    return 0 if figures.ok else 1


if __name__ == "__main__":
    sys.exit(main())
