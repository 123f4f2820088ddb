"""Consults and series through the API: the same rules and the same effects as the pages (outbox rows,
mail, audit), another organisation's consults not found, bad input refused whole with messages per field."""

from datetime import timedelta

import pytest
from django.core import mail

from audit.models import Action, AuditEvent
from notifications.models import Notification, Purpose
from scheduling.models import Appointment, Participant, Series, Status
from tests.factories import TeamFactory, admin_of, agent_of, assistant_of
from waitingroom.services import check_in


def _effects(appointment) -> list[tuple[str, str, str]]:
    """The outbox rows of a consult by purpose, channel and whom they go to (agent or client)."""
    return sorted(
        (n.purpose, n.channel, "agent" if n.user_id else "client")
        for n in Notification.objects.filter(appointment=appointment)
    )


def test_booking_through_the_api_has_the_effects_of_booking_on_the_page(
    assistant, assistant_client, api_as, booking, form_data, django_capture_on_commit_callbacks, tomorrow_at
):
    with django_capture_on_commit_callbacks(execute=True):
        page = assistant_client.post("/consults/new/", form_data(start_time="09:00", end_time="09:30"))
    assert page.status_code == 302
    on_page = Appointment.objects.get()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(assistant).post("/consults", booking())
    assert response.status_code == 201, response.json()
    body = response.json()
    through_api = Appointment.objects.get(public_id=body["id"])
    assert response["Location"] == f"/api/v1/consults/{through_api.public_id}"
    assert "no-store" in response["Cache-Control"] and "Authorization" in response["Vary"]
    assert _effects(through_api) == _effects(on_page) != []
    assert sorted(m.to[0] for m in mail.outbox) == sorted([through_api.agent.email, "chris@example.org"])
    events = AuditEvent.objects.filter(action=Action.CONSULT_BOOKED).order_by("pk")
    assert [e.actor for e in events] == [assistant, assistant]
    assert "API key Practice system (vc_" not in events[0].summary
    assert "API key Practice system (vc_" in events[1].summary
    # What the answer says is what was saved, in the organisation's time and with every link.
    participant = through_api.participants.get()
    assert body["start"] == tomorrow_at(10).isoformat() and body["sequence"] == 0
    assert body["participants"] == [
        {
            "name": "Chris Client",
            "channel": "email",
            "language": through_api.organisation.default_language,
            "email": "chris@example.org",
            "phone": "",
            "join_url": participant.join_url,
        }
    ]


def test_a_consult_of_another_organisation_is_not_found(assistant, api_as, book, booking):
    consult = book()
    stranger = admin_of(TeamFactory().organisation)
    api = api_as(stranger)
    assert api.get(f"/consults/{consult.public_id}").status_code == 404
    assert api.get(f"/consults/{consult.public_id}/waiting").status_code == 404
    change = booking(sequence=consult.sequence)
    assert api.put(f"/consults/{consult.public_id}", change).status_code == 404
    assert api.post(f"/consults/{consult.public_id}/cancel", {}).status_code == 404
    assert api.get("/consults").json() == {"count": 0, "items": []}
    assert api.get("/teams").json() == [{"name": t.name, "agents": []} for t in stranger.organisation.teams.all()]
    consult.refresh_from_db()
    assert consult.status == Status.SCHEDULED and consult.sequence == 0


def test_invalid_bookings_get_422_with_messages_per_field_and_save_nothing(assistant, api_as, booking, tomorrow_at):
    api = api_as(assistant)
    bad = booking(
        end=tomorrow_at(9).isoformat(),
        participants=[{"name": "Sam", "channel": "sms", "phone": "12"}, {"name": "Eve", "channel": "email"}],
    )
    response = api.post("/consults", bad, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid"
    assert body["errors"]["end"] == ["The end time must be after the start time."]
    assert len(body["errors"]["participants"]) == 2
    naive = api.post("/consults", booking(start="2030-01-01T10:00:00"))
    assert naive.status_code == 422 and "start" in naive.json()["errors"]
    unknown = api.post("/consults", booking(team="No such team", agent="nobody@example.org"))
    assert unknown.status_code == 422 and set(unknown.json()["errors"]) == {"team"}
    nul = api.post("/consults", booking(subject="a\x00b"))
    assert nul.status_code == 422 and "subject" in nul.json()["errors"]
    broken = api.client.post("/api/v1/consults", "{", content_type="application/json", **api.headers({}))
    assert broken.status_code in (400, 422) and broken.json()["code"]
    assert not Appointment.objects.exists() and not Notification.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.CONSULT_BOOKED).exists()


