"""The deployment of deploy/ on this machine, shared by the smoke test and the soak benchmark: a database of its
own on PostgreSQL, the environment file from the example, videoconsult-manage's migrate and collectstatic, nginx
with the site, and the units' command lines for pages (gunicorn), streams (uvicorn), worker and beat. `nodes=2`
runs two pages and two streams servers behind the site's upstreams, as an operator with two web nodes would."""

import contextlib
import getpass
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import psycopg2
from cryptography.fernet import Fernet

from tests.deploy import files
from tests.processes import free_port, wait_for_port


@contextlib.contextmanager
def database_of_its_own(database_url: str, suffix: str = "smoke") -> Iterator[str]:
    """A database beside DATABASE_URL's (whose test database pytest-django may be using), made and dropped here."""
    url = urlsplit(database_url)
    name = f"{url.path.lstrip('/') or 'videoconsult'}_{suffix}"
    server = {"host": url.hostname, "port": url.port or 5432, "user": url.username, "password": url.password}
    connection = psycopg2.connect(dbname="postgres", **server)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{name}"')
        yield url._replace(path=f"/{name}").geturl()
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.close()


class Services:
    """The processes of the deployment, each in a session of its own (its workers with it), logging to a file."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.processes: dict[str, subprocess.Popen] = {}

    def start(self, name: str, command: list[str], env: dict[str, str]) -> None:
        with (self.directory / f"{name}.log").open("a") as log:
            self.processes[name] = subprocess.Popen(
                command, cwd=files.ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def logs(self) -> str:
        return "\n".join(f"--- {path.name}\n{path.read_text()[-2000:]}" for path in self.directory.glob("*.log"))

    def stop(self, signals: dict[str, signal.Signals]) -> dict[str, float]:
        """Signals each one's main process (as systemd's KillMode=mixed does, which leaves its workers to it), all
        at once; returns how long each took to exit."""
        began = time.monotonic()
        stopping = {name: self.processes.pop(name) for name in signals}
        for name, process in stopping.items():
            process.send_signal(signals[name])
        # Each one's own time: waited for in turn, a quick one would be charged with a slow one's wait.
        took: dict[str, float] = {}
        while len(took) < len(stopping):
            assert time.monotonic() - began < 60, f"still running: {set(stopping) - set(took)}"
            for name, process in stopping.items():
                if name not in took and process.poll() is not None:
                    took[name] = time.monotonic() - began
            time.sleep(0.05)
        return took

    def kill(self, name: str) -> None:
        """SIGKILL to the service and its workers at once, as a node that loses its power."""
        process = self.processes.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def kill_all(self) -> None:
        for name in list(self.processes):
            self.kill(name)


def wait_until_ready(notify: socket.socket) -> None:
    """gunicorn's READY=1 on the socket systemd would give a Type=notify unit."""
    notify.settimeout(60)
    while b"READY=1" not in notify.recv(4096):
        pass


def manage(env_file: Path, *args: str) -> subprocess.Popen:
    """deploy/videoconsult-manage, as the operator runs it (here as the user running the test)."""
    env = {"PATH": os.environ["PATH"], "VIDEOCONSULT_HOME": str(files.ROOT), "VIDEOCONSULT_ENV": str(env_file)}
    env["VIDEOCONSULT_USER"] = getpass.getuser()
    command = [str(files.DEPLOY / "videoconsult-manage"), *args]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finished(process: subprocess.Popen) -> str:
    out, err = process.communicate(timeout=180)
    assert process.returncode == 0, f"{process.args}: {err[-3000:]}"
    return out


