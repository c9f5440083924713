"""Benchmark: one, then two app servers on one PostgreSQL and one Redis, under a check-in burst (issue 10).

Two separate gunicorn instances (different ports, the same DATABASE_URL, REDIS_URL and SECRET_KEY)
serve the app from a private PostgreSQL schema, next to a hello-world gunicorn from the same run
(bench/checkin_burst.py's servers, bursts and data builder, imported). In order:

1. one server: 500 participants scan session A's QR and identify (GET + POST each), all on server 1;
2. two servers: the same 500 on session B, the client connections dealt out between the servers;
3. contention: 40 people on session C each send 8 POSTs at once, half to each server, half of them
   retries of one tap (the same nonce) and half separate taps (new nonces);
4. shared limits: 60 certificate verifications, alternately on each server, under a limit of 40 a
   minute: exactly 20 must be refused, whichever server counts them.

Then checks: every participant recorded exactly once per session (no duplicates, one audit row each,
no refusals), one first answer per person in the contention, zero 5xx, and the check-in count kept
in Redis equals the POSTs both servers received together. Prints req/s and p50/p99 side by side.
Usage: .venv/bin/python bench/two_servers.py [--people 500] [--concurrency 32] [--workers 2] [--threads 8]
       [--redis-url redis://127.0.0.1:6379/12]   (PostgreSQL: TEST_DATABASE_URL or 127.0.0.1:5432)
"""

import argparse
import json
import os
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from app.config import normalise_database_url  # noqa: E402
from bench.checkin_burst import (  # noqa: E402
    BASELINES,
    SECRET_KEY,
    Burst,
    Server,
    build_app_database,
    code_for,
    describe,
    expect_status,
    flows,
    run_burst,
)
from tests.conftest import (  # noqa: E402
    drop_postgres_schema,
    postgres_unavailable_reason,
    postgres_url,
    private_postgres_schema,
)

CONTENDERS, TAPS = 40, 8  # people in the contention phase, POSTs each
VERIFY_LIMIT, VERIFY_REQUESTS = 40, 60


# -- the database, read back ------------------------------------------------------------------


def attendance_state(engine, session_id: int, person_ids: set[int]) -> dict:
    with engine.connect() as connection:
        rows, distinct = connection.execute(
            text("SELECT count(*), count(DISTINCT person_id) FROM attendances WHERE session_id = :s"),
            {"s": session_id},
        ).one()
        persons = set(
            connection.scalars(text("SELECT person_id FROM attendances WHERE session_id = :s"), {"s": session_id})
        )
        audits = connection.scalar(
            text(
                "SELECT count(*) FROM audit_entries WHERE action = 'attendance.create'"
                " AND CAST(after AS jsonb) ->> 'session_id' = :s"
            ),
            {"s": str(session_id)},
        )
        refusals = connection.scalar(text("SELECT count(*) FROM checkin_refusals"))
    return {
        "rows": rows,
        "distinct": distinct,
        "duplicates": rows - distinct,
        "audits": audits,
        "refusals": refusals,
        "ok": rows == distinct == len(person_ids) and persons == person_ids and audits == rows and refusals == 0,
    }


def state_line(state: dict) -> str:
    return (
        f"{state['rows']} rows, {state['distinct']} distinct persons, {state['duplicates']} duplicates, "
        f"{state['audits']} audit rows, {state['refusals']} refusals -> {'OK' if state['ok'] else 'WRONG'}"
    )


# -- the phases ---------------------------------------------------------------------------------


def full_flow(label: str, ports: list[int], fixture, session_id: int, phones: list[str], args) -> Burst:
    jobs = flows(session_id, code_for(fixture.app, session_id), phones, "checked_in")
    return run_burst(label, ports, jobs, args.concurrency)


