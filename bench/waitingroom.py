"""Waiting-room benchmark: many waiting clients on live connections while agents watch.

Starts the app as in production on a scratch database: pages by gunicorn and event streams (the URLs that
end in /events/) by uvicorn, each with `--workers` processes, live events through Redis; the benchmark
sends each request where the proxy would. `--servers uvicorn` serves everything by uvicorn instead (as
`make run`). It books one consult per client for today, and then for each size (100, 500, 1,000):

- connects that many clients to their join link's event stream (open means waiting), a few milliseconds
  apart, each checking in once as its page does when the stream opens, while every agent listens on their
  waiting room's stream: *arrival → agent notified* is the time from a client connecting to its team's
  agents hearing "presence";
- holds them all, and sends 200 messages through the agents' message form: *message → client received*
  is the time from the POST to the client's stream carrying "message";
- counts what failed: connections refused or dropped, check-ins not answered, arrivals and messages no
  stream carried within 30 s; and reads the servers' memory (RSS of all their processes).

    .venv/bin/python bench/waitingroom.py                       # scratch SQLite, 2 + 2 workers
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/videoconsult_bench .venv/bin/python bench/waitingroom.py
    .venv/bin/python bench/waitingroom.py --sizes 100 --workers 4 --servers uvicorn

Needs Redis on 127.0.0.1:6379 (database 11 is flushed). Clients are asyncio sockets in this process.
"""

import argparse
import asyncio
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict, deque
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
REDIS_URL = "redis://127.0.0.1:6379/11"
SCRATCH = Path(tempfile.mkdtemp(prefix="bench-waitingroom-"))
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"  # fast password hashing, rooms in memory
os.environ["REDIS_URL"] = REDIS_URL
os.environ.setdefault("DATABASE_URL", f"sqlite:///{SCRATCH / 'bench.sqlite3'}")

import django  # noqa: E402

django.setup()

import redis  # noqa: E402
import requests  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.scratch import create_scratch_database, drop_scratch_database, scratch_database_url  # noqa: E402

PASSWORD = "bench-password"  # noqa: S105 - scratch users of a scratch database
TEAMS, AGENTS_PER_TEAM = 10, 5
EVENT = re.compile(rb"data: (\w+)\n\n")


def build(clients: int):
    """Teams of agents, and one consult today per client (spread over the agents), as the services write."""
    from accounts.models import Membership, Organisation, Role, Team, User
    from scheduling.models import Appointment, Channel, Participant

    org = Organisation.objects.create(name="Bench practice")
    agents = []
    for t in range(TEAMS):
        team = Team.objects.create(organisation=org, name=f"Team {t}")
        for a in range(AGENTS_PER_TEAM):
            user = User.objects.create_user(
                email=f"agent{t}-{a}@bench.example", password=PASSWORD, full_name=f"Agent {t}-{a}", organisation=org
            )
            Membership.objects.create(user=user, team=team, role=Role.AGENT)
            agents.append((user, team))
    start = timezone.now() + timedelta(minutes=30)
    appointments = Appointment.objects.bulk_create(
        Appointment(
            organisation=org,
            team=agents[i % len(agents)][1],
            agent=agents[i % len(agents)][0],
            booked_by=agents[i % len(agents)][0],
            start=start,
            end=start + timedelta(minutes=30),
            subject=f"Consult {i}",
            message="Hello",
        )
        for i in range(clients)
    )
    participants = Participant.objects.bulk_create(
        Participant(appointment=a, name=f"Client {i}", channel=Channel.LINK, language="en")
        for i, a in enumerate(appointments)
    )
    return agents, [(p, a) for p, a in zip(participants, appointments, strict=True)]


def server_rss_mb(*pids: int) -> float:
    """Resident memory of the servers and their worker processes."""
    total = 0
    processes = [
        p for pid in pids for p in [pid, *map(int, Path(f"/proc/{pid}/task/{pid}/children").read_text().split())]
    ]
    for p in processes:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except FileNotFoundError:
            pass
    return total / 1024


