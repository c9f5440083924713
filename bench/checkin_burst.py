"""Benchmark: a burst of 500 participants checking in to one session over real HTTP (issue 5).

Serves the app with gunicorn on a temporary SQLite database, next to three baselines served
the same way in the same run: a bare Flask "hello world", and a minimal Flask-SQLAlchemy
check-in (two lookups, one insert under a unique key, WAL/NORMAL/busy_timeout) written twice:
with SQL text, and with mapped classes and the ORM as Flask-SQLAlchemy's documentation writes
it (the endpoint shared/PERFORMANCE.md measured at ~890 req/s). Per round:

- full flow on session A: each participant GETs the scan URL, then POSTs their phone number;
- identify only on session B: the same 500 POST at once (everyone's page already open);
- the full flow on session A again: all must answer "already_checked_in" and write nothing.

After each burst the database is checked: one row per participant, no duplicates, no refusals.
Usage: .venv/bin/python bench/checkin_burst.py [--rounds 3] [--people 500] [--concurrency 32]
       [--workers 2] [--threads 8]   (--threads 1 serves with sync workers)
"""

import argparse
import http.client
import json
import math
import os
import queue
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from app.attendance import codes  # noqa: E402
from app.attendance.services import local  # noqa: E402
from app.auth.models import Role  # noqa: E402
from app.auth.services import create_user  # noqa: E402
from app.budget.models import BudgetLine, FundingSource  # noqa: E402
from app.budget.services import load_year  # noqa: E402
from app.core.time import utcnow  # noqa: E402
from app.extensions import db  # noqa: E402
from app.geo.models import AdminUnit, UnitLevel  # noqa: E402
from app.people.models import Gender, Person  # noqa: E402
from app.planning.models import Activity, ActivityKind, ActivitySession, ActivityStatus  # noqa: E402
from app.reference.services import load_reference_data  # noqa: E402
from app.registration.services import enrol  # noqa: E402
from tests.conftest import build_test_app, upgrade_to_head  # noqa: E402

SECRET_KEY = "bench-checkin-burst-secret-key-0123456789abcdef"  # noqa: S105 (a throwaway database)
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}

