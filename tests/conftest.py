from datetime import datetime, timedelta

import pytest
import redis
from django.conf import settings
from django.utils import timezone

from scheduling.models import Channel
from scheduling.series import book_series
from scheduling.services import ParticipantInput, book_appointment, update_appointment
from tests.factories import (
    PASSWORD,
    ParticipantFactory,
    ReminderRuleFactory,
    TeamFactory,
    agent_of,
    assistant_of,
    email_participant,
)


@pytest.fixture
def team(db):
    return TeamFactory()


@pytest.fixture
def organisation(team):
    return team.organisation


@pytest.fixture
def assistant(team):
    return assistant_of(team, full_name="Anna Assistant")


@pytest.fixture
def agent(team):
    return agent_of(team, full_name="Dr. Alex Agent")


@pytest.fixture
def assistant_client(client, assistant):
    client.force_login(assistant)
    return client


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def tomorrow_at(organisation):
    """A factory of aware datetimes tomorrow, local to the organisation: tomorrow_at(14, 30)."""
    day = timezone.localdate(timezone=organisation.tzinfo) + timedelta(days=1)

    def make(hour: int, minute: int = 0) -> datetime:
        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=organisation.tzinfo)

    return make


@pytest.fixture
def book(assistant, agent, team, tomorrow_at, django_capture_on_commit_callbacks):
    """Book through the service. With send=True (the default) the queued tasks run, as after a web request;
    with send=False the invitations stay queued, as if no worker had reached them yet."""

    def make(*participants: ParticipantInput, start=None, end=None, send: bool = True, **kwargs):
        start = start or tomorrow_at(10)
        with django_capture_on_commit_callbacks(execute=send):
            return book_appointment(
                booked_by=assistant,
                team=team,
                agent=agent,
                start=start,
                end=end or start.replace(minute=30),
                subject=kwargs.pop("subject", "Intake"),
                message=kwargs.pop("message", "Please have your insurance card ready."),
                participants=list(participants or [email_participant()]),
                **kwargs,
            )

    return make


@pytest.fixture
def edit(assistant, django_capture_on_commit_callbacks):
    """Change a consult through the service, keeping whatever is not named; send=False as for `book`."""

    def change(appointment, *, send: bool = True, **changes):
        participants = changes.pop("participants", None) or [
            ParticipantInput(
                name=p.name, channel=p.channel, language=p.language, email=p.email, phone=p.phone, participant_id=p.pk
            )
            for p in appointment.participants.active()
        ]
        fields = {name: getattr(appointment, name) for name in ("team", "agent", "start", "end", "subject", "message")}
        with django_capture_on_commit_callbacks(execute=send):
            return update_appointment(
                appointment=appointment,
                changed_by=assistant,
                expected_sequence=appointment.sequence,
                participants=participants,
                allow_conflicts=True,
                **(fields | changes),
            )

    return change


@pytest.fixture(autouse=True)
def default_language_and_time_zone():
    """Each test starts in the settings' language and time zone: a request that activated another one (the
    API answers in the organisation's language when none is asked for) leaves it on the thread, where the
    next test's code outside a request would read it."""
    from django.utils import timezone, translation

    yield
    translation.deactivate()
    timezone.deactivate()


@pytest.fixture(autouse=True)
def empty_cache():
    """Rate-limit counters live in the cache (or, while Redis is down, each process's own); each test starts
    without any."""
    from django.core.cache import caches

    for alias in ("default", "local"):
        caches[alias].clear()
    yield
    for alias in ("default", "local"):
        caches[alias].clear()


@pytest.fixture(autouse=True)
def video_rooms():
    """The rooms the in-memory video provider made (the default provider in the test settings)."""
    from videoproviders import locmem

    locmem.reset()
    yield locmem.rooms
    locmem.reset()


@pytest.fixture(autouse=True)
def empty_sms_outbox():
    """The in-memory SMS backend's outbox and failure queue, empty for every test."""
    from notifications.sms import locmem

    locmem.outbox.clear()
    locmem.failures.clear()
    yield locmem.outbox
    locmem.outbox.clear()
    locmem.failures.clear()


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


@pytest.fixture
def redis_url():
    """A Redis for a test's own Celery worker and queue (on loopback), or the test is skipped."""
    url = settings.REDIS_URL or "redis://127.0.0.1:6379/12"
    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip(f"Redis is not running at {url} (make run does not need it; CI starts it)")
    finally:
        client.close()
    return url


@pytest.fixture
def known_client(transactional_db):
    """A client whose name, address and number a test looks for where they must not be (logs, error reports);
    transactional, as the servers and workers such tests start read the same database."""
    return ParticipantFactory(name="Jan Peters", email="jan.peters@example.org", phone="+31612345678")