class Stream:
    """One live connection: a plain HTTP/1.1 GET whose body is read for `data: <event>` lines."""

    def __init__(self, port: int, path: str, cookie: str = "") -> None:
        self.port, self.path, self.cookie = port, path, cookie
        self.events: deque[tuple[float, str]] = deque()
        self.waiters: list[tuple[str, asyncio.Future]] = []
        self.failed = False
        self.task: asyncio.Task | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        try:
            reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
            cookie = f"Cookie: {self.cookie}\r\n" if self.cookie else ""
            request = f"GET {self.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n{cookie}\r\n"
            self.writer.write(request.encode())
            status = await asyncio.wait_for(reader.readline(), timeout=30)
            if b" 200 " not in status:
                raise ConnectionError(status.decode().strip())
            await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=30)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ConnectionError):
            self.failed = True
            return
        self.task = asyncio.create_task(self._read(reader))

    async def _read(self, reader: asyncio.StreamReader) -> None:
        buffer = b""
        while True:
            chunk = await reader.read(4096)
            if not chunk:
                self.failed = True  # dropped by the server
                return
            buffer += chunk
            for match in EVENT.finditer(buffer):
                self.arrived(match.group(1).decode())
            buffer = buffer[buffer.rfind(b"\n\n") + 2 :] if b"\n\n" in buffer else buffer

    def arrived(self, event: str) -> None:
        now = time.perf_counter()
        self.events.append((now, event))
        for waiter in [w for w in self.waiters if w[0] == event]:
            self.waiters.remove(waiter)
            if not waiter[1].done():
                waiter[1].set_result(now)

    def next(self, event: str) -> asyncio.Future:
        future = asyncio.get_running_loop().create_future()
        self.waiters.append((event, future))
        return future

    async def close(self) -> None:
        if self.task:
            self.task.cancel()
        if self.writer:
            self.writer.close()


def log_in(base: str, email: str) -> requests.Session:
    session = requests.Session()
    session.get(f"{base}/accounts/login/")
    token = session.cookies["csrftoken"]
    session.post(
        f"{base}/accounts/login/", data={"username": email, "password": PASSWORD, "csrfmiddlewaretoken": token}
    )
    return session


def percentiles(values: list[float]) -> str:
    if not values:
        return "-"
    ms = sorted(v * 1000 for v in values)
    q = statistics.quantiles(ms, n=100, method="inclusive")
    return f"{q[49]:7.0f} {q[94]:7.0f} {q[98]:7.0f}"


async def check_in(port: int, path: str) -> bool:
    """The POST the client's page sends when its stream opens (and gets its state back); True when answered."""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode()
        )
        status = await asyncio.wait_for(reader.readline(), timeout=30)
        await asyncio.wait_for(reader.read(), timeout=30)
        writer.close()
    except (TimeoutError, OSError):
        return False
    return b" 200 " in status


