"""Real-browser tests: Playwright drives Debian's Chromium against pytest-django's live_server.

Playwright's own browser download does not work on this project's machines, so the tests launch the
system Chromium by path. Without it they skip with a clear reason; with ``CI=true`` a missing browser
is a failure, never a skip.

Data: the real knowledge base, loaded once per test session (``real_kb_database``, tests/conftest.py) and
copied into the test database for the whole package. ``live_server`` needs committed data, and
pytest-django's ``transactional_db`` would flush every table after each test; reloading the knowledge
base takes ~15-20 s, so this package replaces ``transactional_db`` with plain unblocked access to the
copied database. Tests that write (the editor flow) undo their own changes; the package empties the
database when it is done (``RealKnowledgeBase.empty_test_database``: flushed, as a transactional test would,
with the migrations' own rows put back), so tests that run after it find the empty migrated database.
"""

import os
import shutil
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.db import connection
from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}


E2E_DIR = Path(__file__).resolve().parent


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(items):
    """Under pytest-xdist (``--dist loadgroup``, pyproject.toml) the browser tests all run in one worker: they
    share one browser, one live server, one copy of the knowledge base and the screenshots folder."""
    for item in items:
        if item.path.is_relative_to(E2E_DIR):
            item.add_marker(pytest.mark.xdist_group("e2e"))


def _ci():
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


@pytest.fixture(scope="package", autouse=True)
def chromium():
    """Skip the package when Chromium is missing — or fail it under CI=true. Runs before anything else."""
    if not Path(CHROMIUM).is_file():
        reason = f"Chromium not found at {CHROMIUM}"
        if _ci():
            pytest.fail(f"{reason} (CI=true: install it with `apt-get install -y chromium`)", pytrace=False)
        pytest.skip(reason)
    return CHROMIUM


@pytest.fixture(scope="package")
def knowledge_base(real_kb_database, django_db_blocker):
    """The real knowledge base, copied (committed) into the test database for the package and emptied afterwards."""
    with django_db_blocker.unblock():
        real_kb_database.copy_to_test_database()
    yield
    with django_db_blocker.unblock():
        real_kb_database.empty_test_database()
        _end_other_sessions()


def _end_other_sessions():
    """End database sessions left open in other contexts (Django keeps one connection per context, and
    this package fixture's teardown runs in a different one from its setup), then close this one, so
    PostgreSQL can drop the test database at the end of the run."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    connection.close()


@pytest.fixture
def transactional_db(knowledge_base, django_db_blocker):
    """Committed, shared data for live_server (overrides pytest-django's flush-after-each-test)."""
    with django_db_blocker.unblock():
        yield


@pytest.fixture
def db(transactional_db):
    """The same shared data for fixtures that ask for ``db`` (e.g. django_user_model)."""


@pytest.fixture(scope="package")
def browser(chromium):
    # Playwright's sync API runs an event loop in this thread; Django refuses ORM calls from a thread
    # with a running loop unless told that this is safe (the test code and loop never share a call).
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            # launch() gives every run a fresh temporary user-data directory.
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            yield browser
            browser.close()


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.fixture
def no_js_page(browser):
    context = browser.new_context(viewport=DESKTOP, java_script_enabled=False)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


@pytest.fixture(scope="package")
def screenshots():
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir(parents=True)
    return SCREENSHOTS


@pytest.fixture(scope="package")
def axe():
    return Axe()


def assert_no_axe_violations(axe, page):
    """axe-core finds no WCAG 2.0/2.1/2.2 A or AA violation on the current page (one line per rule if it does)."""
    # Let scripts that run after load (htmx, select2, admin-a11y.js) finish their first frame.
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    results = axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]})
    violations = [
        f"{v['id']} ({v['impact']}, {len(v['nodes'])} nodes): {v['help']} — e.g. {v['nodes'][0]['target']}: "
        + v["nodes"][0].get("failureSummary", "").replace("\n", " ")
        for v in results.response["violations"]
    ]
    assert not violations, f"{page.url}\n" + "\n".join(violations)


PASSWORD = "e2e-correct-horse-battery"


def log_in(page, base_url, username, password=PASSWORD):
    page.goto(base_url + "/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(base_url + "/admin/")


@pytest.fixture
def staff_page(live_server, page, django_user_model):
    """A page logged in to the admin as a superuser (deleted again afterwards)."""
    user = django_user_model.objects.create_superuser("e2e-admin", password=PASSWORD)
    log_in(page, live_server.url, user.username)
    yield page
    user.delete()