# The baselines, written to a temporary module and served by gunicorn like the app.
BASELINES = textwrap.dedent(
    '''
    """Baselines for bench/checkin_burst.py: hello world, and a minimal check-in on SQLite."""
    import os
    from datetime import datetime

    from flask import Flask, jsonify, request
    from flask_sqlalchemy import SQLAlchemy
    from sqlalchemy import event, text
    from sqlalchemy.engine import Engine
    from sqlalchemy.exc import IntegrityError

    hello = Flask("hello")


    @hello.get("/")
    def hello_world():
        return "Hello, World!"


    @event.listens_for(Engine, "connect")
    def _pragmas(connection, _record):
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()


    minimal = Flask("minimal")
    minimal.config["SQLALCHEMY_DATABASE_URI"] = os.environ["BASELINE_DATABASE_URL"]
    db = SQLAlchemy(minimal)


    @minimal.get("/")
    def minimal_ping():
        return "ok"


    @minimal.post("/checkin/<int:session_id>")
    def minimal_checkin(session_id):
        # Two lookups outside the write transaction (pysqlite begins it at the INSERT), one insert.
        phone = (request.get_json(silent=True) or {}).get("phone")
        session = db.session.execute(text("SELECT id FROM sessions WHERE id = :s"), {"s": session_id}).first()
        person = db.session.execute(text("SELECT id FROM people WHERE phone = :p"), {"p": phone}).first()
        if session is None or person is None:
            return jsonify({"error": {"code": "unknown"}}), 404
        try:
            db.session.execute(
                text("INSERT INTO checkins (session_id, person_id, at) VALUES (:s, :p, CURRENT_TIMESTAMP)"),
                {"s": session.id, "p": person.id},
            )
            db.session.commit()
            status = "checked_in"
        except IntegrityError:
            db.session.rollback()
            status = "already_checked_in"
        return jsonify({"status": status})


    # The same check-in as Flask-SQLAlchemy's documentation writes it: mapped classes, the ORM's
    # lookups and session.add (shared/PERFORMANCE.md's "check-in-like POST ... through
    # Flask-SQLAlchemy", about 800-900 req/s there). Its own table: the two baselines never meet.
    orm = Flask("orm")
    orm.config["SQLALCHEMY_DATABASE_URI"] = os.environ["BASELINE_DATABASE_URL"]
    orm_db = SQLAlchemy(orm)


    class SessionRow(orm_db.Model):
        __tablename__ = "sessions"
        id = orm_db.Column(orm_db.Integer, primary_key=True)


    class PersonRow(orm_db.Model):
        __tablename__ = "people"
        id = orm_db.Column(orm_db.Integer, primary_key=True)
        phone = orm_db.Column(orm_db.String, unique=True, nullable=False)


    class CheckinRow(orm_db.Model):
        __tablename__ = "orm_checkins"
        __table_args__ = (orm_db.UniqueConstraint("session_id", "person_id"),)
        id = orm_db.Column(orm_db.Integer, primary_key=True)
        session_id = orm_db.Column(orm_db.ForeignKey("sessions.id"), nullable=False)
        person_id = orm_db.Column(orm_db.ForeignKey("people.id"), nullable=False)
        at = orm_db.Column(orm_db.DateTime, nullable=False, default=datetime.utcnow)


    @orm.get("/")
    def orm_ping():
        return "ok"


    @orm.post("/checkin/<int:session_id>")
    def orm_checkin(session_id):
        phone = (request.get_json(silent=True) or {}).get("phone")
        session = orm_db.session.get(SessionRow, session_id)
        person = orm_db.session.execute(orm_db.select(PersonRow).filter_by(phone=phone)).scalar_one_or_none()
        if session is None or person is None:
            return jsonify({"error": {"code": "unknown"}}), 404
        orm_db.session.add(CheckinRow(session_id=session.id, person_id=person.id))
        try:
            orm_db.session.commit()
            status = "checked_in"
        except IntegrityError:
            orm_db.session.rollback()
            status = "already_checked_in"
        return jsonify({"status": status})
    '''
)


# -- measuring -------------------------------------------------------------------------------


@dataclass
class Burst:
    label: str
    seconds: float = 0.0
    flows: int = 0
    latencies: dict = field(default_factory=dict)  # method -> [seconds]
    statuses: dict = field(default_factory=dict)  # HTTP status -> count
    answers: dict = field(default_factory=dict)  # JSON "status" of the POSTs -> count
    failures: list = field(default_factory=list)

    @property
    def requests(self) -> int:
        return sum(len(v) for v in self.latencies.values())

    @property
    def non_2xx(self) -> int:
        return sum(n for status, n in self.statuses.items() if not 200 <= status < 300)

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500 or status == 0)

    def rate(self, method: str | None = None) -> float:
        count = self.requests if method is None else len(self.latencies.get(method, []))
        return count / self.seconds if self.seconds else 0.0

    def percentile(self, method: str, p: float) -> float:
        values = sorted(self.latencies.get(method, []))
        if not values:
            return float("nan")
        return values[max(0, math.ceil(p / 100 * len(values)) - 1)] * 1000  # nearest rank


