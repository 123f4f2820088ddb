from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from scheduling.models import Channel
from scheduling.series import book_series
from tests.factories import ReminderRuleFactory, email_participant


@pytest.fixture
def form_data(team, agent, tomorrow_at):
    """A valid POST; each test spoils one thing."""

    def make(participants=None, **overrides):
        start = tomorrow_at(10)
        data = {
            "date": start.strftime("%Y-%m-%d"),
            "start_time": "10:00",
            "end_time": "10:30",
            "team": str(team.pk),
            "agent": str(agent.pk),
            "subject": "Intake",
            "message": "Welcome",
            "sequence": "",
        }
        rows = participants if participants is not None else [{"name": "Jan Peters", "email": "jan@example.org"}]
        data.update(
            {
                "participants-TOTAL_FORMS": str(len(rows) or 1),
                "participants-INITIAL_FORMS": "0",
                "participants-MIN_NUM_FORMS": "1",
                "participants-MAX_NUM_FORMS": "10",
            }
        )
        for i, row in enumerate(rows):
            values = {"channel": Channel.EMAIL, "language": "nl", "email": "", "phone": "", "name": ""}
            values.update(row)
            data.update({f"participants-{i}-{key}": value for key, value in values.items()})
        data.update(overrides)
        return data

    return make


@pytest.fixture
def reminder(organisation):
    return ReminderRuleFactory(organisation=organisation, amount=1, unit="days")


@pytest.fixture
def first_start(organisation):
    """A Tuesday at 09:00, local, a few weeks ahead."""
    day = timezone.localdate(timezone=organisation.tzinfo) + timedelta(days=14)
    day += timedelta(days=(1 - day.weekday()) % 7)
    return datetime(day.year, day.month, day.day, 9, 0, tzinfo=organisation.tzinfo)


@pytest.fixture
def series(assistant, agent, team, django_capture_on_commit_callbacks):
    def make(first, pattern, *participants, send=True, **kwargs):
        with django_capture_on_commit_callbacks(execute=send):
            return book_series(
                booked_by=assistant,
                team=team,
                agent=agent,
                start=first,
                end=first + timedelta(minutes=30),
                subject="Follow-up",
                message="Same time every week.",
                participants=list(participants or [email_participant()]),
                pattern=pattern,
                **kwargs,
            )

    return make
