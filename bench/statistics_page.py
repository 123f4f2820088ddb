"""Statistics page benchmark: queries and server time of /statistics/ as the number of consults grows.

Fills a scratch database as bench/pages.py does (1,000, 10,000 and 100,000 consults over a year, 50 agents in
5 teams), then gives the past consults what really happens to them: most are held (a client waited, the agent
started a few minutes late, a quarter-hour call), one in ten is a no-show, one in twenty is cancelled, one in
twenty-five has a failed email. Measures the page and its CSV for an organisation admin (every team), an
assistant of one team and an agent, per week and per month. The goal: at most 200 ms at 100,000 consults.

    .venv/bin/python bench/statistics_page.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/videoconsult .venv/bin/python bench/statistics_page.py
"""

import argparse
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# bench.pages sets Django up, so it comes before anything of Django's.
from bench.pages import build_organisation, fill  # noqa: I001
from bench.scratch import create_scratch_database, drop_scratch_database
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone


def happen(after_pk: int) -> int:
    """What happened to the past consults added since `after_pk`; returns the highest pk seen."""
    from notifications.models import Notification
    from scheduling.models import Appointment, Participant, Status
    from waitingroom.models import Presence

    now = timezone.now()
    consults = list(Appointment.objects.filter(pk__gt=after_pk).order_by("pk"))
    clients = dict(Participant.objects.filter(appointment__pk__gt=after_pk).values_list("appointment_id", "pk"))
    presences, failed = [], []
    for consult in consults:
        if consult.pk % 20 == 1:
            consult.status, consult.cancelled_at = Status.CANCELLED, consult.start - timedelta(hours=consult.pk % 48)
        elif consult.end <= now and consult.pk % 10 != 0:
            consult.started_at = consult.start + timedelta(minutes=consult.pk % 7)
            consult.ended_at = consult.started_at + timedelta(minutes=15)
            arrived = consult.start + timedelta(minutes=consult.pk % 5 - 2)
            presences.append(
                Presence(
                    participant_id=clients[consult.pk],
                    first_opened_at=arrived,
                    arrived_at=arrived,
                    last_seen_at=consult.started_at,
                    admitted_at=consult.started_at,
                )
            )
        if consult.pk % 25 == 0:
            failed.append(
                Notification(
                    organisation_id=consult.organisation_id,
                    appointment=consult,
                    participant_id=clients[consult.pk],
                    purpose="invitation",
                    channel="email",
                    to="client@bench.example",
                    dedupe_key=f"bench-{consult.pk}",
                    send_after=consult.start - timedelta(days=1),
                    status="failed",
                )
            )
    Appointment.objects.bulk_update(consults, ["status", "cancelled_at", "started_at", "ended_at"], batch_size=2000)
    Presence.objects.bulk_create(presences, batch_size=2000)
    Notification.objects.bulk_create(failed, batch_size=2000)
    return consults[-1].pk if consults else after_pk


def run(users: dict, repeat: int) -> list[tuple[str, int, float, float]]:
    tz = next(iter(users.values())).organisation.tzinfo
    # A month and a week that lie in the past, so they are full of held consults and no-shows.
    day = timezone.localdate(timezone=tz) - timedelta(days=40)
    pages = [("week", "reports:statistics"), ("month", "reports:statistics"), ("month CSV", "reports:statistics-csv")]
    results = []
    for who, user in users.items():
        client = Client()
        client.force_login(user)
        for name, url_name in pages:
            query = {"period": name.split()[0], "date": day.isoformat()}
            results.append((f"{who} {name}", *measure(client, repeat, getter(client, reverse(url_name), query))))
    return results


def getter(client: Client, url: str, query: dict):
    return lambda: client.get(url, query)


def measure(client: Client, repeat: int, request) -> tuple[int, float, float]:
    """Queries of one request; median wall and CPU milliseconds of `repeat` more. The CPU time of this process
    (which on SQLite includes the database's work) says what a request costs when other programs share the
    cores; the wall time is what a user waits on an idle machine."""
    # The query log keeps the last 9,000 queries; a full log (after the filling) would count nothing.
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as captured:
        assert request().status_code == 200
    # Read now: the next request's start empties the log that `captured` reads from.
    queries = len(captured)
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        assert request().status_code == 200
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return queries, statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=20, help="requests per page and size")
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    create_scratch_database(Path(tempfile.mkdtemp(prefix="bench-")))
    try:
        from accounts.models import Membership, Role, User

        org, teams, agents, assistant = build_organisation()
        admin = User.objects.create_user(email="admin@bench.example", full_name="Admin", organisation=org)
        Membership.objects.create(user=admin, role=Role.ADMIN)
        users = {"admin": admin, "assistant": assistant, "agent": agents[0]}
        print(f"Database: {connection.vendor}; {len(agents)} agents in {len(teams)} teams")
        print(f"{'consults':>9}  {'page':<20} {'queries':>7} {'wall ms':>8} {'CPU ms':>8}  (medians)")
        filled, last_pk = 0, 0
        for size in sorted(args.sizes):
            began = time.perf_counter()
            fill(org, teams, agents, assistant, filled, size - filled)
            last_pk = happen(last_pk)
            filled = size
            print(f"{'':>9}  (filled to {size:,} in {time.perf_counter() - began:.1f} s)")
            for name, queries, wall, cpu in run(users, args.repeat):
                print(f"{size:>9,}  {name:<20} {queries:>7} {wall:>8.1f} {cpu:>8.1f}")
    finally:
        drop_scratch_database()


if __name__ == "__main__":
    main()