def run_burst(label: str, port: int | list[int], jobs: list, concurrency: int) -> Burst:
    """Run ``jobs`` (each a list of (method, path, body, check)) on ``concurrency`` keep-alive connections.

    ``check(status, payload)`` returns an answer label to count, or raises for a wrong answer.
    Connections are opened before the start line, so the burst measures requests, not connects.
    With several ports (app servers) the connections are dealt out among them in turn, as a load
    balancer would (bench/two_servers.py).
    """
    ports = port if isinstance(port, list) else [port]
    burst = Burst(label)
    work: queue.SimpleQueue = queue.SimpleQueue()
    for job in jobs:
        work.put(job)
    lock = threading.Lock()
    start = threading.Barrier(concurrency + 1)

    def worker(index):
        connection = http.client.HTTPConnection("127.0.0.1", ports[index % len(ports)], timeout=30)
        connection.connect()
        local_latencies: dict = {}
        local_statuses: dict = {}
        local_answers: dict = {}
        local_failures: list = []
        start.wait()
        while True:
            try:
                job = work.get_nowait()
            except queue.Empty:
                break
            for method, path, body, check in job:
                began = time.perf_counter()
                try:
                    connection.request(method, path, body=body, headers=JSON_HEADERS if body else {})
                    response = connection.getresponse()
                    payload = response.read()
                    status = response.status
                except (OSError, http.client.HTTPException) as error:
                    connection.close()
                    status, payload = 0, repr(error).encode()
                local_latencies.setdefault(method, []).append(time.perf_counter() - began)
                local_statuses[status] = local_statuses.get(status, 0) + 1
                try:
                    answer = check(status, payload)
                except Exception as error:  # noqa: BLE001 (any wrong answer is counted, not raised)
                    local_failures.append(f"{method} {path}: {status} {error} {payload[:200]!r}")
                    break  # the rest of this flow makes no sense
                if answer:
                    local_answers[answer] = local_answers.get(answer, 0) + 1
        connection.close()
        with lock:
            for method, values in local_latencies.items():
                burst.latencies.setdefault(method, []).extend(values)
            for status, n in local_statuses.items():
                burst.statuses[status] = burst.statuses.get(status, 0) + n
            for answer, n in local_answers.items():
                burst.answers[answer] = burst.answers.get(answer, 0) + n
            burst.failures.extend(local_failures)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    burst.seconds = time.perf_counter() - began
    burst.flows = len(jobs)
    return burst


def expect_status(*wanted: int):
    def check(status, payload):
        if status not in wanted:
            raise AssertionError(f"HTTP {status}")
        return None

    return check


def expect_answer(wanted: str):
    def check(status, payload):
        if status != 200:
            raise AssertionError(f"HTTP {status}")
        answer = json.loads(payload).get("status")
        if answer != wanted:
            raise AssertionError(f"answered {answer!r}")
        return answer

    return check


# -- servers ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """``gunicorn`` serving one WSGI app on a free port; the same worker settings for every target."""

    def __init__(self, target: str, args, env: dict, chdir: Path, log: Path, port: int | None = None):
        self.port = port or free_port()  # bench/durability_sigkill.py restarts on the same port
        self.log_path = log
        worker = ["-k", "gthread", "--threads", str(args.threads)] if args.threads > 1 else ["-k", "sync"]
        command = [GUNICORN, "-w", str(args.workers), *worker, "-b", f"127.0.0.1:{self.port}"]
        # No control socket: every server of a run would share gunicorn's one default path and fight over it.
        command += ["--chdir", str(chdir), "--log-level", "warning", "--no-control-socket", target]
        self.log = open(log, "ab")  # noqa: SIM115 (closed in stop; appended to across restarts)
        self.process = subprocess.Popen(  # noqa: S603 (our own command line)
            command, env={**os.environ, **env}, stdout=self.log, stderr=subprocess.STDOUT
        )

    def wait_ready(self, path: str, workers: int, warm_up: list | None = None) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log_path.read_text()[-2000:]}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("GET", path)
                connection.getresponse().read()
                connection.close()
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("gunicorn did not answer within 60 s")
        # Warm every worker (first requests import templates, open pools) before measuring.
        warm_up = warm_up or [("GET", path, None, expect_status(200))]
        run_burst("warm-up", self.port, [warm_up] * (50 * workers), 8)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()

    def errors_logged(self) -> list[str]:
        lines = self.log_path.read_text(errors="replace").splitlines()
        return [line for line in lines if "Traceback" in line or " ERROR " in line or "[ERROR]" in line]


