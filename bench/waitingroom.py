"""Waiting-room benchmark: many waiting clients on live connections while agents watch.

Starts the app as in production (uvicorn with several worker processes, live events through Redis) on a
scratch database, books one consult per client for today, and then for each size (100, 500, 1,000):

- connects that many clients to their join link's event stream (open means waiting), a few milliseconds
  apart, while every agent listens on their waiting room's stream: *arrival → agent notified* is the time
  from a client connecting to its team's agents hearing "presence";
- holds them all, and sends 200 messages through the agents' message form: *message → client received*
  is the time from the POST to the client's stream carrying "message";
- counts connections that failed or dropped, and reads the server's memory (RSS of all its processes).

    .venv/bin/python bench/waitingroom.py                       # scratch SQLite, 2 workers
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/videoconsult_bench .venv/bin/python bench/waitingroom.py
    .venv/bin/python bench/waitingroom.py --sizes 100 --workers 4

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


def server_rss_mb(pid: int) -> float:
    """Resident memory of the server and its worker processes."""
    total = 0
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    for p in [pid, *map(int, children)]:
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


async def run_size(size, port, base, agents, consults, sessions, server_pid) -> None:
    team_streams: dict[int, list[Stream]] = defaultdict(list)
    for (_agent, team), session in zip(agents, sessions, strict=True):
        cookie = "; ".join(f"{k}={v}" for k, v in session.cookies.items())
        stream = Stream(port, "/waiting-room/events/", cookie)
        await stream.open()
        team_streams[team.pk].append(stream)
    await asyncio.sleep(0.5)

    # Arrivals, a few milliseconds apart; each is matched with the team's next "presence" event.
    clients, notify = [], []
    for participant, appointment in consults[:size]:
        listeners = [s.next("presence") for s in team_streams[appointment.team_id]]
        stream = Stream(port, f"/join/{participant.token}/events/")
        began = time.perf_counter()
        await stream.open()
        clients.append((stream, appointment))
        heard = await asyncio.wait_for(asyncio.gather(*listeners), timeout=30)
        notify.extend(t - began for t in heard)
        await asyncio.sleep(0.005)
    memory = server_rss_mb(server_pid)

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
        await loop.run_in_executor(
            None,
            lambda u=url, d=data, s=session: s.post(u, data=d, headers={"Accept": "application/json", "Referer": base}),
        )
        message_times.append(await asyncio.wait_for(heard, timeout=30) - began)

    failed = sum(s.failed for s, _ in clients) + sum(s.failed for streams in team_streams.values() for s in streams)
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
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))

    client = redis.Redis.from_url(REDIS_URL)
    client.ping()
    client.flushdb()
    create_scratch_database(SCRATCH)
    agents, consults = build(max(args.sizes))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": scratch_database_url(), "VAR_DIR": str(SCRATCH / "var"), "SECRET_KEY": "bench"}
    command = [sys.executable, "-m", "uvicorn", "config.asgi:application", "--port", str(port)]
    command += ["--workers", str(args.workers), "--lifespan", "off", "--log-level", "warning", "--backlog", "4096"]
    command += ["--timeout-graceful-shutdown", "2"]
    server = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)  # noqa: S603
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                requests.get(f"{base}/accounts/login/", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        sessions = [log_in(base, user.email) for user, _team in agents]
        print(
            f"Database: {connection.vendor}; uvicorn --workers {args.workers}; Redis pub/sub; "
            f"{len(agents)} agents in {TEAMS} teams listening"
        )
        heading = f"{'arrival → agent (ms)':^23}   {'message → client (ms)':^23}"
        print(f"{'clients':>7}  {heading}   {'failed':>6}  {'RSS MB':>8}")
        print(f"{'':>7}  {'p50':>7} {'p95':>7} {'p99':>7}   {'p50':>7} {'p95':>7} {'p99':>7}")
        for size in args.sizes:
            asyncio.run(run_size(size, port, base, agents, consults, sessions, server.pid))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        drop_scratch_database()
        client.flushdb()
        shutil.rmtree(SCRATCH, ignore_errors=True)


if __name__ == "__main__":
    main()
