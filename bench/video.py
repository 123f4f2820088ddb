"""Video-call benchmark: how fast the built-in rooms connect, what they cost the server, and ten at once.

Starts the app as `make run` serves it (uvicorn, one process, events in the process, the production settings
with collected static files; `--workers 2` adds Redis as in production), a coturn on 127.0.0.1 that every
call goes through (relay only, so no packet leaves this machine), and headless Chromium with a fake camera
and microphone. Then:

- `--calls` (20) consults one after another: the client waits on the join page with the camera tested, the
  agent presses Online consult; *to first frame* is the time from that click to the first decoded video
  frame of the other person, on the client's page and on the agent's. Per call it also counts the
  signalling messages (POSTs to the server) and their bytes, and the server's CPU time from the click until
  the consult is ended five seconds into the call.
- `--together` (10) calls started at the same moment, each its own agent and client: the same figures under
  load, and how many connected.

    .venv/bin/python bench/video.py                      # scratch SQLite
    .venv/bin/python bench/video.py --calls 5 --together 3
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/videoconsult_bench .venv/bin/python bench/video.py

Needs Chromium (/usr/bin/chromium) and coturn (turnserver); with --workers > 1, Redis on 127.0.0.1:6379
(database 9 is used).
"""

import argparse
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SCRATCH = Path(tempfile.mkdtemp(prefix="bench-video-"))
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"  # fast password hashing, browsers on 127.0.0.1
os.environ.setdefault("DATABASE_URL", f"sqlite:///{SCRATCH / 'bench.sqlite3'}")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API beside the ORM

import django  # noqa: E402

django.setup()

from django.utils import timezone  # noqa: E402

from bench.scratch import create_scratch_database, drop_scratch_database, scratch_database_url  # noqa: E402
from tests.processes import free_port, wait_for_port  # noqa: E402

PASSWORD = "bench-password"  # noqa: S105 - scratch users of a scratch database
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
]
IN_CALL_SECONDS = 5


def build(agents: int):
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    from accounts.models import Membership, Organisation, Role, Team, User
    from videoproviders.models import AgentVideoAccount

    # The server runs the production settings, whose hasher this is; one hash serves every scratch user.
    hashed = PBKDF2PasswordHasher().encode(PASSWORD, PBKDF2PasswordHasher().salt())

    def user(email: str, name: str) -> User:
        person = User.objects.create_user(email=email, full_name=name, organisation=org, language="en")
        person.password = hashed
        person.save(update_fields=["password"])
        return person

    org = Organisation.objects.create(name="Bench practice", contact_phone="020 123 4567")
    team = Team.objects.create(organisation=org, name="Team")
    assistant = user("assistant@bench.example", "Assistant")
    Membership.objects.create(user=assistant, team=team, role=Role.ASSISTANT)
    people = []
    for number in range(agents):
        agent = user(f"agent{number}@bench.example", f"Agent {number}")
        Membership.objects.create(user=agent, team=team, role=Role.AGENT)
        AgentVideoAccount.objects.create(agent=agent, provider="builtin")
        people.append(agent)
    return assistant, team, people


def book(assistant, team, agent):
    from scheduling.services import ParticipantInput, book_appointment

    start = timezone.now() + timedelta(minutes=2)
    return book_appointment(
        booked_by=assistant,
        team=team,
        agent=agent,
        start=start,
        end=start + timedelta(minutes=30),
        subject="Bench consult",
        message="Hello",
        participants=[ParticipantInput(name="Bench client", channel="link", language="en")],
        allow_conflicts=True,
    )


