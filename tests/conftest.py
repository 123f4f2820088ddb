from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from tests.factories import PASSWORD, TeamFactory, agent_of, assistant_of


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
