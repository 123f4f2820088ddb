"""The live waiting room with two browsers: the agent's waiting room and the client's link."""

from tests.e2e.conftest import log_in, wait_until

BELLS = "window.bells = []; document.addEventListener('waitingroom:bell', (e) => window.bells.push(e.detail))"


def test_arrival_bell_message_leaving_and_starting_the_consult(page, phone_page, agent, password, consult):
    participant = consult.participants.get()
    log_in(page, agent.email, password)
    page.goto("/waiting-room/")
    page.evaluate(BELLS)
    person = page.locator(f"[data-participant='{participant.pk}']")
    assert "not there yet" in person.inner_text()

    # The client opens the link: the dot turns green and the bell event fires.
    phone_page.route("https://video.test/**", lambda route: route.fulfill(body="<h1>video room</h1>"))
    phone_page.goto(f"/join/{participant.token}/")
    page.locator(f"[data-participant='{participant.pk}'].person--waiting").wait_for()
    wait_until(page, "window.bells.length === 1")
    assert page.evaluate("window.bells[0].participants") == [participant.pk]

    # The camera check works with the fake devices.
    phone_page.click("[data-start-check]")
    phone_page.locator("[data-device-help]:not([hidden])").wait_for()
    assert "Camera and microphone work" in phone_page.inner_text("[data-device-help]")

    # A message from the agent appears on the client's page, as text.
    page.click("details.balloon summary")
    page.fill("details.balloon input[name=text]", "Running <i>ten</i> minutes late")
    page.click("details.balloon button[type=submit]")
    phone_page.locator("[data-messages] li").wait_for()
    assert "Running <i>ten</i> minutes late" in phone_page.inner_text("[data-messages]")

    # The client closes the page: the dot turns red. Coming back rings again.
    phone_page.goto("about:blank")
    page.locator(f"[data-participant='{participant.pk}']:not(.person--waiting)").wait_for()
    phone_page.goto(f"/join/{participant.token}/")
    wait_until(page, "window.bells.length === 2")

    # Online consult: the agent goes to the host URL, the client to the participant URL of the same room.
    with page.expect_response(lambda r: "/start/" in r.url) as started:
        page.click("form.startform button")
    assert started.value.headers["location"].startswith("https://video.test/room-")
    room = started.value.headers["location"].split("?")[0]
    phone_page.wait_for_url(f"{room}?**")
    assert "lang=en" in phone_page.url and "host-key" not in phone_page.url
