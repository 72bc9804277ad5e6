"""The whole biller journey in a real browser, in English and in Bahasa Indonesia, on a 1366 px
laptop and on a 390 px phone.

Run: `.venv/bin/pytest tests/browser` (Debian's chromium at /usr/bin/chromium). The
screenshots of every step land in artifacts/screenshots/biller-journey-<language>-<width>/, with
timings.txt (seconds since the start of each step) beside them.
"""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.real_broker, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [1366, 390])
@pytest.mark.parametrize("language", ["en", "id"])
def test_the_whole_biller_journey(language, width, browser_installed, demo, worker, static_files_served,
                                  live_server_fresh_connections, screenshots, tmp_path, chromium):
    from tests.browser.journey import Journey

    journey = Journey(chromium, live_server_fresh_connections.url, language, demo["authenticators"],
                      shots=screenshots(f"biller-journey-{language}-{width}"), files=tmp_path,
                      viewport={"width": width, "height": 900 if width > 500 else 844})
    failed = True
    try:
        journey.run()
        failed = False
    except Exception:
        if worker.poll() is not None:  # its log is printed when the fixture ends
            pytest.fail(f"the Celery worker died (exit code {worker.returncode}) during the journey")
        raise
    finally:
        journey.close(failed=failed)