@dataclass
class Deployment:
    """A running deployment: its address, the certificate nginx serves, and its services. The first node's
    servers are "web" and "streams" (as the units are named), the second's "web2" and "streams2"."""

    directory: Path
    base: str
    http: str
    certificate: Path
    services: Services
    environment: dict[str, str]
    ports: dict[str, int] = field(default_factory=dict)

    def start_web(self, name: str) -> socket.socket:
        """Starts a pages server; returns the notify socket that says when it is ready (wait_until_ready)."""
        path = self.directory / f"{name}.notify"
        path.unlink(missing_ok=True)
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        notify.bind(str(path))
        command = files.exec_start("web", {files.PAGES_ADDRESS: f"127.0.0.1:{self.ports[name]}"})
        self.services.start(name, command, self.environment | {"NOTIFY_SOCKET": str(path)})
        return notify

    def start_streams(self, name: str) -> None:
        unit_port = files.STREAMS_ADDRESS.rsplit(":", 1)[1]
        command = files.exec_start("streams", {f"--port {unit_port}": f"--port {self.ports[name]}"})
        self.services.start(name, command, self.environment)

    def restart(self, name: str) -> None:
        """Starts a killed server again and returns once it serves."""
        if name.startswith("web"):
            notify = self.start_web(name)
            with contextlib.closing(notify):
                wait_until_ready(notify)
        else:
            self.start_streams(name)
            wait_for_port(self.ports[name], seconds=60)


@contextlib.contextmanager
def deployed(
    directory: Path,
    *,
    database_url: str,
    redis_url: str,
    nginx: str,
    smtp_port: int,
    seed: str,
    nodes: int = 1,
    database_suffix: str = "smoke",
    extra_environment: str = "",
    worker_connections: int = 512,
) -> Iterator[tuple[Deployment, str]]:
    """Builds and starts the deployment in `directory`; yields it and the last line that `seed` (Python for
    videoconsult-manage shell, run while the servers start) printed. Everything is killed on the way out."""
    names = ["web", "streams"] + [f"{kind}{n}" for n in range(2, nodes + 1) for kind in ("web", "streams")]
    ports = {name: free_port() for name in ("http", "https", *names)}
    base = f"https://127.0.0.1:{ports['https']}"
    with database_of_its_own(database_url, database_suffix) as own_database_url:
        env_file = directory / "videoconsult.env"
        env_file.write_text(
            files.render_environment(
                {
                    "SITE_URL": base,
                    "ALLOWED_HOSTS": "127.0.0.1",
                    "SECRET_KEY": Fernet.generate_key().decode(),
                    "ENCRYPTION_KEYS": Fernet.generate_key().decode(),
                    "DATABASE_URL": own_database_url,
                    "REDIS_URL": redis_url,
                    "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
                    "VAR_DIR": str(directory / "var"),
                    "STATIC_ROOT": str(directory / "var" / "staticfiles"),
                }
            )
            + extra_environment
        )
        # The README's order: migrate, collect the static files (side by side here, to keep it short).
        steps = [manage(env_file, "migrate", "--noinput", "-v0"), manage(env_file, "collectstatic", "--noinput")]
        for step in steps:
            finished(step)
        seeding = manage(env_file, "shell", "-v0", "-c", seed)
        web = tuple(ports[name] for name in names if name.startswith("web"))
        streams = tuple(ports[name] for name in names if name.startswith("streams"))
        nginx_conf, certificate = files.render_site(
            directory, http_port=ports["http"], https_port=ports["https"],
            pages_port=web[0] if nodes == 1 else web, streams_port=streams[0] if nodes == 1 else streams,
            worker_connections=worker_connections,
        )  # fmt: skip
        # What systemd gives a service: a clean environment and the EnvironmentFile's variables.
        environment = {"PATH": os.environ["PATH"], "LANG": "C.UTF-8", "HOME": str(directory / "var")}
        environment |= files.read_environment(env_file.read_text())
        services = Services(directory)
        deployment = Deployment(
            directory, base, f"http://127.0.0.1:{ports['http']}", certificate, services, environment, ports
        )
        notifies = []
        try:
            services.start("nginx", [nginx, "-p", str(directory), "-c", str(nginx_conf), "-g", "daemon off;"], {})
            for name in names:
                if name.startswith("web"):
                    notifies.append(deployment.start_web(name))
                else:
                    deployment.start_streams(name)
            services.start("worker", files.exec_start("worker"), environment)
            services.start("beat", files.exec_start("beat"), environment)
            seeded = finished(seeding).splitlines()[-1]
            try:
                for notify in notifies:
                    wait_until_ready(notify)
                for port in (*streams, ports["https"]):
                    wait_for_port(port, seconds=60)
            except OSError as error:  # a timeout: say why from the services' own words
                raise AssertionError(services.logs()) from error
            yield deployment, seeded
        finally:
            for notify in notifies:
                notify.close()
            services.kill_all()
