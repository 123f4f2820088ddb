"""The built-in video rooms in real browsers: headless Chromium with a fake camera and microphone, pages
served by uvicorn as in production.

Every test packet stays on this machine's loopback: the calls go relay-only through a coturn that each
test starts on 127.0.0.1, so browsers send media and checks to 127.0.0.1 and nowhere else (a direct call
between two pages would also try this machine's other addresses; the test settings' 127.0.0.1-only
candidates cannot stop a browser from checking from them).

The waiting room is the lobby: the waiting client is in the call when the agent presses Online consult, on
the same page and with the camera they already allowed; a client who comes later knocks and is let in.
"""

import secrets
import shutil
import subprocess

import pytest
import redis
from django.conf import settings

from tests.e2e.accessibility import assert_every_page_checked, watch_visits
from tests.e2e.conftest import book_soon, check_accessibility, log_in, record_announcements, wait_until, watch_policy
from tests.processes import free_port, uvicorn_server, wait_for_port
from videoproviders.models import AgentVideoAccount

# Counts the page's requests for camera and microphone: the call must not ask a second time.
COUNT_MEDIA_REQUESTS = """
window.mediaRequests = 0;
const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
navigator.mediaDevices.getUserMedia = (constraints) => { window.mediaRequests += 1; return original(constraints); };
"""
BELLS = "window.bells = []; document.addEventListener('waitingroom:bell', (e) => window.bells.push(e.detail))"


def connected(page, count: int) -> str:
    return f"document.querySelector('[data-call]').dataset.connected === '{count}'"


def measure(page) -> list[dict]:
    return page.evaluate("Promise.all([...videoCall.peers.values()].map((peer) => videoCall.measure(peer)))")


@pytest.fixture
def consult(transactional_db, assistant, agent, team):
    """A consult in a few minutes for an agent with the built-in rooms, with two clients."""
    AgentVideoAccount.objects.create(agent=agent, provider="builtin")
    return book_soon(assistant=assistant, agent=agent, team=team, clients=("Jan Peters", "Piet Late"))


class Coturn:
    """coturn on 127.0.0.1 only, with a shared secret: the relay of the tests' calls. It can be stopped and
    started again on the same port, as a relay (or a network) that goes away and comes back."""

    def __init__(self, log_dir) -> None:
        binary = shutil.which("turnserver")
        if binary is None:
            pytest.skip("coturn is not installed (apt-get install coturn; .ci/run installs it)")
        self.binary = binary
        self.port, self.secret = free_port(), secrets.token_hex(16)
        self.log_dir = log_dir
        self.process = None

    @property
    def url(self) -> str:
        return f"turn:127.0.0.1:{self.port}?transport=udp"

    def start(self) -> None:
        command = [self.binary, "-n", "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1"]
        command += [f"--listening-port={self.port}", "--use-auth-secret", f"--static-auth-secret={self.secret}"]
        command += ["--realm=videoconsult.test", "--no-tls", "--no-dtls", "--allow-loopback-peers", "--no-cli"]
        command += ["--no-multicast-peers", f"--log-file={self.log_dir / 'turn.log'}", "--simple-log"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port)  # coturn listens on TCP as well as UDP

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def relay(tmp_path):
    turn = Coturn(tmp_path)
    turn.start()
    yield turn
    turn.stop()


@pytest.fixture
def coturn(relay):
    return relay.url, relay.secret


def relay_only(turn_url: str, secret: str) -> dict[str, str]:
    return {"VIDEO_TURN_URLS": turn_url, "VIDEO_TURN_SECRET": secret, "VIDEO_ICE_TRANSPORT_POLICY": "relay"}


@pytest.fixture
def server(transactional_db, tmp_path, coturn):
    """One uvicorn process without Redis, as `make run` serves (events stay in the process), relay-only."""
    with uvicorn_server(var_dir=tmp_path / "var", env=relay_only(*coturn)) as url:
        yield url