def test_errors_are_in_the_language_asked_for_else_the_organisations(assistant, api_as, booking, tomorrow_at):
    api = api_as(assistant)
    bad = booking(end=tomorrow_at(9).isoformat())
    english = api.post("/consults", bad, HTTP_ACCEPT_LANGUAGE="en")
    dutch = api.post("/consults", bad, HTTP_ACCEPT_LANGUAGE="nl")
    assert english.json()["errors"]["end"] == ["The end time must be after the start time."]
    assert dutch.json()["errors"]["end"] == ["De eindtijd moet na de begintijd liggen."]
    assert assistant.organisation.default_language == "nl"
    assert api.post("/consults", bad).json()["errors"]["end"] == ["De eindtijd moet na de begintijd liggen."]


def test_an_agent_may_read_but_not_book_or_change_for_the_team(agent, api_as, book, booking):
    consult = book()
    api = api_as(agent)
    assert api.get(f"/consults/{consult.public_id}").status_code == 200
    assert api.post("/consults", booking()).status_code == 403
    changed = api.put(f"/consults/{consult.public_id}", booking(sequence=0, subject="Other"))
    assert changed.status_code == 403 and changed.json()["code"] == "forbidden"
    assert api.post(f"/consults/{consult.public_id}/cancel", {}).status_code == 403
    consult.refresh_from_db()
    assert consult.subject == "Intake" and consult.status == Status.SCHEDULED


