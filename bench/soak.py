"""Soak benchmark: the smoke deployment with two web nodes under a working day's load, one node killed halfway.

Builds the deployment of deploy/ as tests/deploy does (nginx from the site file, the units' command lines, the
example environment, PostgreSQL and Redis, mail to an SMTP listener in this process), with two pages servers
(gunicorn) and two streams servers (uvicorn) behind the site's upstreams, plus the Celery worker and beat. Then,
for `--duration` seconds, through nginx over TLS:

- assistants log in and book consults through the booking form (CSRF token from the form), and change some of
  them through the edit form; the worker sends each invitation and update to the SMTP listener;
- `--clients` waiting clients open their join page, hold its event stream and check in as the page does (when
  the stream opens, on every event, every 3 s while it is down; reconnecting 2 s after it drops);
- agents hold their waiting room's stream, fetch its list every 15 s, and send messages to their waiting
  clients; a client that hears "message" fetches it with its check-in, as the page does;
- halfway, one gunicorn and one uvicorn (the second node) are killed with SIGKILL and started again after
  `--down` seconds.

At the end it prints requests, errors and p50/p95 per page (errors of requests in flight at the kill counted
apart), streams dropped, messages sent that a client never showed (lost events: a client whose stream dropped
must catch up when it reconnects), and at the SMTP listener the invitations and updates lost or received twice
(the same Message-ID).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/videoconsult .venv/bin/python bench/soak.py
    .venv/bin/python bench/soak.py --duration 60 --clients 100     # a quick run

Needs PostgreSQL (DATABASE_URL; a database `<name>_soak` beside it is created and dropped), Redis (REDIS_URL,
default redis://127.0.0.1:6379/6, which it empties) and nginx; skips saying so when one is missing.
"""

import argparse
import asyncio
import contextlib
import json
import os
import random
import resource
import shutil
import signal
import ssl
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
import redis  # noqa: E402

from tests.deploy.deployment import Deployment, deployed  # noqa: E402
from tests.smtp import SmtpListener, listening  # noqa: E402

TEAMS, AGENTS_PER_TEAM = 2, 5
CHECK_IN_SECONDS, RECONNECT_SECONDS, AGENT_REFRESH_SECONDS = 3, 2, 15

# The scene as an admin and earlier bookings left it: teams with an assistant and agents, and one consult
# starting soon for each waiting client (a link-only participant, so no mail of its own).
SEED = """
import json
from datetime import timedelta
from django.utils import timezone
from scheduling.models import Channel
from tests.factories import PASSWORD, AppointmentFactory, ParticipantFactory, TeamFactory, agent_of, assistant_of
first = TeamFactory(organisation__name="Praktijk De Linde")
teams, agents = [], []
for t in range({teams}):
    team = first if t == 0 else TeamFactory(organisation=first.organisation)
    teams.append({{"id": team.pk, "assistant": f"assistent{{t}}@example.org", "agents": []}})
    assistant_of(team, email=teams[-1]["assistant"], language="en")
    for a in range({agents}):
        agents.append((team, agent_of(team, email=f"arts{{t}}-{{a}}@example.org", language="en")))
        teams[-1]["agents"].append({{"id": agents[-1][1].pk, "email": agents[-1][1].email}})
start = timezone.now() + timedelta(minutes=5)
clients = []
for n in range({clients}):
    team, agent = agents[n % len(agents)]
    consult = AppointmentFactory(
        team=team, agent=agent, booked_by=agent, start=start, end=start + timedelta(minutes=30)
    )
    participant = ParticipantFactory(appointment=consult, channel=Channel.LINK, email="")
    clients.append({{"token": participant.token, "consult": str(consult.public_id), "agent": agent.email}})
print(json.dumps({{"password": PASSWORD, "teams": teams, "clients": clients}}))
"""


