"""Two beats by mistake (a second host started with the same units): both schedule the outbox sweep, and
two sweeps run at the same instant, each in its own thread with its own database connection. Every message
still goes out once, because the sweep only moves rows by conditional UPDATEs and the task that sends a row
first claims it (QUEUED → SENDING); a row queued twice costs one task that finds nothing to claim.

The race shows on PostgreSQL, where the two sweeps' statements run side by side; on SQLite they take turns."""

from collections import Counter
from datetime import timedelta

import pytest
from celery.signals import task_prerun
from django.conf import settings
from django.utils import timezone

from notifications.models import DeliveryStatus, Heartbeat, MessageChannel, Notification
from notifications.tasks import sweep_outbox_task
from tests.factories import email_participant
from tests.threads import at_once

TRIALS = 5


def sweep_at_once(count: int) -> None:
    """Run the sweep task (as beat schedules it) in `count` threads released at the same instant; tasks the
    sweeps queue run in the sweeping thread (eager Celery), as on a worker."""
    at_once([sweep_outbox_task] * count)


def left_behind(ids: list[int]) -> None:
    """The state two beats find after an outage: a third of the rows due (a reminder, a retry), a third
    queued but their task lost, a third claimed by a worker that died while sending."""
    past = timezone.now() - timedelta(seconds=settings.NOTIFICATION_LEASE_SECONDS + 60)
    due, lost, interrupted = ids[0::3], ids[1::3], ids[2::3]
    rows = Notification.objects.all()
    rows.filter(pk__in=due).update(status=DeliveryStatus.SCHEDULED, send_after=past, attempts=0)
    rows.filter(pk__in=lost).update(status=DeliveryStatus.QUEUED, queued_at=past, attempts=0)
    rows.filter(pk__in=interrupted).update(status=DeliveryStatus.SENDING, claimed_at=past, attempts=1)


@pytest.mark.django_db(transaction=True)
def test_two_beats_sweeping_at_the_same_instant_send_every_message_once(smtp, book, tomorrow_at):
    participants = [email_participant(name=f"Client {n}", address=f"client{n}@example.org") for n in range(4)]
    for hour in range(8, 14):
        book(*participants, start=tomorrow_at(hour))
    ids = list(Notification.objects.filter(channel=MessageChannel.EMAIL).values_list("pk", flat=True))
    assert len(ids) == 30

    tasks: list[str] = []

    def count(sender, **kwargs) -> None:
        if sender.name == "notifications.send":
            tasks.append(sender.name)

    task_prerun.connect(count, weak=False)
    try:
        for _trial in range(TRIALS):
            left_behind(ids)
            smtp.received.clear()
            tasks.clear()

            sweep_at_once(2)

            check_sent_once(smtp, ids)
            # Each sweep queues only the rows it moved itself: no task is queued twice.
            assert len(tasks) == len(ids)
    finally:
        task_prerun.disconnect(count)
    # Both noted that beat ran: /health/'s BeatRecent has one row to read.
    assert Heartbeat.objects.count() == 1


def check_sent_once(smtp, ids: list[int]) -> None:

    sent = Counter(mail["Message-ID"] for mail in smtp.received)
    assert sent and max(sent.values()) == 1, [key for key, times in sent.items() if times > 1]
    assert len(sent) == len(ids)
    assert set(Notification.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}
