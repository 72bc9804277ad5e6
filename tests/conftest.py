"""Shared fixtures: fast settings, eager tasks, servers that CI must have, signed-in clients."""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings

# The live server's listen backlog (10) drops connections when a test opens 200 at once.
from django.core.servers.basehttp import WSGIServer  # noqa: E402
from django.db import connection

from kopra.celery import app as celery_app

WSGIServer.request_queue_size = 512

# In CI (`.ci/run`) a test that needs one of these fails when it is missing; on a
# developer's machine it is skipped with a message saying what to start.
REQUIRED_SERVICES = {s for s in os.environ.get("KOPRA_REQUIRE_SERVICES", "").split(",") if s}


def missing_service(name: str, hint: str):
    message = f"needs {name}: {hint}"
    if name in REQUIRED_SERVICES:
        pytest.fail(f"{message} (required in this run)")
    pytest.skip(message)


@pytest.fixture(autouse=True)
def _default_language_in_every_test():
    """A request in Bahasa Indonesia leaves that language active in the thread (LocaleMiddleware
    activates, never deactivates): without this, the next test would read Indonesian messages."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fast_test_settings(settings):
    # Argon2 is the production hasher (tests/billers prove it); MD5 keeps the suite quick.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _tasks_run_inline(request):
    """Tasks run in the test's own process unless the test is about the real broker."""
    if request.node.get_closest_marker("real_broker"):
        yield
        return
    previous = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = previous


@pytest.fixture(autouse=True)
def _servers_for_markers(request):
    if request.node.get_closest_marker("postgres"):
        from django.conf import settings

        if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
            missing_service("postgres", "run with DATABASE_URL=postgres://postgres@127.0.0.1:5432/test")


def redis_url_or_skip() -> str:
    url = os.environ.get("REDIS_URL") or os.environ.get("CELERY_BROKER_URL", "")
    if not url.startswith("redis://"):
        missing_service("redis", "run with REDIS_URL=redis://127.0.0.1:6379/1 and a Redis server")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        missing_service("redis", f"{url} does not answer ({exc}); start redis-server")
    return url