def requirements() -> tuple[str, str, str] | str:
    """DATABASE_URL, REDIS_URL and nginx's path, or why the benchmark cannot run."""
    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/6")
    if not database_url.startswith(("postgres://", "postgresql://")):
        return "the soak runs on the smoke deployment, on PostgreSQL: set DATABASE_URL=postgres://..."
    nginx = shutil.which("nginx", path=f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin")
    if nginx is None:
        return "nginx is not installed"
    try:
        with contextlib.closing(redis.Redis.from_url(redis_url)) as connection:
            connection.ping()
    except redis.ConnectionError:
        return f"Redis is not running at {redis_url}"
    return database_url, redis_url, nginx


class FormFields(HTMLParser):
    """What a browser would submit from the page's form with a CSRF token: inputs, checked boxes, the selected
    option of each select, textareas."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self.select: str | None = None
        self.textarea: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        name = a.get("name", "")
        if tag == "input" and name and a.get("type", "text") not in ("submit", "button"):
            if a.get("type") not in ("checkbox", "radio") or "checked" in a:
                self.fields[name] = a.get("value", "on" if a.get("type") == "checkbox" else "")
        elif tag == "select":
            self.select = name
            self.fields.setdefault(name, "")
        elif tag == "option" and self.select and ("selected" in a or not self.fields[self.select]):
            if "selected" in a or self.fields[self.select] == "":
                self.fields[self.select] = a.get("value", "")
        elif tag == "textarea":
            self.textarea = name
            self.fields[name] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None

    def handle_data(self, data: str) -> None:
        if self.textarea:
            self.fields[self.textarea] += data


@dataclass
class Request:
    page: str
    started: float
    ended: float
    failed: bool


@dataclass
class Figures:
    requests: list[Request] = field(default_factory=list)
    kill: tuple[float, float, float] = (0.0, 0.0, 0.0)  # the node killed: from, until it was gone, serving again
    streams_dropped: Counter = field(default_factory=Counter)  # by kind, while the run was on
    sent: dict[str, str] = field(default_factory=dict)  # message text -> the client's token
    message_events: Counter = field(default_factory=Counter)  # token -> "message" events heard
    shown: dict[str, str] = field(default_factory=dict)  # message text -> how the client first saw it
    # Client address -> the end time its latest mail must show: an invitation still queued when the consult
    # is changed is replaced by one with the new details (notifications.services), so one mail may be all.
    invitations: dict[str, str] = field(default_factory=dict)
    bookings_failed: int = 0
    running: bool = True

    def record(self, page: str, started: float, failed: bool) -> None:
        self.requests.append(Request(page, started, time.monotonic(), failed))


async def call(figures: Figures, page: str, session, method: str, url: str, ok=(200,), **kwargs):
    """One request through nginx; returns (status, body) or None when it failed (an error or another status)."""
    started = time.monotonic()
    try:
        async with session.request(method, url, allow_redirects=False, **kwargs) as response:
            body = await response.text()
            failed = response.status not in ok
            figures.record(page, started, failed)
            return None if failed else (response.status, body, response.headers)
    except (aiohttp.ClientError, TimeoutError):
        figures.record(page, started, True)
        return None


def csrf_of(session: aiohttp.ClientSession) -> str:
    return next(cookie.value for cookie in session.cookie_jar if cookie.key == "csrftoken")


def browser(tls: ssl.SSLContext) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(ssl=tls),
        cookie_jar=aiohttp.CookieJar(unsafe=True),  # cookies for 127.0.0.1, an address rather than a name
        timeout=aiohttp.ClientTimeout(total=60),
    )


async def log_in(figures: Figures, base: str, session, email: str, password: str) -> None:
    """Tries until it is in (a login in flight at the kill fails, as a person would try again)."""
    while figures.running:
        form = await call(figures, "login form", session, "GET", f"{base}/accounts/login/")
        if form:
            data = {"username": email, "password": password, "csrfmiddlewaretoken": csrf_of(session)}
            headers = {"Referer": f"{base}/accounts/login/"}
            if await call(figures, "login POST", session, "POST", f"{base}/accounts/login/", ok=(302,),
                          data=data, headers=headers):  # fmt: skip
                return
        await asyncio.sleep(1)


def slot(number: int, today: date) -> tuple[str, str, str]:
    """A weekday and half hour of its own for each booking, so that no two overlap for an agent."""
    day, half_hour = divmod(number, 20)
    when = today + timedelta(days=1)
    for _ in range(day + 1):
        when += timedelta(days=1)
        while when.weekday() >= 5:
            when += timedelta(days=1)
    start = datetime(2000, 1, 1, 8) + timedelta(minutes=30 * half_hour)
    return when.isoformat(), f"{start:%H:%M}", f"{start + timedelta(minutes=30):%H:%M}"


async def assistant(figures: Figures, base: str, tls, team: dict, password: str, pace: float, counter) -> None:
    """Books consults for the team's agents, one every `pace` seconds, and changes every second one."""
    today = datetime.now(ZoneInfo("Europe/Amsterdam")).date()
    async with browser(tls) as session:
        await log_in(figures, base, session, team["assistant"], password)
        while figures.running:
            await asyncio.sleep(pace * random.uniform(0.5, 1.5))
            number = next(counter)
            agent = team["agents"][number % len(team["agents"])]
            day, start, end = slot(number // len(team["agents"]), today)
            address = f"soak-client-{team['id']}-{number}@example.org"
            form = await call(figures, "booking form", session, "GET", f"{base}/consults/new/")
            if not form:
                continue
            data = FormFields(form[1]).fields | {
                "date": day, "start_time": start, "end_time": end, "team": str(team["id"]),
                "agent": str(agent["id"]), "subject": f"Soak {number}", "participants-0-name": f"Client {number}",
                "participants-0-channel": "email", "participants-0-email": address,
                "participants-0-language": "en",
            }  # fmt: skip
            headers = {"Referer": f"{base}/consults/new/"}
            booked = await call(figures, "booking POST", session, "POST", f"{base}/consults/new/", ok=(302,),
                                data=data, headers=headers)  # fmt: skip
            if not booked:
                figures.bookings_failed += 1
                continue
            figures.invitations[address] = end
            if number % 2:
                continue
            consult = booked[2]["Location"]
            edit_url = f"{base}{consult}edit/"
            form = await call(figures, "edit form", session, "GET", edit_url)
            if not form:
                continue
            # A quarter of an hour shorter: a change of time, which sends an update.
            shorter = datetime.strptime(start, "%H:%M") + timedelta(minutes=15)
            data = FormFields(form[1]).fields | {"end_time": f"{shorter:%H:%M}"}
            if await call(figures, "edit POST", session, "POST", edit_url, ok=(302,), data=data,
                          headers={"Referer": edit_url}):  # fmt: skip
                figures.invitations[address] = f"{shorter:%H:%M}"


async def hold_stream(figures: Figures, kind: str, session, url: str, on_open, on_event, on_drop=None) -> None:
    """Keeps an event stream open as EventSource does: connect, on a drop wait `retry` and connect again."""
    while figures.running:
        started = time.monotonic()
        try:
            async with session.get(url, timeout=aiohttp.ClientTimeout(total=None, sock_read=60)) as response:
                figures.record(f"{kind} stream", started, response.status != 200)
                if response.status == 200:
                    await on_open()
                    async for line in response.content:
                        if line.startswith(b"data: "):
                            await on_event(line[6:].strip().decode())
        except (aiohttp.ClientError, TimeoutError):
            if time.monotonic() - started < 1:
                figures.record(f"{kind} stream", started, True)
        if on_drop is not None:
            on_drop()
        if figures.running:
            figures.streams_dropped[kind] += 1
            await asyncio.sleep(RECONNECT_SECONDS)


async def client(figures: Figures, base: str, session, token: str) -> None:
    """A client's join page: its stream, and its check-ins, which carry the agent's messages."""
    page = uuid.uuid4().hex
    join = f"{base}/join/{token}/"
    stream_open = asyncio.Event()

    async def check_in(how: str) -> None:
        answer = await call(figures, "check-in", session, "POST", f"{join}presence/?page={page}",
                            headers={"Referer": join})  # fmt: skip
        if answer:
            for message in json.loads(answer[1]).get("messages", []):
                figures.shown.setdefault(message["text"], how)

    async def opened() -> None:
        stream_open.set()
        await check_in("caught up on (re)connecting")

    async def event(word: str) -> None:
        if word == "message":
            figures.message_events[token] += 1
            await check_in("after its event")

    async def poll_while_down() -> None:
        while figures.running:
            await asyncio.sleep(CHECK_IN_SECONDS)
            if not stream_open.is_set():
                await check_in("by polling while the stream was down")

    await asyncio.sleep(random.uniform(0, 10))  # arrivals spread over the first seconds
    await call(figures, "join page", session, "GET", join)
    poller = asyncio.create_task(poll_while_down())

    try:
        await hold_stream(figures, "client", session, f"{join}events/?page={page}", opened, event, stream_open.clear)
    finally:
        poller.cancel()


async def agent(figures: Figures, base: str, tls, email: str, password: str, consults: list, pace: float) -> None:
    """The agent's waiting room: its stream, its list, and a message now and then to one waiting client."""
    room = f"{base}/waiting-room/"

    async def refresh() -> None:
        await call(figures, "waiting list", session, "GET", f"{room}state/")

    async def nothing(word: str) -> None:
        pass

    async def poll() -> None:
        while figures.running:
            await asyncio.sleep(AGENT_REFRESH_SECONDS)
            await refresh()

    async def send() -> None:
        while figures.running:
            await asyncio.sleep(pace * random.uniform(0.5, 1.5))
            if not figures.running:
                return
            token, consult = random.choice(consults)
            text = f"Soak message {uuid.uuid4().hex[:12]}"
            headers = {"Referer": room, "Accept": "application/json", "X-CSRFToken": csrf_of(session)}
            sent = await call(figures, "message POST", session, "POST", f"{base}/consults/{consult}/message/",
                              data={"text": text}, headers=headers)  # fmt: skip
            if sent:
                figures.sent[text] = token

    async with browser(tls) as session:
        await log_in(figures, base, session, email, password)
        await call(figures, "waiting room", session, "GET", room)
        tasks = [asyncio.create_task(poll()), asyncio.create_task(send())]
        try:
            await hold_stream(figures, "agent", session, f"{room}events/", refresh, nothing)
        finally:
            for task in tasks:
                task.cancel()


async def kill_and_restart(figures: Figures, running: Deployment, after: float, down: float) -> None:
    await asyncio.sleep(after)
    killed = time.monotonic()
    for name in ("web2", "streams2"):
        running.services.kill(name)
    # Until every process of the node is gone, nginx may still hand it a request (into its listen backlog).
    figures.kill = (killed, time.monotonic(), 0.0)
    await asyncio.sleep(down)
    for name in ("web2", "streams2"):
        await asyncio.to_thread(running.restart, name)
    figures.kill = (*figures.kill[:2], time.monotonic())


async def load(running: Deployment, seeded: dict, arguments) -> Figures:
    figures = Figures()
    tls = ssl.create_default_context(cafile=str(running.certificate))
    base, password = running.base, seeded["password"]
    clients = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(ssl=tls, limit=0), timeout=aiohttp.ClientTimeout(total=60)
    )
    counter = iter(range(10**9))
    consults_of = defaultdict(list)
    for c in seeded["clients"]:
        consults_of[c["agent"]].append((c["token"], c["consult"]))
    agents = [a for team in seeded["teams"] for a in team["agents"]]
    # Paces per person from the rates for everyone together.
    booking_pace = 60 * len(seeded["teams"]) / arguments.bookings_per_minute
    message_pace = 60 * len(agents) / arguments.messages_per_minute
    async with clients:
        tasks = [asyncio.create_task(client(figures, base, clients, c["token"])) for c in seeded["clients"]]
        tasks += [
            asyncio.create_task(assistant(figures, base, tls, team, password, booking_pace, counter))
            for team in seeded["teams"]
        ]
        tasks += [
            asyncio.create_task(agent(figures, base, tls, a["email"], password, consults_of[a["email"]], message_pace))
            for a in agents
        ]
        killer = asyncio.create_task(kill_and_restart(figures, running, arguments.duration / 2, arguments.down))
        await asyncio.sleep(arguments.duration)
        await killer
        # Messages sent in the last moment still reach their clients before the streams close.
        figures.running = False
        await asyncio.sleep(5)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return figures


def mail_figures(listener: SmtpListener, figures: Figures, wait: float) -> dict:
    """Invitations and updates for the clients that booking made: waited for, then counted. Lost: a client whose
    mail never showed the consult's latest end time; duplicated: the same Message-ID received twice."""

    def received() -> dict[str, list]:
        by_address = defaultdict(list)
        for message in list(listener.received):
            address = message["To"].addresses[0].addr_spec if message["To"] else ""
            if address.startswith("soak-client-"):
                by_address[address].append(message)
        return by_address

    def shows(messages: list, end: str) -> bool:
        return any(f"\N{EN DASH}{end}" in m.get_body(preferencelist=("plain",)).get_content() for m in messages)

    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        by_address = received()
        missing = [a for a, end in figures.invitations.items() if not shows(by_address.get(a, []), end)]
        if not missing:
            break
        time.sleep(2)
    ids = Counter(m["Message-ID"] for messages in by_address.values() for m in messages)
    return {
        "booked": len(figures.invitations),
        "received": sum(ids.values()),
        "lost": missing,
        "duplicated": sum(count - 1 for count in ids.values()),
        "for bookings answered with an error": len(set(by_address) - set(figures.invitations)),
    }


def percentile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] * 1000 if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] * 1000