def contention(ports: list[int], fixture, session_id: int, args) -> tuple[Burst, dict]:
    """Each contender's POSTs go out together, to both servers, with one shared and several new nonces."""
    page = f"/c/{session_id}/{code_for(fixture.app, session_id)}"
    answers: dict[str, list[dict]] = {}
    lock = threading.Lock()

    def record(phone):
        def check(status, payload):
            if status != 200:
                raise AssertionError(f"HTTP {status}")
            body = json.loads(payload)
            with lock:
                answers.setdefault(phone, []).append(body)
            return body["status"] + (" (replayed)" if body["replayed"] else "")

        return check

    jobs = []
    for tap in range(TAPS):  # tap-major order: a person's POSTs are in flight at the same moment
        for phone in fixture.phones[:CONTENDERS]:
            nonce = f"same-{phone}" if tap % 2 else f"tap-{tap}-{phone}"
            jobs.append([("POST", page, json.dumps({"phone": phone, "nonce": nonce}), record(phone))])
    burst = run_burst("contention: 8 POSTs a person", ports, jobs, args.concurrency)
    firsts = {
        phone: [a for a in got if a["status"] == "checked_in" and not a["replayed"]] for phone, got in answers.items()
    }
    times = {phone: {a["checked_in_at"] for a in got} for phone, got in answers.items()}
    verdict = {
        "people": len(answers),
        "one_first_answer_each": all(len(f) == 1 for f in firsts.values()) and len(firsts) == CONTENDERS,
        "one_time_each": all(len(t) == 1 for t in times.values()),
    }
    return burst, verdict


def shared_verification_limit(ports: list[int]) -> dict:
    """Alternate servers, one request at a time: the limit holds only if both count in one place."""
    statuses = []
    for n in range(VERIFY_REQUESTS):
        burst = run_burst(
            "verify", [ports[n % len(ports)]], [[("GET", "/verify/KHONG-CO", None, lambda s, p: None)]], 1
        )
        statuses.extend(status for status, count in burst.statuses.items() for _ in range(count))
    refused = statuses.count(429)
    return {"answered": statuses.count(404), "refused": refused, "ok": refused == VERIFY_REQUESTS - VERIFY_LIMIT}


def redis_checkin_count(redis_url: str, namespace: str) -> int:
    import redis

    client = redis.Redis.from_url(redis_url)
    keys = [key for key in client.scan_iter(f"*{namespace}*") if b"check_in" in key]
    return sum(int(client.get(key) or 0) for key in keys)


