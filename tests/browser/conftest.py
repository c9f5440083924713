"""Browser-test harness: the app served on a real port, Debian's Chromium driven by Playwright.

The live server gets its own database (a SQLite file, or a separate PostgreSQL database when
the suite runs on PostgreSQL), migrated and loaded with the demo data, because a browser
cannot share the rolled-back transaction of the other tests. Without /usr/bin/chromium the
tests skip with that reason; with REQUIRE_BROWSER=1 (CI) they fail instead.
"""

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app.auth.models import Role
from app.auth.services import create_user
from app.demo.services import load_demo
from app.extensions import db
from tests.conftest import build_test_app, postgres_url, run_ddl, skip_or_fail, upgrade_to_head

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).parent / "screenshots"
ORGANISER = ("to-chuc", "mật khẩu tổ chức 2023")
LEADER = ("lanh-dao", "mật khẩu lãnh đạo 2023")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _database_for(app, tmp_path):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        name = f"dat7_browser_{os.getpid()}"
        run_ddl("DROP DATABASE IF EXISTS {} WITH (FORCE)", name)
        run_ddl("CREATE DATABASE {}", name)
        return postgres_url().rsplit("/", 1)[0] + f"/{name}"
    return f"sqlite:///{tmp_path / 'browser.db'}"


@pytest.fixture(scope="session")
def live_server(live_app):
    """Base URL of the app served in a thread."""
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def live_app(app, tmp_path_factory):
    """The app the browser talks to, with demo data and an organiser and a leader account."""
    tmp_path = tmp_path_factory.mktemp("browser")
    served = build_test_app(_database_for(app, tmp_path), tmp_path, WTF_CSRF_ENABLED=True)
    upgrade_to_head(served)
    with served.app_context():
        load_demo(served.instance_path)
        create_user({"username": ORGANISER[0], "full_name": "Hoàng Thị Mai", "role": Role.organiser}, ORGANISER[1])
        create_user({"username": LEADER[0], "full_name": "Đàm Văn Chính", "role": Role.leader}, LEADER[1])
        db.session.commit()
    yield served
    with served.app_context():
        db.engine.dispose()
    if served.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        run_ddl("DROP DATABASE IF EXISTS {} WITH (FORCE)", f"dat7_browser_{os.getpid()}")


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        skip_or_fail(f"{CHROMIUM} is not installed (apt-get install chromium)", "REQUIRE_BROWSER")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def phone(browser):
    """A page the size of a common phone (390×844), in Vietnamese."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True, locale="vi-VN"
    )
    page = context.new_page()
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    """Save a screenshot under tests/browser/screenshots/ (and docs/screenshots/ with SAVE_DOC_SCREENSHOTS=1)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if os.environ.get("SAVE_DOC_SCREENSHOTS") == "1":
        docs = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
        docs.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(docs / f"{name}.png"))
    return path


def sign_in(page, base_url, username=ORGANISER[0], password=ORGANISER[1]):
    page.goto(f"{base_url}/login")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(lambda url: url.startswith(base_url) and "/login" not in url)  # leaders land on /reports
