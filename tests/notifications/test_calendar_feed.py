"""The agent's calendar subscription: the secret URL, what the feed lists, and how cheaply it answers polls."""

import re
from datetime import timedelta

import pytest
import recurring_ical_events
import vobject
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from icalendar import Calendar

from audit.models import Action, AuditEvent
from notifications.feeds import create_feed, revoke_feed
from notifications.models import CalendarFeed
from scheduling.services import cancel_appointment
from tests.factories import AppointmentFactory, ParticipantFactory, TeamFactory, admin_of, agent_of, email_participant


def feed_path(token: str) -> str:
    return reverse("notifications:calendar-feed", kwargs={"token": token})


def events(response) -> dict[str, object]:
    calendar = Calendar.from_ical(response.content)
    return {str(event["summary"]): event for event in calendar.walk("VEVENT")}


def test_the_subscription_page_shows_the_url_once_and_the_feed_opens_with_it(client, agent, settings):
    settings.SITE_URL = "https://consult.example.nl"
    client.force_login(agent)
    client.post(reverse("notifications:calendar-subscription"), {"action": "create"})
    page = client.get(reverse("notifications:calendar-subscription"))
    url = page.context["feed_url"]
    # 32 random bytes, nothing of the user's in it.
    assert re.fullmatch(r"https://consult\.example\.nl/calendar/[A-Za-z0-9_-]{43}\.ics", url)
    assert page.context["webcal_url"] == "webcal://" + url.removeprefix("https://")
    assert page["Cache-Control"] == "no-store"
    assert client.get(reverse("notifications:calendar-subscription")).context["feed_url"] is None
    client.logout()
    assert client.get(url.removeprefix(settings.SITE_URL)).status_code == 200
    assert [e.action for e in AuditEvent.objects.order_by("pk")] == [Action.FEED_CREATED]


def test_a_new_url_revokes_the_old_one_and_both_are_audited(client, agent):
    old = create_feed(user=agent, actor=agent)
    new = create_feed(user=agent, actor=agent)
    assert client.get(feed_path(old)).status_code == 404
    assert client.get(feed_path(new)).status_code == 200
    assert revoke_feed(user=agent, actor=agent)
    assert client.get(feed_path(new)).status_code == 404
    actions = [e.action for e in AuditEvent.objects.order_by("pk")]
    assert actions == [Action.FEED_CREATED, Action.FEED_REVOKED, Action.FEED_CREATED, Action.FEED_REVOKED]
    assert AuditEvent.objects.filter(object_id=str(agent.pk), organisation=agent.organisation).count() == 4


def test_revoking_from_the_page(client, agent):
    token = create_feed(user=agent, actor=agent)
    client.force_login(agent)
    client.post(reverse("notifications:calendar-subscription"), {"action": "revoke"})
    assert client.get(feed_path(token)).status_code == 404


@pytest.mark.parametrize(
    "leave",
    [
        lambda user: setattr(user, "is_active", False),
        lambda user: user.memberships.all().delete(),
        lambda user: setattr(user, "organisation", None),
    ],
    ids=["deactivated", "out-of-every-team", "out-of-the-organisation"],
)
def test_a_user_who_left_gets_404_for_their_feed(client, agent, leave):
    token = create_feed(user=agent, actor=agent)
    leave(agent)
    agent.save()
    assert client.get(feed_path(token)).status_code == 404


def test_the_feed_lists_the_agents_own_consults_with_the_day_agenda_and_no_join_link(client, agent, team, book):
    consult = book(email_participant(name="Jan Peters"), subject="Intake")
    AppointmentFactory(team=team, agent=agent_of(team), subject="Someone else's")
    token = create_feed(user=agent, actor=agent)
    response = client.get(feed_path(token))
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    found = events(response)
    assert list(found) == ["Intake"]
    event = found["Intake"]
    assert str(event["uid"]) == f"feed-{consult.calendar_uid}"
    assert event["sequence"] == consult.sequence
    assert event["dtstart"].dt == consult.start
    assert str(event["status"]) == "CONFIRMED"
    day = consult.start.astimezone(agent.organisation.tzinfo).date()
    assert f"/agenda/?date={day.isoformat()}" in str(event["description"])
    assert consult.participants.get().token not in response.content.decode()
    assert b"Jan Peters" not in response.content
    calendar = Calendar.from_ical(response.content)
    assert str(calendar["x-wr-calname"]) == f"Consults · {agent.organisation.name}"
    assert calendar["refresh-interval"].params["VALUE"] == "DURATION"
    assert calendar["x-published-ttl"].to_ical() == b"PT1H"


def test_clients_names_only_when_the_organisation_allows_it(client, agent, organisation, book):
    book(email_participant(name="Jan Peters"), subject="Intake")
    token = create_feed(user=agent, actor=agent)
    assert list(events(client.get(feed_path(token)))) == ["Intake"]
    organisation.feed_shows_client_names = True
    organisation.save()
    assert list(events(client.get(feed_path(token)))) == ["Intake: Jan Peters"]


