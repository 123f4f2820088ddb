"""Page benchmark: queries per request and server time as the number of consults grows.

Fills a scratch database with 1,000, 10,000 and 100,000 consults (one participant each) spread over a year
and 50 agents in 5 teams, then measures the pages an assistant of one team uses. Runs on SQLite, and on
PostgreSQL too when DATABASE_URL is set; the scratch database is created and dropped by the script.

    make bench                                  # SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/videoconsult make bench
    .venv/bin/python bench/pages.py --sizes 1000 10000 --repeat 20

Server time is measured in-process around Django's test client (request handling, queries, rendering),
without a network or web server in between.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.scratch import create_scratch_database, drop_scratch_database  # noqa: E402

AGENTS = 50
TEAMS = 5
DAYS = 365  # half a year back, half a year ahead


def build_organisation():
    from accounts.models import Membership, Organisation, Role, Team, User

    org = Organisation.objects.create(name="Bench practice", default_message_nl="Welcome")
    teams = [Team.objects.create(organisation=org, name=f"Team {i}") for i in range(TEAMS)]
    agents = []
    for i in range(AGENTS):
        agent = User.objects.create_user(email=f"agent{i}@bench.example", full_name=f"Agent {i:02}", organisation=org)
        Membership.objects.create(user=agent, team=teams[i % TEAMS], role=Role.AGENT)
        agents.append(agent)
    assistant = User.objects.create_user(email="assistant@bench.example", full_name="Assistant", organisation=org)
    Membership.objects.create(user=assistant, team=teams[0], role=Role.ASSISTANT)
    return org, teams, agents, assistant


def fill(org, teams, agents, assistant, start_index: int, count: int) -> None:
    """Add consults in bulk: the benchmark is about reading them, not about booking 100,000 one by one."""
    from scheduling.models import Appointment, Participant

    tz = org.tzinfo
    first_day = timezone.localdate(timezone=tz) - timedelta(days=DAYS // 2)
    batch = 5000
    for offset in range(start_index, start_index + count, batch):
        rows = []
        for n in range(offset, min(offset + batch, start_index + count)):
            agent_index = n % AGENTS
            # Rounds of one consult per agent; a prime stride spreads the rounds over the year, so every
            # size covers past and future days alike and every team has consults on every day.
            round_number = n // AGENTS
            day = first_day + timedelta(days=(round_number * 37) % DAYS)
            slot = round_number // DAYS % 20
            start = datetime(day.year, day.month, day.day, 8, 0, tzinfo=tz) + timedelta(minutes=30 * slot)
            rows.append(
                Appointment(
                    organisation=org,
                    team=teams[agent_index % TEAMS],
                    agent=agents[agent_index],
                    booked_by=assistant,
                    start=start,
                    end=start + timedelta(minutes=20),
                    subject=f"Consult {n}",
                    message="Hello",
                )
            )
        created = Appointment.objects.bulk_create(rows)
        if connection.vendor == "sqlite" or not created[0].pk:
            # SQLite before 3.35 and some backends return no keys; read them back by UID.
            created = list(Appointment.objects.filter(calendar_uid__in=[a.calendar_uid for a in rows]))
        Participant.objects.bulk_create(
            [
                Participant(appointment=a, name=f"Client {a.pk}", channel="email", email=f"c{a.pk}@bench.example")
                for a in created
            ]
        )


def measure(client: Client, repeat: int, request) -> tuple[int, float, float]:
    """Run request(i) `repeat` times; return the median and p95 in milliseconds of all but the last, timed
    without counting queries (as the peer harness times its pages), and the queries of the last."""
    timings = []
    for i in range(repeat - 1):
        began = time.perf_counter()
        response = request(i)
        timings.append((time.perf_counter() - began) * 1000)
        check(response)
    # The query log keeps the last 9,000 queries; a full log would count nothing.
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as captured:
        check(request(repeat - 1))
    queries = len(captured)
    timings.sort()
    p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
    return queries, statistics.median(timings), p95


def check(response) -> None:
    assert response.status_code in (200, 302), (response.status_code, getattr(response, "context", None))


def booking_data(team, agent, day, sequence=None, participant_id=None) -> dict:
    data = {
        "date": day.isoformat(),
        "start_time": "07:00",
        "end_time": "07:20",
        "team": team.pk,
        "agent": agent.pk,
        "subject": "Bench",
        "message": "Hello",
        "confirm_conflicts": "on",
        "participants-TOTAL_FORMS": 1,
        "participants-INITIAL_FORMS": 1 if participant_id else 0,
        "participants-0-name": "Client",
        "participants-0-channel": "email",
        "participants-0-email": "client@bench.example",
        "participants-0-language": "nl",
    }
    if sequence is not None:
        data["sequence"] = sequence
        data["participants-0-participant_id"] = participant_id
    return data


def booked(response):
    # A series form answered with 200 showed its dates again instead of booking: that is not the timing wanted.
    assert response.status_code == 302, response.context and response.context.get("preview")
    return response


def series_data(team, agent, day, frequency: str, count: int) -> dict:
    """A series booking as the form posts it once the assistant has seen the dates."""
    from scheduling.forms import RecurrenceForm
    from scheduling.recurrence import Pattern

    data = booking_data(team, agent, day)
    tz = team.organisation.tzinfo
    start = datetime(day.year, day.month, day.day, 7, 0, tzinfo=tz)
    pattern = Pattern(frequency, count=count)
    fingerprint = RecurrenceForm.fingerprint(
        pattern=pattern, start=start, end=start + timedelta(minutes=20), agent_id=agent.pk
    )
    data.update(
        {
            "repeat-repeat": "on",
            "repeat-frequency": frequency,
            "repeat-interval": 1,
            "repeat-ends": "count",
            "repeat-count": count,
            "repeat-preview_of": fingerprint,
        }
    )
    return data


def run_pages(org, teams, agents, assistant, repeat: int) -> list[tuple[str, int, float, float]]:
    from notifications.models import ReminderRule
    from scheduling.models import Appointment

    ReminderRule.objects.get_or_create(organisation=org, agent=None, amount=1, unit="days")
    client = Client()
    client.force_login(assistant)
    team, agent = teams[0], agents[0]
    tomorrow = timezone.localdate(timezone=org.tzinfo) + timedelta(days=1)
    # Single consults: the series booked by an earlier size have pages of their own below.
    future = Appointment.objects.filter(
        team=team, start__gt=timezone.now(), status="scheduled", series__isnull=True
    ).order_by("-start")
    to_edit = list(future.prefetch_related("participants")[:repeat])
    to_cancel = list(future[repeat : repeat * 2])
    create_url = reverse("scheduling:appointment-create")
    results = []
    consult = future.first()
    pages = [
        ("dashboard", lambda i: client.get(reverse("scheduling:dashboard"))),
        ("consult page", lambda i: client.get(reverse("scheduling:appointment-detail", args=[consult.public_id]))),
        ("agenda", lambda i: client.get(reverse("scheduling:agenda"), {"date": tomorrow.isoformat()})),
        ("booking form GET", lambda i: client.get(create_url)),
        ("booking POST", lambda i: client.post(create_url, booking_data(team, agent, tomorrow + timedelta(days=i)))),
        (
            "edit POST",
            lambda i: client.post(
                reverse("scheduling:appointment-edit", args=[to_edit[i].public_id]),
                booking_data(
                    team,
                    to_edit[i].agent,
                    tomorrow + timedelta(days=400 + i),
                    to_edit[i].sequence,
                    to_edit[i].participants.all()[0].pk,
                ),
            ),
        ),
        ("cancel POST", lambda i: client.post(reverse("scheduling:appointment-cancel", args=[to_cancel[i].public_id]))),
        (
            "series 10 POST",
            lambda i: booked(
                client.post(create_url, series_data(team, agent, tomorrow + timedelta(days=i), "WEEKLY", 10))
            ),
        ),
        (
            "series 200 POST",
            lambda i: booked(
                client.post(create_url, series_data(team, agent, tomorrow + timedelta(days=i), "DAILY", 200))
            ),
        ),
    ]
    for name, request in pages:
        results.append((name, *measure(client, repeat, request)))
    return results


def serve_pages(team, assistant, duration: int) -> list[dict]:
    """The most-used pages of the largest size under gunicorn and uvicorn, loaded with wrk."""
    from bench.server import measure_servers
    from scheduling.models import Appointment

    client = Client()
    client.force_login(assistant)
    consult = Appointment.objects.filter(team=team, start__gt=timezone.now(), status="scheduled").first()
    pages = {
        "booking form GET": reverse("scheduling:appointment-create"),
        "consult page": reverse("scheduling:appointment-detail", args=[consult.public_id]),
        "dashboard": reverse("scheduling:dashboard"),
    }
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    rows = measure_servers(pages, cookie=cookie, secret_key=settings.SECRET_KEY, duration=duration)
    print(f"\n{'server (2 workers, wrk -c4)':<28} {'page':<17} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'non-2xx':>7}")
    for row in rows:
        print(
            f"{row['server']:<28} {row['page']:<17} {row['req_per_s']:>7.1f} {row.get('p50_ms', 0):>7.1f} "
            f"{row.get('p99_ms', 0):>7.1f} {row['non_2xx']:>7}"
        )
    return rows


def compare_with_peer(ours: dict, served: list[dict], python: str, duration: int) -> None:
    """The issue's goals side by side: booking form throughput, consult page time, overview time."""
    from bench.server import measure_peer

    peer = measure_peer(python, duration=duration)
    booking = peer["booking_page:gunicorn"]
    detail = peer["appointment_detail:inproc"]
    our_booking = next(r for r in served if r["server"] == "gunicorn" and r["page"] == "booking form GET")
    our_detail = ours.get((10_000, "consult page"))
    overview = ours.get((100_000, "dashboard"))
    print("\nSide by side with django-appointment 3.12.0 (same machine, same run):")
    print(f"{'measure':<58} {'ours':>9} {'peer':>9} {'ratio':>7}")
    booking_ratio = our_booking["req_per_s"] / booking["req_per_s"]
    print(
        f"{'booking form GET, gunicorn 2 sync workers, req/s':<58} {our_booking['req_per_s']:>9.1f} "
        f"{booking['req_per_s']:>9.1f} {booking_ratio:>6.2f}x"
    )
    if our_detail is not None:
        print(
            f"{'consult page at 10,000, in-process median ms':<58} {our_detail:>9.2f} "
            f"{detail['median_ms']:>9.2f} {our_detail / detail['median_ms']:>6.2f}x"
        )
    if overview is not None:
        print(f"{'overview at 100,000, in-process median ms (goal <= 50)':<58} {overview:>9.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=30, help="requests per page and size")
    parser.add_argument(
        "--server", action="store_true", help="also serve the largest size by gunicorn and uvicorn and load it with wrk"
    )
    parser.add_argument(
        "--peer",
        metavar="PYTHON",
        nargs="?",
        const="/tmp/peer-da/bin/python",  # noqa: S108 - where the peer's setup.sh puts its venv
        help="also run the peer harness (django-appointment) in this run and print the ratios",
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds of wrk load per page")
    args = parser.parse_args()

    # No test environment: it instruments every template render, which the pages would pay for here and
    # not in production (nor does the peer harness). The test client's host only has to be allowed.
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    create_scratch_database(Path(tempfile.mkdtemp(prefix="bench-")))
    # The web request only queues its messages and its video room; the worker sends and makes them
    # (bench/notifications.py times that). The test settings run tasks eagerly, which would put every
    # email, SMS and room inside the request.
    from notifications import planning
    from videoproviders import services as video_services

    planning.enqueue_sending = lambda ids: None
    video_services._queue = lambda task_name, ids: None
    try:
        org, teams, agents, assistant = build_organisation()
        print(f"Database: {connection.vendor}; {AGENTS} agents in {TEAMS} teams; assistant of one team")
        print(f"{'consults':>9}  {'page':<17} {'queries':>7} {'median ms':>10} {'p95 ms':>8}")
        filled, ours = 0, {}
        for size in sorted(args.sizes):
            began = time.perf_counter()
            fill(org, teams, agents, assistant, filled, size - filled)
            filled = size
            print(f"{'':>9}  (filled to {size:,} in {time.perf_counter() - began:.1f} s)")
            for name, queries, median, p95 in run_pages(org, teams, agents, assistant, args.repeat):
                print(f"{size:>9,}  {name:<17} {queries:>7} {median:>10.1f} {p95:>8.1f}")
                ours[(size, name)] = median
        served = serve_pages(teams[0], assistant, args.duration) if args.server or args.peer else []
        if args.peer:
            compare_with_peer(ours, served, args.peer, args.duration)
    finally:
        drop_scratch_database()


if __name__ == "__main__":
    main()