@pytest.fixture
def redis_url():
    return redis_url_or_skip()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def private_redis():
    """A Redis server of the test's own, on a free port, that the test may stop."""
    binary = shutil.which("redis-server")
    if binary is None:
        missing_service("redis", "install redis-server")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    import redis

    client = redis.Redis(port=port, socket_connect_timeout=1)
    for _ in range(50):
        try:
            client.ping()
            break
        except redis.RedisError:
            time.sleep(0.1)
    yield {"url": f"redis://127.0.0.1:{port}/0", "process": process}
    process.kill()
    process.wait()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's test databases, dropped at the end even if a worker or server thread still holds one.

    On PostgreSQL a connection left open by a child process or a live-server thread makes
    ``DROP DATABASE`` fail ("being accessed by other users") and the database stays behind.
    """
    yield
    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                       "WHERE datname = current_database() AND pid <> pg_backend_pid()")


def database_url_of_test_db() -> str:
    """A DATABASE_URL a child process can use to reach the test database."""
    data = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{data['NAME']}"
    auth = data["USER"] + (f":{data['PASSWORD']}" if data.get("PASSWORD") else "")
    return f"postgres://{auth}@{data['HOST'] or '127.0.0.1'}:{data['PORT'] or 5432}/{data['NAME']}"


@pytest.fixture
def unique():
    return uuid.uuid4().hex[:8]


@pytest.fixture
def company(db):
    from tests.factories import CompanyFactory

    return CompanyFactory(company_id="ACME01", name="PT Acme Air")


@pytest.fixture
def other_company(db):
    from tests.factories import CompanyFactory

    return CompanyFactory(company_id="OTHER02", name="PT Other Gas")


def sign_in(client, user):
    """Signs ``user`` in as the console does, one-time code included."""
    from django_otp import DEVICE_ID_SESSION_KEY

    from tests.factories import authenticator

    client.force_login(user, backend="billers.auth.CompanyUserBackend")
    if user.needs_two_factor:
        device = authenticator(user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session["kopra_login_at"] = int(time.time())
        session.save()
    return client


@pytest.fixture
def maker(company):
    from tests.factories import UserFactory

    return UserFactory(company=company, user_id="maker", is_maker=True)


@pytest.fixture
def approver(company):
    from tests.factories import UserFactory

    return UserFactory(company=company, user_id="approver", is_maker=False, is_approver=True)


@pytest.fixture
def viewer(company):
    from tests.factories import UserFactory

    return UserFactory(company=company, user_id="viewer", is_maker=False, is_viewer=True)


@pytest.fixture
def company_admin(company):
    from tests.factories import UserFactory

    return UserFactory(company=company, user_id="boss", is_admin=True, is_maker=False)


@pytest.fixture
def admin_client(client, company_admin):
    return sign_in(client, company_admin)


@pytest.fixture
def client_factory():
    from django.test import Client

    return Client


@pytest.fixture
def live_server_fresh_connections(live_server):
    """The live server's threads close their database connection after each request,
    so the test database can be dropped at the end."""
    from django.db import connections

    settings_dict = connections.settings["default"]
    previous = settings_dict.get("CONN_MAX_AGE", 0)
    settings_dict["CONN_MAX_AGE"] = 0
    yield live_server
    settings_dict["CONN_MAX_AGE"] = previous


@pytest.fixture(autouse=True)
def _empty_cache(settings):
    """Each test counts in a cache of its own: rate-limit windows never leak from one test to
    the next, nor between test processes sharing one Redis (keys expire by themselves)."""
    from django.core.cache import cache

    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"t{uuid.uuid4().hex[:12]}"}}
    if "LocMem" in settings.CACHES["default"]["BACKEND"]:
        cache.clear()
    yield


def _transactional(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return bool(
        {"transactional_db", "live_server"} & set(request.fixturenames)
        or (marker is not None and marker.kwargs.get("transaction"))
    )


@pytest.fixture(autouse=True)
def _sqlite_append_only_guards_closed(request, django_db_blocker):
    """Every database test starts with the append-only guards closed, even right after a
    transactional test opened them for its flush (see below)."""
    if request.node.get_closest_marker("django_db") or {"db", "transactional_db"} & set(request.fixturenames):
        if connection.vendor == "sqlite":
            from core.migration_ops import SQLITE_OVERRIDE_TABLE

            request.getfixturevalue("django_db_setup")  # the test database, not the demo's
            with django_db_blocker.unblock(), connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {SQLITE_OVERRIDE_TABLE}")
    yield


@pytest.fixture(autouse=True)
def _sqlite_flush_past_append_only_guards(request):
    """Transactional tests end with a flush; on SQLite that is DELETE, which the append-only
    triggers refuse (PostgreSQL's flush is a TRUNCATE, which they do not see). Open the
    guard for the flush only: this is torn down just before it."""
    if not _transactional(request):
        yield
        return
    request.getfixturevalue("transactional_db")
    yield
    if connection.vendor == "sqlite":
        from core.migration_ops import SQLITE_OVERRIDE_TABLE

        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {SQLITE_OVERRIDE_TABLE} (reason) VALUES ('test flush')")


ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def celery_worker_process(tmp_path, transactional_db, monkeypatch):
    """Starts a real Celery worker (and beat, with ``beat=True``) on the configured broker,
    reading the test database. With the filesystem broker the queue folder is the test's own."""
    started = []
    transport_options = dict(celery_app.conf.broker_transport_options or {})
    env = {**os.environ, "DATABASE_URL": database_url_of_test_db(), "KOPRA_CELERY_DIR": str(tmp_path / "celery")}
    if celery_app.conf.broker_url.startswith("redis://"):
        # A Redis database of this test's own, emptied first: test processes running side
        # by side must not take each other's tasks (their test databases differ).
        import redis

        worker_index = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0")[2:] or 0)
        base = celery_app.conf.broker_url.rsplit("/", 1)[0]
        private_url = f"{base}/{10 + worker_index}"
        redis.Redis.from_url(private_url).flushdb()
        env["CELERY_BROKER_URL"] = private_url
        monkeypatch.setenv("CELERY_BROKER_URL", private_url)
    if celery_app.conf.broker_url.startswith("filesystem://"):
        (tmp_path / "celery" / "queue").mkdir(parents=True)
        (tmp_path / "celery" / "control").mkdir(parents=True)
        celery_app.conf.broker_transport_options = {
            **transport_options,
            "data_folder_in": str(tmp_path / "celery" / "queue"),
            "data_folder_out": str(tmp_path / "celery" / "queue"),
            "control_folder": str(tmp_path / "celery" / "control"),
        }

    # Producers are pooled: drop any connection made with another test's queue folder.
    _forget_broker_connections()

    def start(*, beat: bool = False, extra_env: dict | None = None, concurrency: int = 0):
        """``concurrency`` > 0 runs the prefork pool with that many children, as the Procfile does."""
        pool = ["--pool", "prefork", "--concurrency", str(concurrency)] if concurrency else ["--pool", "solo"]
        command = [sys.executable, "-m", "celery", "--app", "kopra", "worker", *pool, "--loglevel",
                   "WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"]
        if beat:
            command += ["--beat", "--schedule", str(tmp_path / "beat-schedule")]
        process = subprocess.Popen(command, cwd=ROOT, env={**env, **(extra_env or {})}, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True)
        started.append(process)
        return process

    yield start
    for process in started:
        process.terminate()
        try:
            output, _ = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        if process.returncode not in (0, -15):
            print(output)
    celery_app.conf.broker_transport_options = transport_options
    _forget_broker_connections()


def pool_children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (a prefork worker's pool)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return children


def _forget_broker_connections():
    # Not app.close(): that also deregisters the app, and tasks defined later would miss it.
    # Nor closing the pools: kombu keeps them in a registry and would hand a closed one out.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


# --- Without the sandbox bank -----------------------------------------------------------
# SANDBOX_ENABLED=false installs neither livin nor demo: the suite then runs every test that
# does not need them. Those that do are left out of the collection, never skipped: a module
# that imports the sandbox, a test that asks for a sandbox fixture, or one marked ``sandbox``.
SANDBOX_IMPORT = re.compile(r"^\s*(from|import) (livin|demo)\b", re.M)
SANDBOX_FIXTURES = {"livin_users", "make_bill", "core_account", "seeded_demo"}


def pytest_ignore_collect(collection_path, config):
    if settings.SANDBOX_ENABLED:
        return None
    if collection_path.name == "browser":
        return True
    if collection_path.suffix == ".py" and collection_path.name.startswith("test_"):
        return _needs_sandbox(collection_path) or None
    return None


TESTS_IMPORT = re.compile(r"^\s*from (tests(?:\.\w+)+) import", re.M)


def _needs_sandbox(path: Path, seen: frozenset = frozenset()) -> bool:
    """True if the module imports the sandbox, itself or through a test module it imports."""
    text = path.read_text(encoding="utf-8")
    if SANDBOX_IMPORT.search(text):
        return True
    root = Path(__file__).resolve().parent.parent
    for module in TESTS_IMPORT.findall(text):
        imported = root.joinpath(*module.split(".")).with_suffix(".py")
        if imported.exists() and imported not in seen and _needs_sandbox(imported, seen | {path}):
            return True
    return False


def pytest_collection_modifyitems(config, items):
    if settings.SANDBOX_ENABLED:
        return
    needs = [item for item in items
             if item.get_closest_marker("sandbox") or SANDBOX_FIXTURES & set(getattr(item, "fixturenames", ()))]
    if needs:
        config.hook.pytest_deselected(items=needs)
        left_out = set(needs)
        items[:] = [item for item in items if item not in left_out]