def test_a_cancelled_consult_stays_in_the_feed_as_cancelled_with_a_higher_sequence(client, agent, assistant, book):
    consult = book(subject="Intake")
    token = create_feed(user=agent, actor=agent)
    before = events(client.get(feed_path(token)))["Intake"]
    cancel_appointment(appointment=consult, cancelled_by=assistant)
    after = events(client.get(feed_path(token)))["Intake"]
    assert str(after["uid"]) == str(before["uid"])
    assert str(after["status"]) == "CANCELLED"
    assert after["sequence"] > before["sequence"]


def test_the_window_reaches_four_weeks_back_and_half_a_year_ahead(client, agent, team, tomorrow_at):
    for days, subject in [(-29, "Too old"), (-27, "Last month"), (150, "In five months"), (190, "Too far")]:
        start = tomorrow_at(10) + timedelta(days=days - 1)
        AppointmentFactory(team=team, agent=agent, subject=subject, start=start)
    token = create_feed(user=agent, actor=agent)
    assert sorted(events(client.get(feed_path(token)))) == ["In five months", "Last month"]


def test_a_second_reader_and_an_expanding_reader_read_the_feed(client, agent, book, tomorrow_at):
    book(subject="Intake", start=tomorrow_at(9), end=tomorrow_at(9, 45))
    book(subject="Follow-up", start=tomorrow_at(14), end=tomorrow_at(14, 30))
    token = create_feed(user=agent, actor=agent)
    content = client.get(feed_path(token)).content.decode()
    parsed = vobject.readOne(content)
    assert parsed.x_wr_calname.value.startswith("Consults")
    read = {event.summary.value: event for event in parsed.vevent_list}
    assert read["Intake"].dtstart.value == tomorrow_at(9)
    assert read["Intake"].dtend.value == tomorrow_at(9, 45)
    assert read["Follow-up"].status.value == "CONFIRMED"
    day = Calendar.from_ical(content)
    found = recurring_ical_events.of(day).at(tomorrow_at(0).date())
    assert sorted(str(event["summary"]) for event in found) == ["Follow-up", "Intake"]


def test_polls_take_a_fixed_number_of_queries_and_an_unchanged_feed_answers_304(client, agent, organisation, team):
    organisation.feed_shows_client_names = True
    organisation.save()
    token = create_feed(user=agent, actor=agent)

    def poll(**headers):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(feed_path(token), headers=headers)
        return response, len(queries)

    for consult in AppointmentFactory.create_batch(2, team=team, agent=agent):
        ParticipantFactory(appointment=consult)
    _few, few_queries = poll()
    for consult in AppointmentFactory.create_batch(20, team=team, agent=agent):
        ParticipantFactory(appointment=consult)
    many, many_queries = poll()
    assert len(events(many)) == 22
    # The feed and its owner, the figures behind the ETag, the consults, their clients.
    assert few_queries == many_queries == 4

    again, again_queries = poll(if_none_match=many["ETag"])
    assert again.status_code == 304 and again_queries == 2
    since, _queries = poll(if_modified_since=many["Last-Modified"])
    assert since.status_code == 304
    AppointmentFactory(team=team, agent=agent)
    assert poll(if_none_match=many["ETag"])[0].status_code == 200
    organisation.feed_shows_client_names = False
    organisation.save()
    latest = client.get(feed_path(token))
    assert latest["ETag"] != many["ETag"]


def test_an_unknown_token_is_404(client, agent):
    create_feed(user=agent, actor=agent)
    assert client.get(feed_path("x" * 43)).status_code == 404


def test_an_organisation_admin_revokes_a_url_in_the_admin_and_it_is_audited(client, agent, organisation):
    token = create_feed(user=agent, actor=agent)
    outsider = agent_of(TeamFactory())
    create_feed(user=outsider, actor=outsider)
    admin = admin_of(organisation)
    client.force_login(admin)
    changelist = reverse("admin:notifications_calendarfeed_changelist")
    listed = client.get(changelist)
    assert agent.full_name in listed.content.decode() and outsider.full_name not in listed.content.decode()
    feed = CalendarFeed.objects.get(user=agent)
    client.post(changelist, {"action": "revoke", "_selected_action": [feed.pk]})
    assert client.get(feed_path(token)).status_code == 404
    assert CalendarFeed.objects.filter(user=outsider).exists()
    revoked = AuditEvent.objects.get(action=Action.FEED_REVOKED)
    assert revoked.actor == admin and revoked.organisation == organisation


def test_a_moved_consult_shows_at_its_new_time_with_a_higher_sequence_and_a_new_etag(
    client, agent, book, edit, tomorrow_at
):
    consult = book(subject="Intake")
    token = create_feed(user=agent, actor=agent)
    before = client.get(feed_path(token))
    edit(consult, start=tomorrow_at(15), end=tomorrow_at(15, 30))
    after = client.get(feed_path(token), headers={"if_none_match": before["ETag"]})
    assert after.status_code == 200 and after["ETag"] != before["ETag"]
    moved, was = events(after)["Intake"], events(before)["Intake"]
    assert moved["dtstart"].dt == tomorrow_at(15) and str(moved["uid"]) == str(was["uid"])
    assert moved["sequence"] > was["sequence"]
    # iCalendar times have whole seconds: a change in the booking's second keeps LAST-MODIFIED, not SEQUENCE.
    consult.refresh_from_db()
    assert moved["last-modified"].dt == consult.updated_at.replace(microsecond=0) >= was["last-modified"].dt