# -- the app's data ----------------------------------------------------------------------------


@dataclass
class Fixture:
    app: object
    db_path: Path
    sessions: list[int]
    phones: list[str]
    person_ids: list[int]


def phone_of(index: int) -> str:
    return f"09{index:08d}"


def build_app_database(tmp: Path, people: int, sessions: int, database_url: str | None = None) -> Fixture:
    """``database_url`` None: a new SQLite file in ``tmp``; else that (empty) database, e.g. a private
    PostgreSQL schema (bench/two_servers.py)."""
    db_path = tmp / "app.db"
    app = build_test_app(database_url or f"sqlite:///{db_path}", tmp, SECRET_KEY=SECRET_KEY)
    upgrade_to_head(app)
    with app.test_request_context():
        load_reference_data()
        load_year(2023)
        organiser = create_user(
            {"username": "to-chuc", "full_name": "Tổ chức", "role": Role.organiser}, "mật khẩu đủ dài"
        )
        commune = db.session.scalar(select(AdminUnit).where(AdminUnit.level == UnitLevel.commune))
        now_vn = local(utcnow())
        activity = Activity(
            kind=ActivityKind.training,
            title="Lớp điểm danh đông người",
            start_date=now_vn.date(),
            end_date=now_vn.date() + timedelta(days=1),
            capacity=people,
            status=ActivityStatus.open,
            budget_line_id=db.session.scalar(select(BudgetLine.id).limit(1)),
            funding_source_id=db.session.scalar(select(FundingSource.id).limit(1)),
        )
        db.session.add(activity)
        rows = [
            ActivitySession(
                activity=activity,
                title=f"Buổi {n + 1}",
                starts_at=now_vn.replace(microsecond=0) - timedelta(minutes=5),
                ends_at=now_vn.replace(microsecond=0) + timedelta(hours=3),
            )
            for n in range(sessions)
        ]
        db.session.add_all(rows)
        persons = [
            Person(
                full_name=f"Hoàng Thị Học Viên {n}",
                gender=Gender.female if n % 2 else Gender.male,
                birth_year=1970 + n % 30,
                birth_date=date(1970 + n % 30, 1 + n % 12, 1 + n % 28),
                level=UnitLevel.village,
                unit_id=commune.id,
                phone=phone_of(n),
            )
            for n in range(people)
        ]
        db.session.add_all(persons)
        db.session.flush()
        for person in persons:
            enrol(activity, person, organiser)
        db.session.commit()
        fixture = Fixture(app, db_path, [s.id for s in rows], [p.phone for p in persons], [p.id for p in persons])
        db.session.remove()
    return fixture


def code_for(app, session_id: int) -> str:
    """The code the session's QR shows now: the server computes the same from the same SECRET_KEY."""
    with app.app_context():
        return codes.current(session_id, utcnow()).code


def attendance_state(db_path: Path, session_id: int) -> dict:
    with sqlite3.connect(db_path) as connection:
        rows, distinct, duplicates, last = connection.execute(
            "SELECT count(*), count(DISTINCT person_id), count(*) - count(DISTINCT person_id), max(recorded_at)"
            " FROM attendances WHERE session_id = ?",
            (session_id,),
        ).fetchone()
        audits = connection.execute(
            "SELECT count(*) FROM audit_entries WHERE action = 'attendance.create'"
            " AND json_extract(after, '$.session_id') = ?",
            (session_id,),
        ).fetchone()[0]
        refusals = connection.execute("SELECT count(*) FROM checkin_refusals").fetchone()[0]
        persons = {
            r[0] for r in connection.execute("SELECT person_id FROM attendances WHERE session_id = ?", (session_id,))
        }
    return {
        "rows": rows,
        "distinct": distinct,
        "duplicates": duplicates,
        "last": last,
        "audits": audits,
        "refusals": refusals,
        "persons": persons,
    }


