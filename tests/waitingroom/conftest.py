from datetime import timedelta

import pytest
from django.utils import timezone


@pytest.fixture
def consult(book):
    """A consult in five minutes with one client: their link opens the waiting room now."""
    start = timezone.now() + timedelta(minutes=5)
    return book(start=start, end=start + timedelta(minutes=30))


@pytest.fixture
def participant(consult):
    return consult.participants.get()
