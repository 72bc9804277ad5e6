"""Browser tests: Playwright (sync API) driving Debian's Chromium against the live app.

Chromium is Debian's package (`apt-get install chromium`): Playwright's own browser
download does not work on these machines. In CI (`CI=true`, or KOPRA_REQUIRE_SERVICES
naming "browser") a missing Chromium or Playwright fails the test; elsewhere it skips.
"""

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT, missing_service

CHROMIUM = os.environ.get("KOPRA_CHROMIUM", "/usr/bin/chromium")
# Without the background-networking flags Chromium keeps calling hosts this machine's
# closed network refuses; --no-sandbox because CI runs as root.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SCREENSHOTS = Path(os.environ.get("KOPRA_ARTIFACTS", ROOT / "artifacts")) / "screenshots"
TIMEOUT_MS = 20_000  # generous: CI runs two test processes on two cores


def _browser_missing(hint: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"needs browser: {hint} (required in CI)")
    missing_service("browser", hint)  # fails too where KOPRA_REQUIRE_SERVICES names "browser"


@pytest.fixture
def browser_installed():
    """Playwright and Chromium are there (request it first: a skip then costs nothing)."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _browser_missing("the playwright package: .venv/bin/pip install -e '.[dev]'")
    if not Path(CHROMIUM).exists():
        _browser_missing(f"Chromium at {CHROMIUM}: apt-get install -y chromium (or set KOPRA_CHROMIUM)")


@pytest.fixture
def chromium(browser_installed):
    """A headless Chromium for the test; each person in it gets a browser context of it.

    Request it after every fixture that touches the database, and touch none while it is
    open: Playwright's sync API keeps an event loop running in this thread, and Django
    then refuses ORM calls (or, allowed, opens a connection nobody closes). Per test, not
    per session, so no other test runs beside that loop."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        # launch() gives every run a fresh, empty profile (user-data dir) of its own.
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def static_files_served(settings):
    """The live server serves CSS and JS from the source folders (no collectstatic)."""
    settings.WHITENOISE_USE_FINDERS = True
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}


@pytest.fixture
def demo(settings, tmp_path, transactional_db):
    """The demo's company, users, codes and Livin' phones, as `make run` seeds them, with
    each user's authenticator (the journey reads its codes off it, as from the user's phone)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from demo import seed as kopra_demo

    settings.VAR_DIR = tmp_path / "var"  # the demo's API key file goes here, not into ./var
    seeded = kopra_demo.seed()
    seeded["authenticators"] = {
        device.user.user_id: device
        for device in TOTPDevice.objects.select_related("user").filter(
            user__company__company_id=kopra_demo.DEMO_COMPANY_ID, confirmed=True)
    }
    return seeded


@pytest.fixture
def worker(celery_worker_process):
    """A real Celery worker with beat, as `make run` starts it, on the configured broker (a
    queue of this test process's own: see celery_worker_process)."""
    return celery_worker_process(beat=True)


@pytest.fixture
def screenshots(request):
    """A folder artifacts/screenshots/<journey>/, emptied first, for NN-step.png files."""

    def folder(journey: str) -> Path:
        path = SCREENSHOTS / journey
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True)
        return path

    return folder