def build_baseline_database(tmp: Path, phones: list[str], rounds: int) -> Path:
    path = tmp / "baseline.db"
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.executescript(
            """
            CREATE TABLE sessions (id INTEGER PRIMARY KEY);
            CREATE TABLE people (id INTEGER PRIMARY KEY, phone TEXT NOT NULL UNIQUE);
            CREATE TABLE checkins (
                id INTEGER PRIMARY KEY, session_id INTEGER NOT NULL REFERENCES sessions(id),
                person_id INTEGER NOT NULL REFERENCES people(id), at TEXT NOT NULL,
                UNIQUE (session_id, person_id)
            );
            CREATE TABLE orm_checkins (
                id INTEGER PRIMARY KEY, session_id INTEGER NOT NULL REFERENCES sessions(id),
                person_id INTEGER NOT NULL REFERENCES people(id), at DATETIME NOT NULL,
                UNIQUE (session_id, person_id)
            );
            """
        )
        connection.executemany("INSERT INTO sessions (id) VALUES (?)", [(n + 1,) for n in range(rounds)])
        connection.executemany("INSERT INTO people (phone) VALUES (?)", [(p,) for p in phones])
    return path


# -- one round -----------------------------------------------------------------------------------


def flows(session_id: int, code: str, phones: list[str], answer: str, scan: bool = True) -> list:
    page = f"/c/{session_id}/{code}"
    jobs = []
    for phone in phones:
        job = [("GET", page, None, expect_status(200))] if scan else []
        job.append(("POST", page, json.dumps({"phone": phone}), expect_answer(answer)))
        jobs.append(job)
    return jobs


def check_recorded(fixture: Fixture, session_id: int, burst: Burst, answer: str) -> dict:
    state = attendance_state(fixture.db_path, session_id)
    people = len(fixture.phones)
    state["ok"] = (
        state["rows"] == people
        and state["distinct"] == people
        and state["duplicates"] == 0
        and state["persons"] == set(fixture.person_ids)
        and state["audits"] == people
        and state["refusals"] == 0
        and burst.answers == {answer: people}
        and not burst.failures
        and burst.non_2xx == 0
    )
    return state


def describe(burst: Burst, method: str) -> str:
    return (
        f"{burst.label:<34} {burst.requests:>5} req in {burst.seconds:5.2f} s = {burst.rate():7,.0f} req/s; "
        f"{method} {burst.rate(method):6,.0f}/s p50 {burst.percentile(method, 50):5.1f} "
        f"p95 {burst.percentile(method, 95):5.1f} p99 {burst.percentile(method, 99):5.1f} ms; "
        f"non-2xx {burst.non_2xx}, 5xx/conn {burst.server_errors}, answers {burst.answers or '-'}"
    )