class Pages:
    """Browser contexts of their own (a phone for clients), each page watched for CSP refusals and for
    requests that leave this server."""

    def __init__(self, browser, base_url: str) -> None:
        self.browser = browser
        self.base_url = base_url
        self.contexts = []
        self.pages = []
        self.refused: list[str] = []
        self.foreign: list[str] = []

    def open(self, *, phone: bool = False):
        size = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 900}
        context = self.browser.new_context(viewport=size, base_url=self.base_url, is_mobile=phone)
        context.add_init_script(COUNT_MEDIA_REQUESTS)
        self.contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        self.refused += watch_policy(page)
        watch_visits(page, self.base_url)
        self.pages.append(page)
        page.on(
            "request",
            lambda request: (
                None if request.url.startswith((self.base_url, "data:", "blob:")) else self.foreign.append(request.url)
            ),
        )
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()
        for page in self.pages:
            assert_every_page_checked(page)


@pytest.fixture
def pages(browser, server):
    opened = Pages(browser, server)
    yield opened
    opened.close()
    assert opened.refused == []
    assert opened.foreign == [], "the call loaded something from another origin"


def wait_in_waiting_room(page, participant, *, test_camera: bool = True) -> None:
    page.goto(f"/join/{participant.token}/")
    page.locator("[data-join][data-live=open]").wait_for()
    if test_camera:
        page.click("[data-start-check]")
        page.locator("[data-device-help]:not([hidden])").wait_for()
    check_accessibility(page)


def start_consult(agent_page, consult, agent, password) -> None:
    log_in(agent_page, agent.email, password)
    agent_page.goto("/waiting-room/")
    agent_page.locator(".person--waiting").first.wait_for()
    check_accessibility(agent_page)
    agent_page.click(f"#consult-{consult.public_id} form.startform button")
    agent_page.wait_for_url(f"**/consults/{consult.public_id}/call/")
    check_accessibility(agent_page)


def test_the_agent_lets_the_waiting_client_in_and_they_see_and_hear_each_other(pages, consult, agent, password):
    jan = consult.participants.get(name="Jan Peters")
    client = pages.open(phone=True)
    agent_page = pages.open()
    wait_in_waiting_room(client, jan)
    start_consult(agent_page, consult, agent, password)

    wait_until(agent_page, connected(agent_page, 1), timeout=20)
    wait_until(client, connected(client, 1), timeout=20)
    # The waiting page became the call with the camera allowed for the check: no second question.
    assert client.evaluate("window.mediaRequests") == 1
    assert client.locator("[data-call]").is_visible()
    check_accessibility(client)  # the waiting page become the call
    check_accessibility(agent_page)

    # Video arrives on both sides, and keeps arriving.
    first = [measure(agent_page)[0], measure(client)[0]]
    client.wait_for_timeout(1500)
    second = [measure(agent_page)[0], measure(client)[0]]
    for before, after in zip(first, second, strict=True):
        assert after["framesDecoded"] > 0
        assert after["bytesReceived"] > before["bytesReceived"]
        assert after["route"] == ["relay", "relay"]
        assert after["addresses"] == ["127.0.0.1", "127.0.0.1"]

    # Mute: the client hears the agent's fake microphone (a tone), then nothing.
    energy = [measure(client)[0]["audioEnergy"]]
    client.wait_for_timeout(1000)
    energy.append(measure(client)[0]["audioEnergy"])
    assert energy[1] > energy[0]
    agent_page.click("[data-control=microphone]")
    assert agent_page.get_attribute("[data-control=microphone]", "aria-pressed") == "true"
    client.wait_for_timeout(1000)
    energy.append(measure(client)[0]["audioEnergy"])
    client.wait_for_timeout(1500)
    energy.append(measure(client)[0]["audioEnergy"])
    assert energy[3] - energy[2] < (energy[1] - energy[0]) / 100

    # The end, for everyone: the client's page says so.
    agent_page.click("text=End the consult for everyone")
    agent_page.wait_for_url("**/waiting-room/")
    client.locator("[data-join-end]:not([hidden])", has_text="The consult has ended").wait_for()
    check_accessibility(client)
    # A calm end screen: the call, the camera check and the waiting state are gone, the camera is off.
    assert not client.locator("[data-call]").is_visible()
    assert not client.locator("[data-device-check]").is_visible()
    assert client.evaluate(
        "document.querySelector('[data-preview]').srcObject.getTracks().every(t => t.readyState === 'ended')"
    )


