"""The overview's rows, drawn in Python (scheduling.rendering): what each row tells and offers, escaped, and
without a query per row."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from scheduling import rendering
from scheduling.recurrence import Pattern
from scheduling.selectors import appointments_between
from tests.factories import AppointmentFactory, ParticipantFactory


@pytest.fixture
def day_of_consults(team, agent, tomorrow_at, series, reminder):
    """Tomorrow in the practice: one consult done, one in progress, one running late, one ahead, one of a
    series, seen at 10:10."""
    done = AppointmentFactory(team=team, agent=agent, start=tomorrow_at(8), end=tomorrow_at(8, 20), subject="Done")
    active = AppointmentFactory(
        team=team,
        agent=agent,
        start=tomorrow_at(9, 50),
        end=tomorrow_at(10, 20),
        subject="Started",
        started_at=tomorrow_at(9, 55),
    )
    running = AppointmentFactory(
        team=team, agent=agent, start=tomorrow_at(10), end=tomorrow_at(10, 30), subject="<b>Knee</b> & back"
    )
    ParticipantFactory(appointment=running, name="Wim <de> Groot")
    ParticipantFactory(appointment=running, name="Els")
    ahead = AppointmentFactory(team=team, agent=agent, start=tomorrow_at(14), end=tomorrow_at(14, 30), subject="Later")
    weekly = series(tomorrow_at(16), Pattern("WEEKLY", count=2)).occurrences.order_by("start").first()
    return {"done": done, "active": active, "running": running, "ahead": ahead, "weekly": weekly}


SUBJECTS = ["Done", "Started", "&lt;b&gt;Knee&lt;/b&gt; &amp; back", "Later", "Follow-up"]


def rows(user, organisation, tomorrow_at, django_assert_num_queries) -> dict[str, str]:
    """Each consult's row as the overview draws it at 10:10 tomorrow, by its (escaped) subject."""
    with timezone.override(organisation.tzinfo), translation.override("en"):
        found = appointments_between(user=user, start=tomorrow_at(0), end=tomorrow_at(23, 59))
        # Everything a row shows was loaded with the list: drawing it runs no query.
        with django_assert_num_queries(0):
            html = rendering.consult_rows(found, user=user, now=tomorrow_at(10, 10), csrf_token="tok<en>")
    lines = html.split("\n")
    assert len(lines) == len(SUBJECTS)
    return {subject: row for row in lines for subject in SUBJECTS if f'consult__subject">{subject}<' in row}


def test_each_row_tells_time_people_status_and_series(
    assistant, organisation, tomorrow_at, day_of_consults, django_assert_num_queries
):
    by_subject = rows(assistant, organisation, tomorrow_at, django_assert_num_queries)
    running = by_subject["&lt;b&gt;Knee&lt;/b&gt; &amp; back"]
    assert '<span class="consult__time">10:00<span class="muted">–10:30</span></span>' in running  # noqa: RUF001
    assert "Wim &lt;de&gt; Groot, Els" in running
    assert '<span class="badge badge--now">Now</span>' in running
    detail = reverse("scheduling:appointment-detail", args=[day_of_consults["running"].public_id])
    assert f'href="{detail}"' in running
    assert '<span class="badge badge--active">In progress</span>' in by_subject["Started"]
    assert 'class="consult consult--past"' in by_subject["Done"]
    assert '<span class="badge badge--past">Past</span>' in by_subject["Done"]
    assert "badge" not in by_subject["Later"]
    assert 'class="series-badge"' in by_subject["Follow-up"] and "series-badge" not in by_subject["Later"]
    # The assistant cannot start anyone's consult: no button on any row.
    assert not any("startform" in row for row in by_subject.values())


def test_the_agent_is_offered_online_consult_where_starting_would_succeed(
    agent, organisation, tomorrow_at, day_of_consults, django_assert_num_queries
):
    by_subject = rows(agent, organisation, tomorrow_at, django_assert_num_queries)
    start = reverse("waitingroom:start", args=[day_of_consults["ahead"].public_id])
    later = by_subject["Later"]
    assert 'class="consult consult--startable"' in later
    assert f'<form method="post" action="{start}" class="startform">' in later
    assert '<input type="hidden" name="csrfmiddlewaretoken" value="tok&lt;en&gt;">' in later
    assert ">Online consult</button>" in later
    assert ">Back to the consult</button>" in by_subject["Started"]
    # Links of the 8:00 consult expired at 9:00 (an hour after its start, at least its end).
    assert "startform" not in by_subject["Done"]


def test_the_overview_shows_the_rows_in_the_users_language(team, agent, client):
    now = timezone.now()
    AppointmentFactory(team=team, agent=agent, start=now - timedelta(minutes=5), end=now + timedelta(minutes=25))
    client.force_login(agent)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nl"  # as logging in sets it for a Dutch user
    # The request leaves its language active in this thread; the override puts the test's back afterwards.
    with translation.override("en"):
        page = client.get(reverse("scheduling:dashboard")).content.decode()
    assert '<span class="badge badge--now">Nu</span>' in page
    assert '<span class="badge badge--now">Now</span>' not in page
