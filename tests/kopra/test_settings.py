"""Production refuses unsafe settings; a safe production configuration passes check --deploy."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REAL_SECRET = "k" * 20 + "9f2c41d0e8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0"
REAL_LIVIN_SECRET = "agreed-with-the-bank-3f9a1c7e5b2d8f4a"


def run_manage(*args, **env_overrides):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KOPRA_ENV", "DEBUG", "SECRET_KEY"))}
    env["LIVIN_SECRET"] = REAL_LIVIN_SECRET
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


@pytest.mark.parametrize("livin_secret", ["", "sandbox-livin-secret-change-me", "short-but-not-default"])
def test_production_refuses_the_public_default_or_a_short_livin_secret(livin_secret):
    result = run_manage("check", KOPRA_ENV="production", SECRET_KEY=REAL_SECRET, SANDBOX_ENABLED="true",
                        LIVIN_SECRET=livin_secret)
    assert result.returncode != 0
    assert "KOPRA_ENV=production needs LIVIN_SECRET set" in result.stderr


def test_check_deploy_is_clean_with_production_settings_and_a_real_secret():
    # A trial against the sandbox bank, said explicitly: both gateways are then configured.
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING",
        KOPRA_ENV="production", SECRET_KEY=REAL_SECRET, ALLOWED_HOSTS="kopra.example.co.id", SANDBOX_ENABLED="true",
        EMAIL_URL="smtp+tls://kopra:secret@smtp.example.co.id:587",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_without_a_mail_server_says_staff_e_mail_is_never_sent():
    result = run_manage("check", "--deploy", KOPRA_ENV="production", SECRET_KEY=REAL_SECRET,
                        ALLOWED_HOSTS="kopra.example.co.id", SANDBOX_ENABLED="true")
    assert "core.W002" in result.stderr + result.stdout
    assert "No mail server is configured (EMAIL_URL)" in result.stderr + result.stdout


@pytest.mark.parametrize("setting", ["LIVIN_GATEWAY", "PAYMENTS_GATEWAY"])
def test_production_refuses_a_sandbox_gateway_unless_the_sandbox_is_enabled_explicitly(setting):
    sandbox_gateway = {"LIVIN_GATEWAY": "livin.gateways.SandboxLivinGateway",
                       "PAYMENTS_GATEWAY": "livin.gateways.SandboxPaymentsGateway"}[setting]
    refused = run_manage("check", KOPRA_ENV="production", SECRET_KEY=REAL_SECRET, **{setting: sandbox_gateway})
    assert refused.returncode != 0
    assert f"KOPRA_ENV=production refuses {setting}={sandbox_gateway}" in refused.stderr
    assert "SANDBOX_ENABLED=true" in refused.stderr

    trial = run_manage("check", KOPRA_ENV="production", SECRET_KEY=REAL_SECRET, SANDBOX_ENABLED="true",
                       **{setting: sandbox_gateway})
    assert trial.returncode == 0, trial.stderr


def test_production_without_gateways_starts_and_names_what_is_missing():
    result = run_manage("check", KOPRA_ENV="production", SECRET_KEY=REAL_SECRET, ALLOWED_HOSTS="kopra.example.co.id",
                        SANDBOX_ENABLED="", LIVIN_GATEWAY="", PAYMENTS_GATEWAY="")
    assert result.returncode == 0, result.stderr
    assert "No bank gateway is configured in LIVIN_GATEWAY" in result.stderr
    assert "No bank gateway is configured in PAYMENTS_GATEWAY" in result.stderr


def test_a_sandbox_gateway_without_the_sandbox_installed_is_refused_at_start():
    result = run_manage("check", SANDBOX_ENABLED="false", LIVIN_GATEWAY="livin.gateways.SandboxLivinGateway")
    assert result.returncode != 0
    assert ("LIVIN_GATEWAY=livin.gateways.SandboxLivinGateway is the sandbox bank, which is not installed"
            in result.stderr)


def test_without_the_sandbox_the_product_starts_without_livin_or_the_demo():
    code = ("import django; django.setup(); from django.conf import settings; "
            "from django.urls import resolve, Resolver404\n"
            "assert 'livin' not in settings.INSTALLED_APPS and 'demo' not in settings.INSTALLED_APPS\n"
            "try:\n    resolve('/sandbox/livin/')\nexcept Resolver404:\n    print('no sandbox pages')\n")
    env = {k: v for k, v in os.environ.items() if k not in ("LIVIN_GATEWAY", "PAYMENTS_GATEWAY")}
    env.update(SANDBOX_ENABLED="false", DJANGO_SETTINGS_MODULE="kopra.settings")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert "no sandbox pages" in result.stdout


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


def test_production_refuses_callbacks_to_local_addresses():
    result = run_manage("check", KOPRA_ENV="production", SECRET_KEY=REAL_SECRET, SANDBOX_ENABLED="true",
                        OUTBOUND_ALLOW_LOCAL="true")
    assert result.returncode != 0
    assert "refuses OUTBOUND_ALLOW_LOCAL=true" in result.stderr