def one_round(number: int, args, servers: dict, fixture: Fixture) -> dict:
    results = {}
    hello = run_burst(
        "hello world GET",
        servers["hello"].port,
        [[("GET", "/", None, expect_status(200))]] * args.hello_requests,
        args.concurrency,
    )
    results["hello"] = hello
    print(describe(hello, "GET"))

    minimal_jobs = [
        [("POST", f"/checkin/{number}", json.dumps({"phone": phone}), expect_answer("checked_in"))]
        for phone in fixture.phones
    ]
    minimal = run_burst("minimal insert POST", servers["minimal"].port, minimal_jobs, args.concurrency)
    results["minimal"] = minimal
    print(describe(minimal, "POST"))
    orm = run_burst("minimal insert, ORM models POST", servers["orm"].port, minimal_jobs, args.concurrency)
    results["orm"] = orm
    print(describe(orm, "POST"))

    port = servers["app"].port
    session_a, session_b = fixture.sessions[2 * number - 2], fixture.sessions[2 * number - 1]
    code_a = code_for(fixture.app, session_a)
    flow = run_burst(
        "check-in: scan + identify", port, flows(session_a, code_a, fixture.phones, "checked_in"), args.concurrency
    )
    flow_state = check_recorded(fixture, session_a, flow, "checked_in")
    results["flow"], results["flow_state"] = flow, flow_state
    print(describe(flow, "POST") + f"; {flow.flows / flow.seconds:,.0f} flows/s")
    gets = [f"{flow.percentile('GET', p):.1f}" for p in (50, 95, 99)]
    print(f"  GET p50 {gets[0]} p95 {gets[1]} p99 {gets[2]} ms")
    print(f"  database: {summary(flow_state)}")

    code_b = code_for(fixture.app, session_b)
    post = run_burst(
        "check-in: identify only (POST)",
        port,
        flows(session_b, code_b, fixture.phones, "checked_in", scan=False),
        args.concurrency,
    )
    post_state = check_recorded(fixture, session_b, post, "checked_in")
    results["post"], results["post_state"] = post, post_state
    print(describe(post, "POST"))
    print(f"  database: {summary(post_state)}")

    code_a = code_for(fixture.app, session_a)
    again = run_burst(
        "check-in again: scan + identify",
        port,
        flows(session_a, code_a, fixture.phones, "already_checked_in"),
        args.concurrency,
    )
    again_state = check_recorded(fixture, session_a, again, "already_checked_in")
    again_state["unchanged"] = again_state["ok"] and again_state["last"] == flow_state["last"]
    results["again"], results["again_state"] = again, again_state
    print(describe(again, "POST") + f"; {again.flows / again.seconds:,.0f} flows/s")
    print(f"  database: {summary(again_state)}, nothing new written: {again_state['unchanged']}")

    for burst in (hello, minimal, orm, flow, post, again):
        for failure in burst.failures[:5]:
            print(f"  ! {burst.label}: {failure}")
    return results


def summary(state: dict) -> str:
    return (
        f"{state['rows']} rows, {state['distinct']} distinct persons, {state['duplicates']} duplicates, "
        f"{state['audits']} audit rows, {state['refusals']} refusals -> {'OK' if state['ok'] else 'WRONG'}"
    )


# -- the report ----------------------------------------------------------------------------------


def med(values) -> float:
    return statistics.median(values)