def cpu_seconds(pid: int) -> float:
    """User and system time of the server and its worker processes."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    for process in [pid, *map(int, children)]:
        try:
            fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def browser_cpu_seconds() -> float:
    """User and system time of every Chromium process on the machine (the benchmark's own browser)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if b"chromium" not in (entry / "cmdline").read_bytes():
                continue
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


class Call:
    """One consult's call: the client waiting on the join page, the agent on the waiting room."""

    def __init__(self, browser, url: str, appointment, agent) -> None:
        self.appointment, self.agent = appointment, agent
        self.signals = 0
        self.signal_bytes = 0
        self.client = self._page(browser, url, phone=True)
        self.agent_page = self._page(browser, url)

    def _page(self, browser, url: str, *, phone: bool = False):
        size = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 900}
        context = browser.new_context(viewport=size, base_url=url)
        page = context.new_page()
        page.set_default_timeout(60_000)
        page.on("request", self._count)
        return page

    def _count(self, request) -> None:
        if "/call/signal/" in request.url:
            self.signals += 1
            self.signal_bytes += len(request.post_data_buffer or b"")

    def prepare(self) -> None:
        participant = self.appointment.participants.get()
        self.client.goto(f"/join/{participant.token}/")
        self.client.locator("[data-join][data-live=open]").wait_for()
        self.client.click("[data-start-check]")
        self.client.locator("[data-device-help]:not([hidden])").wait_for()
        page = self.agent_page
        page.goto("/accounts/login/")
        page.fill("input[name=username]", self.agent.email)
        page.fill("input[name=password]", PASSWORD)
        page.click("form button.button")
        page.wait_for_url("**/")
        page.goto("/waiting-room/")
        page.locator(f"#consult-{self.appointment.public_id} .person--waiting").wait_for()

    def start(self) -> None:
        self.clicked_at = self.agent_page.evaluate("Date.now()")
        # Submitting the form as the button does, without waiting for the call page: the measured time includes
        # its loading, and calls started together start together. (A click could land on a button the waiting
        # room's refresh has just replaced.)
        form = f"#consult-{self.appointment.public_id} form.startform"
        self.agent_page.evaluate(f"document.querySelector('{form}').requestSubmit()")

    def first_frames(self, deadline: float) -> tuple[float, float] | None:
        """Seconds from the click to the first frame at the client and at the agent; None if none came."""
        expression = "window.videoCall && [...videoCall.peers.values()].map((p) => p.firstFrameAt).find(Boolean)"
        seen = [None, None]
        while time.monotonic() < deadline and None in seen:
            for index, page in enumerate((self.client, self.agent_page)):
                if seen[index] is None:
                    try:
                        seen[index] = page.evaluate(expression) or None
                    except Exception:  # the agent's page is still on its way to the call
                        seen[index] = None
            time.sleep(0.02)
        if None in seen:
            return None
        return tuple((at - self.clicked_at) / 1000 for at in seen)

    def end(self) -> None:
        self.agent_page.click(".callhead form button")
        self.agent_page.wait_for_url("**/waiting-room/")

    def close(self) -> None:
        self.client.context.close()
        self.agent_page.context.close()