def test_a_client_who_reloads_is_back_in_the_call(pages, consult, agent, password):
    jan = consult.participants.get(name="Jan Peters")
    client = pages.open(phone=True)
    agent_page = pages.open()
    wait_in_waiting_room(client, jan)
    start_consult(agent_page, consult, agent, password)
    wait_until(client, connected(client, 1), timeout=20)
    client.reload()
    wait_until(client, connected(client, 1), timeout=20)
    wait_until(agent_page, connected(agent_page, 1), timeout=20)
    assert agent_page.locator(".tile").count() == 1  # the old connection was replaced, not kept beside


def test_a_late_client_knocks_rings_is_let_in_and_can_be_taken_out(pages, consult, agent, password):
    jan = consult.participants.get(name="Jan Peters")
    piet = consult.participants.get(name="Piet Late")
    client = pages.open(phone=True)
    agent_page = pages.open()
    wait_in_waiting_room(client, jan)
    start_consult(agent_page, consult, agent, password)
    wait_until(agent_page, connected(agent_page, 1), timeout=20)
    agent_page.evaluate(BELLS)
    record_announcements(agent_page)

    late = pages.open(phone=True)
    wait_in_waiting_room(late, piet, test_camera=False)
    late.locator("[data-status]", has_text="has been told you are here").wait_for()
    knock = agent_page.locator("[data-knocks] li", has_text="Piet Late is knocking")
    knock.wait_for()
    wait_until(agent_page, "window.bells.length === 1")
    # The call says who knocks on it; the waiting room beside it does not say it a second time.
    assert agent_page.evaluate("window.said") == []
    assert agent_page.title().startswith("(1) Video consult")
    check_accessibility(agent_page)  # the knock with its button
    knock.locator("button").click()
    for page in (agent_page, client, late):
        wait_until(page, connected(page, 2), timeout=25)

    agent_page.once("dialog", lambda dialog: dialog.accept())
    agent_page.locator(".tile", has_text="Piet Late").locator("[data-tile-remove]").click()
    late.locator("[data-join-end]:not([hidden])", has_text="ended the call for you").wait_for()
    wait_until(agent_page, connected(agent_page, 1), timeout=15)
    wait_until(client, connected(client, 1), timeout=15)


def test_the_call_comes_back_by_itself_after_the_network_was_gone(pages, consult, agent, password, relay):
    """The relay (all the media's way here) stops and comes back: the pages restart ICE and reconnect."""
    jan = consult.participants.get(name="Jan Peters")
    client = pages.open(phone=True)
    agent_page = pages.open()
    wait_in_waiting_room(client, jan)
    start_consult(agent_page, consult, agent, password)
    wait_until(client, connected(client, 1), timeout=20)
    relay.stop()
    wait_until(client, connected(client, 0), timeout=30)
    relay.start()
    wait_until(client, connected(client, 1), timeout=45)
    wait_until(agent_page, connected(agent_page, 1), timeout=45)
    # Video flows again: frames keep being decoded (within seconds; a loaded machine decodes slowly).
    before = measure(client)[0]["framesDecoded"]
    for _ in range(20):
        client.wait_for_timeout(500)
        if measure(client)[0]["framesDecoded"] > before:
            break
    assert measure(client)[0]["framesDecoded"] > before


