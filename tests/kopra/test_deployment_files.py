"""docker-compose runs the same commands as the Procfile that `make run` starts."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def procfile() -> dict[str, str]:
    entries = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, command = line.split(":", 1)
            entries[name.strip()] = command.strip()
    return entries


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_procfile_starts_web_worker_and_beat():
    assert set(procfile()) == {"web", "worker", "beat"}


def test_compose_services_run_the_procfile_commands():
    services = compose()["services"]
    for name, command in procfile().items():
        assert services[name]["command"] == command, name


def test_compose_has_postgres_with_healthcheck_redis_and_a_one_shot_migrate():
    services = compose()["services"]
    assert "healthcheck" in services["postgres"]
    assert services["redis"]["image"].startswith("redis")
    assert "migrate" in services["migrate"]["command"]
    assert services["migrate"].get("restart", "no") == "no"
    for name in ("web", "worker", "beat"):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"


def test_every_app_service_shares_one_production_environment():
    services = compose()["services"]
    envs = [services[name]["environment"] for name in ("migrate", "web", "worker", "beat")]
    assert all(env == envs[0] for env in envs)
    assert envs[0]["KOPRA_ENV"] == "production"
    assert envs[0]["DATABASE_URL"].startswith("postgres://")
    assert envs[0]["CELERY_BROKER_URL"].startswith("redis://")