def start_coturn() -> tuple[subprocess.Popen, str, str]:
    binary = shutil.which("turnserver")
    if binary is None:
        sys.exit("coturn is not installed: apt-get install coturn")
    port, secret = free_port(), secrets.token_hex(16)
    command = [binary, "-n", "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1", f"--listening-port={port}"]
    command += ["--use-auth-secret", f"--static-auth-secret={secret}", "--realm=bench", "--no-tls", "--no-dtls"]
    command += ["--allow-loopback-peers", "--no-cli", "--no-multicast-peers", f"--log-file={SCRATCH / 'turn.log'}"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
    wait_for_port(port)
    return process, f"turn:127.0.0.1:{port}?transport=udp", secret


def start_server(workers: int, turn_url: str, secret: str) -> tuple[subprocess.Popen, str]:
    from django.conf import settings

    port = free_port()
    env = {
        **os.environ,
        # As in production: static files from the manifest with long cache headers, no debug.
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DATABASE_URL": scratch_database_url(),
        "VAR_DIR": str(SCRATCH / "var"),
        "SECRET_KEY": settings.SECRET_KEY,
        "VIDEO_TURN_URLS": turn_url,
        "VIDEO_TURN_SECRET": secret,
        "VIDEO_ICE_TRANSPORT_POLICY": "relay",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    if workers > 1:
        env["REDIS_URL"] = "redis://127.0.0.1:6379/9"
    command = [sys.executable, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1", "--port", str(port)]
    command += [
        "--workers",
        str(workers),
        "--lifespan",
        "off",
        "--log-level",
        "warning",
        "--timeout-graceful-shutdown",
        "2",
    ]
    collect = [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"]
    subprocess.run(collect, cwd=ROOT, env=env, check=True)  # noqa: S603 - our own command line
    server = subprocess.Popen(command, cwd=ROOT, env=env)  # noqa: S603 - our own command line
    wait_for_port(port)
    return server, f"http://127.0.0.1:{port}"


def run_one_by_one(browser, url, server_pid, assistant, team, agent, calls: int) -> None:
    firsts, cpu, signals, signal_bytes, failed = [], [], [], [], 0
    for _ in range(calls):
        call = Call(browser, url, book(assistant, team, agent), agent)
        try:
            call.prepare()
            before = cpu_seconds(server_pid)
            call.start()
            result = call.first_frames(time.monotonic() + 30)
            if result is None:
                failed += 1
                continue
            firsts.append(result)
            time.sleep(IN_CALL_SECONDS)
            call.end()
            cpu.append(cpu_seconds(server_pid) - before)
            signals.append(call.signals)
            signal_bytes.append(call.signal_bytes)
        finally:
            call.close()
    report(f"{calls} calls one after another", firsts, failed)
    if cpu:
        print(
            f"  signalling per call: {statistics.median(signals):.0f} messages, "
            f"{statistics.median(signal_bytes) / 1024:.1f} KiB (median)"
        )
        median = statistics.median(cpu) * 1000
        print(f"  server CPU per call (click to end, {IN_CALL_SECONDS} s in the call): {median:.0f} ms")


def run_together(browser, url, server_pid, turn_pid, assistant, team, agents, together: int) -> None:
    calls = [Call(browser, url, book(assistant, team, agent), agent) for agent in agents[:together]]
    try:
        for call in calls:
            call.prepare()
        started = time.monotonic()
        before = (cpu_seconds(server_pid), cpu_seconds(turn_pid), browser_cpu_seconds())
        for call in calls:
            call.start()
        deadline = started + 180
        results = [call.first_frames(deadline) for call in calls]
        firsts = [r for r in results if r is not None]
        report(f"{together} calls at the same moment (first frame within 180 s)", firsts, len(results) - len(firsts))
        time.sleep(IN_CALL_SECONDS)
        after = (cpu_seconds(server_pid), cpu_seconds(turn_pid), browser_cpu_seconds())
        server, relay, browsers = (a - b for a, b in zip(after, before, strict=True))
        wall = time.monotonic() - started
        # The browsers of both sides of every call run on this machine too: their share shows who waits for whom.
        print(
            f"  CPU over those {wall:.0f} s on {os.cpu_count()} cores: server {server:.1f} s, coturn {relay:.1f} s, "
            f"the {2 * together} browser pages {browsers:.1f} s"
        )
    finally:
        for call in calls:
            call.close()


def report(title: str, firsts: list[tuple[float, float]], failed: int) -> None:
    print(title)
    for index, side in enumerate(("client", "agent")):
        values = [f[index] for f in firsts]
        if values:
            print(
                f"  to first frame at the {side}: p50 {statistics.median(values):.2f} s, "
                f"p95 {percentile(values, 0.95):.2f} s, max {max(values):.2f} s"
            )
    print(f"  connected {len(firsts)}, failed {failed}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--together", type=int, default=10)
    parser.add_argument("--workers", type=int, default=1)
    options = parser.parse_args()

    from playwright.sync_api import sync_playwright

    create_scratch_database(SCRATCH)
    turn = server = None
    try:
        assistant, team, agents = build(max(1, options.together))
        turn, turn_url, secret = start_coturn()
        server, url = start_server(options.workers, turn_url, secret)
        print(f"server: uvicorn, {options.workers} process(es); calls relay-only through coturn on 127.0.0.1")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                if options.calls:
                    run_one_by_one(browser, url, server.pid, assistant, team, agents[0], options.calls)
                if options.together:
                    run_together(browser, url, server.pid, turn.pid, assistant, team, agents, options.together)
            finally:
                browser.close()
    finally:
        for process in (server, turn):
            if process is not None:
                process.terminate()
                process.wait(timeout=15)
        drop_scratch_database()
        shutil.rmtree(SCRATCH, ignore_errors=True)


if __name__ == "__main__":
    main()