def report(figures: Figures, mail: dict[str, int], arguments, took: float) -> None:
    killed, gone, back = figures.kill
    by_page = defaultdict(list)
    for request in figures.requests:
        by_page[request.page].append(request)
    print(
        f"\nsoak: {arguments.duration:.0f} s, {arguments.clients} clients, "
        f"{arguments.bookings_per_minute}/min bookings, {arguments.messages_per_minute}/min messages; "
        f"node 2 killed at {arguments.duration / 2:.0f} s, serving again after {back - killed:.1f} s; "
        f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )
    print(f"{'page':<16} {'requests':>9} {'errors':>7} {'in flight':>9} {'p50 ms':>8} {'p95 ms':>8}")
    total = errors = in_flight = 0
    for page, requests in sorted(by_page.items()):
        failed = [r for r in requests if r.failed]
        at_kill = [r for r in failed if r.started <= gone and r.ended >= killed]
        times = [r.ended - r.started for r in requests if not r.failed]
        total, errors, in_flight = total + len(requests), errors + len(failed), in_flight + len(at_kill)
        print(
            f"{page:<16} {len(requests):>9} {len(failed) - len(at_kill):>7} {len(at_kill):>9} "
            f"{percentile(times, 50):>8.0f} {percentile(times, 95):>8.0f}"
        )
    print(
        f"{'all':<16} {total:>9} {errors - in_flight:>7} {in_flight:>9}    error rate beyond the kill "
        f"{(errors - in_flight) / max(total, 1):.3%}"
    )
    print("(stream rows count openings; a stream's time is until its headers)")
    print(f"streams dropped: {dict(figures.streams_dropped)}")
    lost = [text for text in figures.sent if text not in figures.shown]
    how = Counter(figures.shown[text] for text in figures.sent if text in figures.shown)
    unexpected = [text for text in figures.shown if text.startswith("Soak message") and text not in figures.sent]
    print(
        f"messages to waiting clients: {len(figures.sent)} sent, {len(lost)} never shown (lost), "
        f"{sum(figures.message_events.values())} message events heard; first shown: {dict(how)}; "
        f"{len(unexpected)} shown whose POST failed"
    )
    print(
        f"mail to booked clients: {mail['booked']} booked, {mail['received']} messages received (invitations "
        f"and updates), {len(mail['lost'])} lost, {mail['duplicated']} duplicated (same Message-ID), "
        f"{mail['for bookings answered with an error']} for bookings answered with an error; "
        f"bookings failed: {figures.bookings_failed}"
    )
    for address in mail["lost"]:
        print(f"  lost: no mail to {address} shows the end time {figures.invitations[address]}")
    print(f"whole run with setup: {took:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=600, help="seconds of load (default 600)")
    parser.add_argument("--clients", type=int, default=500, help="waiting clients holding streams (default 500)")
    parser.add_argument("--bookings-per-minute", type=float, default=40, help="by all assistants together")
    parser.add_argument("--messages-per-minute", type=float, default=60, help="by all agents together")
    parser.add_argument("--down", type=float, default=5, help="seconds the killed node stays down")
    parser.add_argument("--mail-wait", type=float, default=120, help="seconds to wait for the last mail")
    arguments = parser.parse_args()
    needs = requirements()
    if isinstance(needs, str):
        print(f"bench/soak.py skipped: {needs}")
        return
    database_url, redis_url, nginx = needs
    began = time.monotonic()
    # The clients' sockets in this process, and nginx's (it inherits the limit): more than the usual 1,024.
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    with contextlib.closing(redis.Redis.from_url(redis_url)) as connection:
        connection.flushdb()  # no broker queue or live channel left from an earlier run
    directory = Path(tempfile.mkdtemp(prefix="bench-soak-"))
    listener = SmtpListener()
    seed = SEED.format(teams=TEAMS, agents=AGENTS_PER_TEAM, clients=arguments.clients)
    try:
        with (
            listening(listener) as smtp_port,
            deployed(
                directory, database_url=database_url, redis_url=redis_url, nginx=nginx, smtp_port=smtp_port,
                seed=seed, nodes=2, database_suffix="soak",
                # Each stream holds two of nginx's connections (the client's and the upstream's).
                worker_connections=4 * arguments.clients + 1024,
            ) as (running, seeded),
        ):  # fmt: skip
            figures = asyncio.run(load(running, json.loads(seeded), arguments))
            mail = mail_figures(listener, figures, arguments.mail_wait)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    report(figures, mail, arguments, time.monotonic() - began)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    main()