def test_changing_keeps_the_participants_who_stay_and_sends_the_update(
    assistant, api_as, book, booking, tomorrow_at, django_capture_on_commit_callbacks
):
    consult = book()
    kept = consult.participants.get()
    api = api_as(assistant)
    change = booking(
        sequence=consult.sequence,
        start=tomorrow_at(11).isoformat(),
        end=tomorrow_at(11, 30).isoformat(),
        participants=[
            {"name": kept.name, "channel": "email", "email": kept.email.upper(), "language": "en"},
            {"name": "Nina New", "channel": "link"},
        ],
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = api.put(f"/consults/{consult.public_id}", change)
    assert response.status_code == 200, response.json()
    [shown] = response.json()["consults"]
    assert shown["start"] == tomorrow_at(11).isoformat() and shown["sequence"] == 1
    links = {p["name"]: p["join_url"] for p in shown["participants"]}
    assert links[kept.name] == kept.join_url  # the same person: the link sent before still works
    assert Notification.objects.filter(appointment=consult, purpose=Purpose.UPDATE).exists()
    event = AuditEvent.objects.get(action=Action.CONSULT_CHANGED)
    assert event.actor == assistant and "API key" in event.summary and "time" in event.changes


def test_a_change_based_on_an_old_sequence_is_409_and_changes_nothing(assistant, api_as, book, booking, edit):
    consult = book()
    edit(consult, subject="Changed on the page")
    response = api_as(assistant).put(f"/consults/{consult.public_id}", booking(sequence=0, subject="From the API"))
    assert response.status_code == 409 and response.json()["code"] == "stale"
    consult.refresh_from_db()
    assert consult.subject == "Changed on the page"


def test_booking_over_another_consult_is_refused_unless_allowed(assistant, api_as, book, booking):
    existing = book()
    api = api_as(assistant)
    refused = api.post("/consults", booking())
    assert refused.status_code == 422 and refused.json()["code"] == "conflict"
    assert refused.json()["conflicts"][0]["id"] == str(existing.public_id)
    assert Appointment.objects.count() == 1
    assert api.post("/consults", booking(allow_conflicts=True)).status_code == 201


def test_cancelling_sends_the_cancellation_and_twice_is_422(
    assistant, api_as, book, django_capture_on_commit_callbacks
):
    consult = book()
    mail.outbox.clear()
    api = api_as(assistant)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/consults/{consult.public_id}/cancel", {})
    assert response.status_code == 200
    assert response.json()["consults"][0]["status"] == "cancelled"
    assert Notification.objects.filter(appointment=consult, purpose=Purpose.CANCELLATION).count() == 2
    assert len(mail.outbox) == 2
    assert "API key" in AuditEvent.objects.get(action=Action.CONSULT_CANCELLED).summary
    again = api.post(f"/consults/{consult.public_id}/cancel", {})
    assert again.status_code == 422 and again.json()["code"] == "already_cancelled"


@pytest.fixture
def weekly_body(booking, first_start, reminder):
    return booking(
        start=first_start.isoformat(),
        end=(first_start + timedelta(minutes=30)).isoformat(),
        recurrence={"frequency": "WEEKLY", "count": 4},
    )


def test_booking_a_series_and_cancelling_the_following_sessions(assistant, api_as, weekly_body, first_start):
    api = api_as(assistant)
    response = api.post("/series", weekly_body)
    assert response.status_code == 201, response.json()
    body = response.json()
    series = Series.objects.get(public_id=body["id"])
    starts = [c["start"] for c in body["consults"]]
    assert starts == [(first_start + timedelta(weeks=n)).isoformat() for n in range(4)]
    assert {c["series"] for c in body["consults"]} == {str(series.public_id)}
    assert Notification.objects.filter(purpose=Purpose.SERIES).exists()
    third = body["consults"][2]["id"]
    cancelled = api.post(f"/consults/{third}/cancel", {"scope": "following"})
    assert cancelled.status_code == 200
    assert [c["start"] for c in cancelled.json()["consults"]] == starts[2:]
    listed = api.get("/consults", {"series": str(series.public_id), "status": "cancelled"}).json()
    assert [c["start"] for c in listed["items"]] == starts[2:]
    statuses = list(series.occurrences.order_by("start").values_list("status", flat=True))
    assert statuses == ["scheduled", "scheduled", "cancelled", "cancelled"]
    assert AuditEvent.objects.filter(action=Action.SERIES_BOOKED, summary__contains="API key").exists()


def test_changing_this_and_the_following_sessions(assistant, api_as, weekly_body, first_start):
    api = api_as(assistant)
    sessions = api.post("/series", weekly_body).json()["consults"]
    second = sessions[1]
    later = first_start + timedelta(weeks=1, hours=1)
    change = weekly_body | {
        "start": later.isoformat(),
        "end": (later + timedelta(minutes=30)).isoformat(),
        "sequence": second["sequence"],
        "scope": "following",
    }
    change.pop("recurrence")
    response = api.put(f"/consults/{second['id']}", change)
    assert response.status_code == 200, response.json()
    moved = [c["start"] for c in response.json()["consults"]]
    assert moved == [(first_start + timedelta(weeks=n, hours=1)).isoformat() for n in (1, 2, 3)]


def test_a_series_without_a_reminder_rule_is_refused_with_the_reason(assistant, api_as, booking, first_start):
    body = booking(
        start=first_start.isoformat(),
        end=(first_start + timedelta(minutes=30)).isoformat(),
        recurrence={"frequency": "WEEKLY", "count": 4},
    )
    response = api_as(assistant).post("/series", body)
    assert response.status_code == 422 and "recurrence" in response.json()["errors"]
    assert not Series.objects.exists() and not Appointment.objects.exists()


def test_the_waiting_state_says_who_waits_since_when(assistant, api_as, book):
    consult = book()
    client = consult.participants.get()
    api = api_as(assistant)
    before = api.get(f"/consults/{consult.public_id}/waiting").json()
    assert before["participants"] == [{"name": client.name, "state": "absent", "waiting_since": None}]
    check_in(participant=Participant.objects.get(pk=client.pk))
    after = api.get(f"/consults/{consult.public_id}/waiting").json()
    assert after["active"] is False
    assert after["participants"][0]["state"] == "waiting" and after["participants"][0]["waiting_since"]


def test_the_list_filters_and_pages(assistant, api_as, book, booking, team, tomorrow_at):
    for hour in (9, 10, 11):
        book(start=tomorrow_at(hour))
    agent_of(team, email="second@example.com")
    second = booking(agent="second@example.com", start=tomorrow_at(12).isoformat(), end=tomorrow_at(13).isoformat())
    api = api_as(assistant)
    assert api.post("/consults", second).status_code == 201
    first = api.get("/consults", {"limit": 2}).json()
    assert first["count"] == 4 and len(first["items"]) == 2
    rest = api.get("/consults", {"limit": 2, "offset": 2}).json()["items"]
    assert [c["start"] for c in first["items"] + rest] == [tomorrow_at(h).isoformat() for h in (9, 10, 11, 12)]
    by_agent = api.get("/consults", {"agent": "second@example.com"}).json()
    assert by_agent["count"] == 1
    window = {"starts_after": tomorrow_at(10).isoformat(), "starts_before": tomorrow_at(11).isoformat()}
    assert [c["start"] for c in api.get("/consults", window).json()["items"]] == [tomorrow_at(10).isoformat()]
    assert api.get("/consults", {"status": "cancelled"}).json()["count"] == 0


def test_teams_lists_what_the_user_may_book_for(assistant, agent, api_as, team):
    other_team = TeamFactory(organisation=team.organisation)
    assistant_of(other_team)
    assert api_as(assistant).get("/teams").json() == [
        {"name": team.name, "agents": [{"name": agent.full_name, "email": agent.email}]}
    ]


def test_a_series_that_meets_another_consult_is_refused_whole(assistant, api_as, weekly_body, first_start, book):
    in_the_way = book(start=first_start + timedelta(weeks=2))
    response = api_as(assistant).post("/series", weekly_body)
    assert response.status_code == 422 and response.json()["code"] == "conflict"
    assert [c["id"] for c in response.json()["conflicts"]] == [str(in_the_way.public_id)]
    assert not Series.objects.exists() and list(Appointment.objects.all()) == [in_the_way]
    assert not Notification.objects.exclude(appointment=in_the_way).exists()


def test_what_the_schema_refuses_is_told_per_field_in_the_language_asked_for(assistant, api_as, booking):
    api = api_as(assistant)
    body = booking(start="2030-01-01T10:00:00", participants=[{"name": "x" * 201, "channel": "fax"}])
    del body["subject"]
    dutch = api.post("/consults", body, HTTP_ACCEPT_LANGUAGE="nl").json()["errors"]
    assert dutch["subject"] == ["Dit veld is verplicht."]
    assert dutch["start"] == [
        "Geef een datum en tijd in ISO 8601 met de afwijking van UTC, bijv. 2027-03-02T10:00:00+01:00."
    ]
    assert dutch["participants.0.name"] == ["Geef hoogstens 200 tekens."]
    assert dutch["participants.0.channel"] == ["Kies een van: 'email', 'sms', 'link'."]
    english = api.post("/consults", body, HTTP_ACCEPT_LANGUAGE="en").json()["errors"]
    assert english["subject"] == ["This field is required."]
    # Offsets of real time zones only (PostgreSQL refuses more than about 16 hours), and years that add up.
    for moment in ("2030-01-01T10:00:00+20:00", "9999-12-31T23:00:00-05:00"):
        far = api.post("/consults", booking(start=moment), HTTP_ACCEPT_LANGUAGE="en").json()["errors"]
        assert far["start"] == ["Give a time between the years 1900 and 9000, with an offset of at most 14 hours."]
    listed = api.get("/consults", {"starts_before": "4955-10-11T06:16:53-20:09"})
    assert listed.status_code == 422 and "starts_before" in listed.json()["errors"]
    assert not Appointment.objects.exists()


def _audit(appointment) -> list[str]:
    return list(AuditEvent.objects.filter(object_id=str(appointment.public_id)).values_list("action", flat=True))


def test_changing_and_cancelling_through_the_api_has_the_effects_of_the_pages(
    assistant, assistant_client, api_as, book, tomorrow_at, django_capture_on_commit_callbacks
):
    on_page, through_api = book(start=tomorrow_at(9)), book(start=tomorrow_at(10))
    client = on_page.participants.get()
    page_change = {
        "date": tomorrow_at(9).strftime("%Y-%m-%d"),
        "start_time": "14:00",
        "end_time": "14:30",
        "team": on_page.team_id,
        "agent": on_page.agent_id,
        "subject": "Moved",
        "message": on_page.message,
        "sequence": on_page.sequence,
        "participants-TOTAL_FORMS": 1,
        "participants-INITIAL_FORMS": 1,
        "participants-MIN_NUM_FORMS": 1,
        "participants-MAX_NUM_FORMS": 10,
        "participants-0-participant_id": client.pk,
        "participants-0-name": client.name,
        "participants-0-channel": client.channel,
        "participants-0-email": client.email,
        "participants-0-language": client.language,
    }
    api = api_as(assistant)
    api_change = {
        "team": through_api.team.name,
        "agent": through_api.agent.email,
        "start": tomorrow_at(15).isoformat(),
        "end": tomorrow_at(15, 30).isoformat(),
        "subject": "Moved",
        "message": through_api.message,
        "sequence": through_api.sequence,
        "participants": [
            {"name": client.name, "channel": client.channel, "email": client.email, "language": client.language}
        ],
    }
    with django_capture_on_commit_callbacks(execute=True):
        assert assistant_client.post(f"/consults/{on_page.public_id}/edit/", page_change).status_code == 302
        assert api.put(f"/consults/{through_api.public_id}", api_change).status_code == 200
    assert _effects(through_api) == _effects(on_page)
    assert _audit(through_api) == _audit(on_page) == [Action.CONSULT_CHANGED, Action.CONSULT_BOOKED]
    with django_capture_on_commit_callbacks(execute=True):
        assert assistant_client.post(f"/consults/{on_page.public_id}/cancel/", {"scope": "this"}).status_code == 302
        assert api.post(f"/consults/{through_api.public_id}/cancel", {"scope": "this"}).status_code == 200
    assert _effects(through_api) == _effects(on_page)
    assert Purpose.CANCELLATION in {purpose for purpose, _channel, _whom in _effects(through_api)}
    assert _audit(through_api) == _audit(on_page)
    assert Action.CONSULT_CANCELLED in _audit(through_api)