def report(rounds: list[dict], args) -> None:
    def row(name, key, method, what, flows_too=False):
        bursts = [r[key] for r in rounds]
        rate = med(b.rate(method) for b in bursts)
        cells = [
            name,
            what,
            f"{med(b.rate() for b in bursts):,.0f}",  # all requests, GET and POST
            f"{med(b.flows / b.seconds for b in bursts):,.0f}" if flows_too else "",
            f"{med(b.percentile(method, 50) for b in bursts):.1f}",
            f"{med(b.percentile(method, 95) for b in bursts):.1f}",
            f"{med(b.percentile(method, 99) for b in bursts):.1f}",
            str(sum(b.non_2xx for b in bursts)),
        ]
        print("| " + " | ".join(cells) + " |")
        return rate

    worker = (
        f"gthread, {args.workers} workers x {args.threads} threads"
        if args.threads > 1
        else f"sync, {args.workers} workers"
    )
    print()
    print(f"gunicorn {worker}; {args.concurrency} keep-alive client connections; median of {len(rounds)} round(s)")
    print()
    print("| Target | Requests per round | req/s | flows/s | POST p50 ms | p95 ms | p99 ms | non-2xx (all rounds) |")
    print("|---|---|---|---|---|---|---|---|")
    row("Hello world", "hello", "GET", f"{args.hello_requests} GET")
    minimal = row("Minimal insert (SQL text)", "minimal", "POST", f"{args.people} POST")
    orm = row("Minimal insert (ORM models)", "orm", "POST", f"{args.people} POST")
    post = row("Check-in, identify only", "post", "POST", f"{args.people} POST")
    row("Check-in, scan + identify", "flow", "POST", f"{args.people} GET + {args.people} POST", flows_too=True)
    row("Same people again (already)", "again", "POST", f"{args.people} GET + {args.people} POST", flows_too=True)
    print()
    p99 = med(r["post"].percentile("POST", 99) for r in rounds)
    p99_flow = med(r["flow"].percentile("POST", 99) for r in rounds)
    exactly_once = all(r["flow_state"]["ok"] and r["post_state"]["ok"] for r in rounds)
    unchanged = all(r["again_state"]["unchanged"] for r in rounds)
    errors = sum(b.server_errors for r in rounds for b in (r["flow"], r["post"], r["again"]))
    print(f"check-in POST rate / minimal insert rate (SQL text): {post / minimal:.2f} (target >= 0.50)")
    print(f"check-in POST rate / minimal insert rate (ORM models): {post / orm:.2f} (target >= 0.50)")
    print(f"check-in POST p99: {p99:.1f} ms identify only, {p99_flow:.1f} ms in the full flow (target < 150 ms)")
    print(f"every participant recorded exactly once: {exactly_once}; second burst wrote nothing: {unchanged}")
    print(f"server errors (5xx or dropped connections) in check-in bursts: {errors}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--people", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8, help="1 = sync workers")
    parser.add_argument("--hello-requests", type=int, default=3000)
    parser.add_argument("--app", default="app:create_app()", help="WSGI target of the app (to try a variant)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        started = time.perf_counter()
        fixture = build_app_database(tmp, args.people, 2 * args.rounds)
        baseline_db = build_baseline_database(tmp, fixture.phones, args.rounds)
        (tmp / "bench_baselines.py").write_text(BASELINES)
        print(
            f"Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}, {os.cpu_count()} CPUs, "
            f"load average {os.getloadavg()[0]:.1f}"
        )
        print(
            f"setup: {args.people} registered people, {2 * args.rounds} sessions, {time.perf_counter() - started:.1f} s"
        )

        env = {"BASELINE_DATABASE_URL": f"sqlite:///{baseline_db}"}
        app_env = {
            "DATABASE_URL": f"sqlite:///{fixture.db_path}",
            "SECRET_KEY": SECRET_KEY,
            "CHECKIN_RATE_LIMIT": "1000000 per minute",
            "INSTANCE_PATH": str(tmp / "instance"),
            "CERTIFICATES_DIR": str(tmp / "certificates"),
            "APP_ENV": "production",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        }
        servers = {
            "hello": Server("bench_baselines:hello", args, env, tmp, tmp / "hello.log"),
            "minimal": Server("bench_baselines:minimal", args, env, tmp, tmp / "minimal.log"),
            "orm": Server("bench_baselines:orm", args, env, tmp, tmp / "orm.log"),
            "app": Server(args.app, args, app_env, ROOT, tmp / "app.log"),
        }
        try:
            servers["hello"].wait_ready("/", args.workers)
            unknown = ("POST", "/checkin/0", json.dumps({"phone": "0"}), expect_status(404))
            servers["minimal"].wait_ready("/", args.workers, [unknown])
            servers["orm"].wait_ready("/", args.workers, [unknown])
            page = f"/c/{fixture.sessions[0]}/{code_for(fixture.app, fixture.sessions[0])}"
            # A mistyped phone number: the whole POST path runs, is refused with 422, writes nothing.
            mistyped = ("POST", page, json.dumps({"phone": "abc"}), expect_status(422))
            servers["app"].wait_ready(page, args.workers, [("GET", page, None, expect_status(200)), mistyped])
            rounds = []
            for number in range(1, args.rounds + 1):
                print(f"\nround {number}")
                rounds.append(one_round(number, args, servers, fixture))
            report(rounds, args)
            for name, server in servers.items():
                for line in server.errors_logged()[:10]:
                    print(f"  ! {name} server log: {line}")
        finally:
            for server in servers.values():
                server.stop()
            with fixture.app.app_context():
                db.engine.dispose()


if __name__ == "__main__":
    main()