def test_when_no_connection_can_be_made_the_pages_say_so_with_the_practices_number(
    browser, consult, agent, password, relay, tmp_path
):
    from accounts.models import Organisation

    Organisation.objects.filter(pk=consult.organisation_id).update(contact_phone="020 123 4567")
    # Credentials signed with another secret than the relay's: it refuses them, nothing ever connects.
    env = relay_only(relay.url, "not-the-relays-secret")
    with uvicorn_server(var_dir=tmp_path / "var", env=env) as url:
        opened = Pages(browser, url)
        try:
            jan = consult.participants.get(name="Jan Peters")
            client = opened.open(phone=True)
            agent_page = opened.open()
            wait_in_waiting_room(client, jan)
            start_consult(agent_page, consult, agent, password)
            for page in (client, agent_page):
                problem = page.locator(".tile [data-tile-problem]")
                problem.wait_for(state="visible", timeout=40_000)
                assert "If it keeps failing, call the practice: 020 123 4567." in problem.inner_text()
                check_accessibility(page)
        finally:
            opened.close()


def test_the_controls_are_labelled_and_work_by_keyboard(pages, consult, agent, password):
    jan = consult.participants.get(name="Jan Peters")
    client = pages.open(phone=True)
    agent_page = pages.open()
    wait_in_waiting_room(client, jan)
    start_consult(agent_page, consult, agent, password)
    wait_until(client, connected(client, 1), timeout=20)
    camera = client.locator("[data-control=camera]")
    camera.focus()
    client.keyboard.press("Enter")
    assert camera.get_attribute("aria-pressed") == "true"
    assert camera.inner_text() == "Camera on"
    client.keyboard.press("Space")
    assert camera.get_attribute("aria-pressed") == "false"
    # The agent shares the screen: the client keeps getting pictures (now of the screen), then the camera again.
    share = agent_page.locator("[data-control=share]")
    share.click()
    wait_until(agent_page, "document.querySelector('[data-control=share]').getAttribute('aria-pressed') === 'true'")
    frames = measure(client)[0]["framesDecoded"]
    client.wait_for_timeout(1000)
    assert measure(client)[0]["framesDecoded"] > frames
    share.click()
    wait_until(agent_page, "document.querySelector('[data-control=share]').getAttribute('aria-pressed') === 'false'")
    # The microphone and speaker can be chosen where the browser lets a page (the fake devices are there).
    client.click("[data-devices] summary")
    client.locator("[data-microphone] option").first.wait_for(state="attached")  # filled when opened
    client.keyboard.press("Escape")
    # On a 360 px phone nothing of the call is wider than the screen.
    client.set_viewport_size({"width": 360, "height": 740})
    assert client.evaluate("document.documentElement.scrollWidth") <= 360
    check_accessibility(client)
    check_accessibility(agent_page)  # sharing the screen, then not


def test_the_call_works_across_two_server_processes(browser, consult, agent, password, coturn, tmp_path):
    """The agent's and the client's pages served by different uvicorn processes: their signals only meet
    through Redis."""
    redis_url = (settings.REDIS_URL or "redis://127.0.0.1:6379/0").rsplit("/", 1)[0] + "/10"
    try:
        redis.Redis.from_url(redis_url).ping()
    except redis.ConnectionError:
        pytest.skip(f"Redis is not running at {redis_url} (make run does not need it; CI starts it)")
    env = {"REDIS_URL": redis_url, **relay_only(*coturn)}
    with uvicorn_server(var_dir=tmp_path / "var", env=env, workers=2) as url:
        opened = Pages(browser, url)
        try:
            jan = consult.participants.get(name="Jan Peters")
            client = opened.open(phone=True)
            agent_page = opened.open()
            wait_in_waiting_room(client, jan)
            start_consult(agent_page, consult, agent, password)
            wait_until(agent_page, connected(agent_page, 1), timeout=30)
            wait_until(client, connected(client, 1), timeout=30)
            client.wait_for_timeout(1000)
            for page in (agent_page, client):
                [stats] = measure(page)
                assert stats["route"] == ["relay", "relay"]
                assert stats["framesDecoded"] > 0
        finally:
            opened.close()
        assert opened.refused == [] and opened.foreign == []