def forget_namespace(redis_url: str, namespace: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(f"*{namespace}*"):
        client.delete(key)


# -- the report -----------------------------------------------------------------------------------


def table(rows: list[tuple[str, Burst, str]]) -> None:
    print()
    print("| Target | Requests | req/s | p50 ms | p99 ms | non-2xx | 5xx or dropped |")
    print("|---|---|---|---|---|---|---|")
    for name, burst, method in rows:
        cells = [
            name,
            str(burst.requests),
            f"{burst.rate():,.0f}",
            f"{burst.percentile(method, 50):.1f} ({method})",
            f"{burst.percentile(method, 99):.1f}",
            str(burst.non_2xx),
            str(burst.server_errors),
        ]
        print("| " + " | ".join(cells) + " |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per server")
    parser.add_argument("--threads", type=int, default=8, help="1 = sync workers")
    parser.add_argument("--hello-requests", type=int, default=3000)
    parser.add_argument("--redis-url", default=os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/12"))
    args = parser.parse_args()

    reason = postgres_unavailable_reason()
    if reason:
        sys.exit(f"needs PostgreSQL: {reason}")
    import redis

    redis.Redis.from_url(args.redis_url, socket_connect_timeout=2).ping()

    schema = f"bench_two_servers_{os.getpid()}"
    namespace = f"bench-two-{uuid.uuid4().hex[:12]}"
    database_url = private_postgres_schema(postgres_url(), schema)
    servers: dict[str, Server] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp_name:
            tmp = Path(tmp_name)
            started = time.perf_counter()
            fixture = build_app_database(tmp, args.people, 3, database_url)
            print(
                f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; "
                f"setup: {args.people} registered people, {time.perf_counter() - started:.1f} s"
            )
            (tmp / "bench_baselines.py").write_text(BASELINES)
            app_env = {
                "DATABASE_URL": database_url,
                "REDIS_URL": args.redis_url,
                "RATE_LIMIT_NAMESPACE": namespace,
                "SECRET_KEY": SECRET_KEY,  # the same on both: either server checks the other's QR codes
                # An hour's window: the count in Redis covers the whole run, to compare with what was sent.
                "CHECKIN_RATE_LIMIT": "1000000 per hour",
                "VERIFY_RATE_LIMIT": f"{VERIFY_LIMIT} per minute",
                "INSTANCE_PATH": str(tmp / "instance"),
                "CERTIFICATES_DIR": str(tmp / "certificates"),
                "APP_ENV": "production",
                "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
            }
            baseline_env = {"BASELINE_DATABASE_URL": "sqlite://"}
            servers["hello"] = Server("bench_baselines:hello", args, baseline_env, tmp, tmp / "hello.log")
            servers["one"] = Server("app:create_app()", args, app_env, ROOT, tmp / "one.log")
            servers["two"] = Server("app:create_app()", args, app_env, ROOT, tmp / "two.log")
            session_a, session_b, session_c = fixture.sessions
            page = f"/c/{session_a}/{code_for(fixture.app, session_a)}"
            mistyped = ("POST", page, json.dumps({"phone": "abc"}), expect_status(422))  # refused, writes nothing
            servers["hello"].wait_ready("/", args.workers)
            for name in ("one", "two"):
                servers[name].wait_ready(page, args.workers, [("GET", page, None, expect_status(200)), mistyped])
            posts = 2 * 50 * args.workers  # the warm-up's mistyped POSTs count too

            hello = run_burst(
                "hello world GET",
                servers["hello"].port,
                [[("GET", "/", None, expect_status(200))]] * args.hello_requests,
                args.concurrency,
            )
            print(describe(hello, "GET"))
            one = full_flow(
                "one server: scan + identify", [servers["one"].port], fixture, session_a, fixture.phones, args
            )
            one_state = attendance_state(
                create_engine(normalise_database_url(database_url)), session_a, set(fixture.person_ids)
            )
            print(describe(one, "POST") + f"\n  database: {state_line(one_state)}")
            both = [servers["one"].port, servers["two"].port]
            two = full_flow("two servers: scan + identify", both, fixture, session_b, fixture.phones, args)
            engine = create_engine(normalise_database_url(database_url))
            two_state = attendance_state(engine, session_b, set(fixture.person_ids))
            print(describe(two, "POST") + f"\n  database: {state_line(two_state)}")
            clash, verdict = contention(both, fixture, session_c, args)
            clash_state = attendance_state(engine, session_c, set(fixture.person_ids[:CONTENDERS]))
            print(describe(clash, "POST") + f"\n  database: {state_line(clash_state)}; answers: {verdict}")
            posts += len(one.latencies.get("POST", [])) + len(two.latencies.get("POST", []))
            posts += len(clash.latencies.get("POST", []))
            counted = redis_checkin_count(args.redis_url, namespace)
            limit = shared_verification_limit(both)
            engine.dispose()

            table(
                [
                    ("Hello world (1 gunicorn)", hello, "GET"),
                    ("Check-in flow, one server", one, "POST"),
                    ("Check-in flow, two servers", two, "POST"),
                    ("Same person on both servers", clash, "POST"),
                ]
            )
            print()
            print(
                f"gunicorn gthread, {args.workers} workers x {args.threads} threads per server; "
                f"{args.concurrency} client connections"
            )
            print(f"flows/s: one server {one.flows / one.seconds:,.0f}, two servers {two.flows / two.seconds:,.0f}")
            exactly_once = one_state["ok"] and two_state["ok"] and clash_state["ok"]
            print(f"every participant recorded exactly once (3 sessions): {exactly_once}; contention: {verdict}")
            errors = sum(b.server_errors for b in (one, two, clash))
            print(f"server errors (5xx or dropped connections) in check-in bursts: {errors}")
            shared = "OK" if counted == posts else "WRONG"
            print(f"check-in POSTs sent to both servers: {posts}; counted in Redis: {counted} -> {shared}")
            print(
                f"verification limit {VERIFY_LIMIT}/min over both servers: {limit['answered']} answered, "
                f"{limit['refused']} refused -> {'OK' if limit['ok'] else 'WRONG'}"
            )
            for name, server in servers.items():
                for line in server.errors_logged()[:10]:
                    print(f"  ! {name} server log: {line}")
            for burst in (one, two, clash):
                for failure in burst.failures[:5]:
                    print(f"  ! {burst.label}: {failure}")
            with fixture.app.app_context():
                from app.extensions import db

                db.engine.dispose()
    finally:
        for server in servers.values():
            server.stop()
        forget_namespace(args.redis_url, namespace)
        drop_postgres_schema(postgres_url(), schema)


if __name__ == "__main__":
    main()
