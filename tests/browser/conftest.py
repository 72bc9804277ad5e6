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
def chromium(monkeypatch):
    """A headless Chromium for the test; each person in it gets a browser context of it.

    Per test, not per session: Playwright's sync API keeps an event loop running in this
    thread while it is open, which Django takes for async code calling the ORM. The test
    allows that for its own duration only, so no other test runs beside a live loop."""
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        _browser_missing("the playwright package: .venv/bin/pip install -e '.[dev]'")
    if not Path(CHROMIUM).exists():
        _browser_missing(f"Chromium at {CHROMIUM}: apt-get install -y chromium (or set KOPRA_CHROMIUM)")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
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
    """The demo's company, users, codes and Livin' phones, as `make run` seeds them."""
    from kopra import demo as kopra_demo

    settings.VAR_DIR = tmp_path / "var"  # the demo's API key file goes here, not into ./var
    return kopra_demo.seed()


@pytest.fixture
def private_worker(request, monkeypatch):
    """A real Celery worker with beat, on a filesystem queue of this test's own, so a worker
    of another test process (CI runs two) never takes this test's tasks from a shared Redis.
    (Celery reads CELERY_BROKER_URL from the environment before its own settings.)"""
    monkeypatch.setenv("CELERY_BROKER_URL", "filesystem://")
    start = request.getfixturevalue("celery_worker_process")
    return start(beat=True)


@pytest.fixture
def screenshots(request):
    """A folder artifacts/screenshots/<journey>/, emptied first, for NN-step.png files."""

    def folder(journey: str) -> Path:
        path = SCREENSHOTS / journey
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True)
        return path

    return folder
