"""What the tests that start processes of their own (a uvicorn or gunicorn server, a Celery worker) share: a
free port on loopback, the test database's address for the child's DATABASE_URL, the environment of a server,
and waiting until a port answers."""

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import redis
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    """The test database, so that a child process reads and writes what the test sees."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def wait_for_port(port: int, *, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def server_environment(*, var_dir: Path, env: dict[str, str] | None = None) -> dict[str, str]:
    """What a server started by a test runs with: the test settings on the test database, this run's
    SECRET_KEY (so that a session made in the test is valid there); `env` adds or overrides variables."""
    return {
        **{k: v for k, v in os.environ.items() if k not in {"DJANGO_ALLOW_ASYNC_UNSAFE"}},
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(),
        "VAR_DIR": str(var_dir),
        "SECRET_KEY": settings.SECRET_KEY,
        **(env or {}),
    }


@contextlib.contextmanager
def uvicorn_server(
    *,
    var_dir: Path,
    env: dict[str, str] | None = None,
    workers: int = 1,
    log: Path | None = None,
    options: Sequence[str] = (),
) -> Iterator[str]:
    """The app as production serves its event streams (uvicorn, ASGI: event streams work), with the test
    settings, on the test database; yields its address. `env` adds or overrides variables (REDIS_URL...), `options`
    command-line options (a later one wins over the same one before it)."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", str(workers), "--lifespan", "off", "--log-level", "warning"]
    command += ["--timeout-graceful-shutdown", "2", *options]
    with (
        logging_to(log) as output,
        serving(command, port=port, env=server_environment(var_dir=var_dir, env=env), output=output) as address,
    ):
        yield address


@contextlib.contextmanager
def gunicorn_server(
    *,
    var_dir: Path,
    env: dict[str, str] | None = None,
    workers: int = 1,
    log: Path | None = None,
    options: Sequence[str] = (),
) -> Iterator[str]:
    """The app as production serves its pages (gunicorn, WSGI sync workers: event streams answer 503), with
    the test settings, on the test database; yields its address."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", str(workers), "--log-level", "warning", "--graceful-timeout", "2", "--no-control-socket"]
    command += options
    with (
        logging_to(log) as output,
        serving(command, port=port, env=server_environment(var_dir=var_dir, env=env), output=output) as address,
    ):
        yield address


@contextlib.contextmanager
def logging_to(log: Path | None) -> Iterator[Any]:
    """Where a server's output goes: the file, or nowhere."""
    if log is None:
        yield subprocess.DEVNULL
        return
    with log.open("w") as output:
        yield output


@contextlib.contextmanager
def serving(command: list[str], *, port: int, env: dict[str, str], output: Any) -> Iterator[str]:
    """Starts a server command that listens on `port` (in a session of its own, so that stopping it stops
    its workers too), yields its address once the port answers, and stops it."""
    server = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True, stdout=output, stderr=output)
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=15)


@contextlib.contextmanager
def celery_worker(*, var_dir: Path, queue: str, log: Path, env: dict[str, str] | None = None) -> Iterator[None]:
    """A Celery worker (one process in its pool) on the broker of `env`'s REDIS_URL, consuming only `queue` (a
    name of the test's own, on a Redis others may share), its output in `log`."""
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel=INFO", "--concurrency=1"]
    command += ["--queues", queue, "--without-heartbeat", "--without-gossip", "--without-mingle"]
    command += ["--include", "tests.failing_tasks"]
    with log.open("w") as output:
        worker = subprocess.Popen(
            command,
            cwd=ROOT,
            env=server_environment(var_dir=var_dir, env=env),
            stdout=output,
            stderr=output,
            start_new_session=True,
        )
    try:
        yield
    finally:
        worker.terminate()
        worker.wait(timeout=15)
        # What kombu left for the queue on the shared Redis: its bindings, and any message not consumed.
        if redis_url := (env or {}).get("REDIS_URL"):
            with redis.Redis.from_url(redis_url) as client:
                client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")


def wait_for(condition: Callable[[], bool], *, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)
