"""Production refuses unsafe settings; a safe production configuration passes check --deploy."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REAL_SECRET = "k" * 20 + "9f2c41d0e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0"


def run_manage(*args, **env_overrides):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KOPRA_ENV", "DEBUG", "SECRET_KEY"))}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_production_refuses_debug():
    result = run_manage("check", KOPRA_ENV="production", DEBUG="true", SECRET_KEY=REAL_SECRET)
    assert result.returncode != 0
    assert "refuses DEBUG" in result.stderr


def test_production_refuses_the_default_secret_key():
    result = run_manage("check", KOPRA_ENV="production")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_a_short_secret_key():
    result = run_manage("check", KOPRA_ENV="production", SECRET_KEY="short-secret")
    assert result.returncode != 0
    assert "50+ characters" in result.stderr


def test_check_deploy_is_clean_with_production_settings_and_a_real_secret():
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING",
        KOPRA_ENV="production", SECRET_KEY=REAL_SECRET, ALLOWED_HOSTS="kopra.example.co.id",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_json_log_lines_carry_level_logger_and_request_id():
    code = (
        "import django, logging, json; django.setup();"
        "logging.getLogger('kopra.test').warning('hello %s', 'world')"
    )
    env = {**os.environ, "LOG_FORMAT": "json", "DJANGO_SETTINGS_MODULE": "kopra.settings"}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    import json

    line = json.loads(result.stderr.strip().splitlines()[-1])
    assert line["message"] == "hello world"
    assert line["level"] == "WARNING"
    assert line["logger"] == "kopra.test"
    assert line["request_id"] == "-"


def test_text_logs_are_the_default():
    code = "import django, logging; django.setup(); logging.getLogger('kopra.test').warning('plain')"
    env = {k: v for k, v in os.environ.items() if k != "LOG_FORMAT"}
    env["DJANGO_SETTINGS_MODULE"] = "kopra.settings"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert "WARNING" in result.stderr and "[-] kopra.test: plain" in result.stderr


@pytest.mark.parametrize("setting", ["TIME_ZONE"])
def test_display_time_zone_is_jakarta_and_storage_is_utc(setting, settings):
    assert settings.TIME_ZONE == "Asia/Jakarta"
    assert settings.USE_TZ is True