async def run_size(size, ports, base, agents, consults, sessions, server_pids) -> None:
    streams_port, pages_port = ports
    team_streams: dict[int, list[Stream]] = defaultdict(list)
    for (_agent, team), session in zip(agents, sessions, strict=True):
        cookie = "; ".join(f"{k}={v}" for k, v in session.cookies.items())
        stream = Stream(streams_port, "/waiting-room/events/", cookie)
        await stream.open()
        team_streams[team.pk].append(stream)
    await asyncio.sleep(0.5)

    # Arrivals, a few milliseconds apart; each is matched with the team's next "presence" event.
    clients, notify, check_ins = [], [], []
    unheard = 0  # arrivals an agent's stream never carried (it dropped)
    for participant, appointment in consults[:size]:
        listeners = [s.next("presence") for s in team_streams[appointment.team_id] if not s.failed]
        page = f"?page={uuid.uuid4()}"
        stream = Stream(streams_port, f"/join/{participant.token}/events/{page}")
        began = time.perf_counter()
        await stream.open()
        clients.append((stream, appointment))
        if not stream.failed:
            check_ins.append(asyncio.create_task(check_in(pages_port, f"/join/{participant.token}/presence/{page}")))
        done, missed = await asyncio.wait(listeners, timeout=30)
        notify.extend(heard.result() - began for heard in done)
        unheard += len(missed)
        await asyncio.sleep(0.005)
    checked_in = await asyncio.gather(*check_ins)
    memory = server_rss_mb(*server_pids)

    # Messages while everyone waits: POST the form, time until the client's stream carries it.
    loop = asyncio.get_running_loop()
    message_times = []
    by_agent = {agent.pk: session for (agent, _team), session in zip(agents, sessions, strict=True)}
    for stream, appointment in clients[:: max(1, size // 200)][:200]:
        if stream.failed:
            continue
        session = by_agent[appointment.agent_id]
        heard = stream.next("message")
        began = time.perf_counter()
        url = f"{base}/consults/{appointment.public_id}/message/"
        data = {"text": "Running ten minutes late", "csrfmiddlewaretoken": session.cookies["csrftoken"]}
        response = await loop.run_in_executor(
            None,
            lambda u=url, d=data, s=session: s.post(u, data=d, headers={"Accept": "application/json", "Referer": base}),
        )
        try:
            message_times.append(await asyncio.wait_for(heard, timeout=30) - began)
        except TimeoutError:
            unheard += 1
        unheard += response.status_code != 200

    failed = sum(s.failed for s, _ in clients) + sum(s.failed for streams in team_streams.values() for s in streams)
    failed += checked_in.count(False) + unheard
    print(
        f"{size:>7}  {percentiles(notify)}   {percentiles(message_times)}   {failed:>6}  {memory:8.0f}",
        flush=True,
    )
    for stream, _ in clients:
        await stream.close()
    for streams in team_streams.values():
        for stream in streams:
            await stream.close()
    await asyncio.sleep(2)  # let the server see the clients leave before the next size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 500, 1000])
    parser.add_argument("--workers", type=int, default=2, help="worker processes of each server")
    parser.add_argument(
        "--servers", choices=["split", "uvicorn"], default="split", help="as production (default), or uvicorn alone"
    )
    args = parser.parse_args()
    # Stopped by a signal: clean up (servers, scratch database) as after a run.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))

    client = redis.Redis.from_url(REDIS_URL)
    client.ping()
    client.flushdb()
    create_scratch_database(SCRATCH)
    agents, consults = build(max(args.sizes))
    env = {**os.environ, "DATABASE_URL": scratch_database_url(), "VAR_DIR": str(SCRATCH / "var"), "SECRET_KEY": "bench"}
    streams_port = free_port()
    servers = [start_uvicorn(streams_port, args.workers, env)]
    pages_port = streams_port
    if args.servers == "split":
        pages_port = free_port()
        servers.append(start_gunicorn(pages_port, args.workers, env))
    base = f"http://127.0.0.1:{pages_port}"
    try:
        for port in {streams_port, pages_port}:
            wait_until_serving(f"http://127.0.0.1:{port}")
        sessions = [log_in(base, user.email) for user, _team in agents]
        served = f"uvicorn --workers {args.workers}"
        if args.servers == "split":
            served = f"pages by gunicorn --workers {args.workers}, streams by {served}"
        print(
            f"Database: {connection.vendor}; {served}; Redis pub/sub; {len(agents)} agents in {TEAMS} teams listening"
        )
        heading = f"{'arrival → agent (ms)':^23}   {'message → client (ms)':^23}"
        print(f"{'clients':>7}  {heading}   {'failed':>6}  {'RSS MB':>8}")
        print(f"{'':>7}  {'p50':>7} {'p95':>7} {'p99':>7}   {'p50':>7} {'p95':>7} {'p99':>7}")
        pids = [server.pid for server in servers]
        for size in args.sizes:
            asyncio.run(run_size(size, (streams_port, pages_port), base, agents, consults, sessions, pids))
    finally:
        for server in servers:
            stop(server)
        drop_scratch_database()
        client.flushdb()
        shutil.rmtree(SCRATCH, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_uvicorn(port: int, workers: int, env: dict[str, str]) -> subprocess.Popen:
    command = [sys.executable, "-m", "uvicorn", "config.asgi:application", "--port", str(port)]
    command += ["--workers", str(workers), "--lifespan", "off", "--log-level", "warning", "--backlog", "4096"]
    command += ["--timeout-graceful-shutdown", "2"]
    return subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)  # noqa: S603


def start_gunicorn(port: int, workers: int, env: dict[str, str]) -> subprocess.Popen:
    command = [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", str(workers), "--log-level", "warning", "--graceful-timeout", "2", "--no-control-socket"]
    command += ["--backlog", "4096"]
    return subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)  # noqa: S603


def wait_until_serving(base: str) -> None:
    for _ in range(100):
        try:
            requests.get(f"{base}/accounts/login/", timeout=10)  # the first request of a worker is slow
            return
        except requests.ConnectionError:
            time.sleep(0.2)


def stop(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


if __name__ == "__main__":
    main()
