"""Throwaway Redis and PostgreSQL servers that fault tests may kill: started on free ports
from the machine's binaries, in temporary folders, and stopped afterwards. The machine's own
servers are never touched. The tests run in the PostgreSQL pass of CI (DATABASE_URL set)."""

from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa
from flask import Flask

from tests.conftest import free_port
from tests.notifications.conftest import fake_fcm, private_key_pem, service_account_file  # noqa: F401
from tests.timing import pause

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _postgres_pass_only(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("fault tests run in the PostgreSQL pass (DATABASE_URL=postgresql+psycopg://...)")


def wait_for(condition, seconds: float = 20.0, step: float = 0.1) -> bool:
    for _ in range(int(seconds / step)):
        if condition():
            return True
        pause(step)
    return condition()


class ThrowawayRedis:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--logfile",
                "",
            ],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        assert wait_for(lambda: _answers(client)), "throwaway redis-server did not start"

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


def _answers(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


@pytest.fixture
def throwaway_redis() -> Iterator[ThrowawayRedis]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = ThrowawayRedis()
    server.start()
    yield server
    server.kill()


class ThrowawayPostgres:
    """A cluster of its own (initdb), run as the postgres user when the tests run as root."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin = bin_dir
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="carepath-faults-pg-"))
        self.data = self.folder / "data"
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} -c fsync=off"
        self._run(
            "pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.folder / "log"), "-w", "start"
        )

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def freeze(self) -> None:
        """Every server process stopped where it stands (SIGSTOP): connections stay open and the
        kernel still accepts new ones, but nothing answers, as with a hung host or storage."""
        for pid in self._processes():
            os.kill(pid, signal.SIGSTOP)

    def thaw(self) -> None:
        for pid in self._processes():
            os.kill(pid, signal.SIGCONT)

    def _processes(self) -> list[int]:
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        children = subprocess.run(["pgrep", "-P", str(postmaster)], capture_output=True, text=True)
        return [postmaster, *(int(pid) for pid in children.stdout.split())]


@pytest.fixture(scope="session")
def throwaway_postgres() -> Iterator[ThrowawayPostgres]:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        pytest.skip("PostgreSQL server binaries are not installed")
    server = ThrowawayPostgres(Path(found[-1]).parent)
    server.init()
    server.start()
    yield server
    try:
        server.stop()
    except subprocess.CalledProcessError:
        pass  # a failed test may have left it stopped
    finally:
        shutil.rmtree(server.folder, ignore_errors=True)


@pytest.fixture
def hospital_on_throwaway_postgres(throwaway_postgres):
    """Makes the demo hospital's app on a fresh database of the throwaway server:
    `make(database_name, **config)` gives (app, database_url)."""
    from api import create_app
    from api.extensions import db
    from navigation.demo import load_demo
    from navigation.models import Base, utcnow
    from notifications import NotificationsBase

    made = []

    def make(name: str, **config) -> tuple[Flask, str]:
        url = fresh_database(throwaway_postgres.url, name)
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": url,
                "TESTING": True,
                "RATELIMIT_ENABLED": False,
                "REDIS_URL": None,
                "CLOCK": utcnow,
                "SECRET_KEY": "fault-test",
                "JWT_SECRET_KEY": "fault-test-jwt-secret-long-enough-for-hs256",
                **config,
            }
        )
        with app.app_context():
            Base.metadata.create_all(db.engine)
            NotificationsBase.metadata.create_all(db.engine)
            load_demo(db.session)
            db.session.commit()
            db.session.remove()
        made.append(app)
        return app, url

    yield make
    for app in made:
        with app.app_context():
            db.engine.dispose()


def sign_in(client, username: str = "reception") -> str:
    response = client.post("/api/v1/auth/login", json={"username": username, "password": "demo"})
    assert response.status_code == 200, response.json
    return response.json["access_token"]


def fresh_database(server_url: str, name: str) -> str:
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)


def start_worker(env: dict[str, str], log: Path, fcm_url: str | None = None) -> subprocess.Popen:
    """`carepath worker` as its own process group (RQ forks work horses: kill them all)."""
    point = (
        f"from firebase_admin import messaging; messaging._MessagingService.FCM_URL = "
        f"{fcm_url + '/v1/projects/{0}/messages:send'!r}; "
        if fcm_url
        else ""
    )
    code = point + "from api.cli import main; main(['worker'])"
    with log.open("a") as output:
        return subprocess.Popen(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT), **env},
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def kill_worker(process: subprocess.Popen) -> None:
    """SIGKILL to the worker and its work horses: no clean-up of any kind."""
    if process.poll() is None:
        os.killpg(process.pid, 9)
    process.wait()
