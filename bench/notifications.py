"""Outbox benchmark: how fast a real Celery worker sends queued SMS, and what one reminder sweep costs.

Queues 10,000 SMS reminders and times their dispatch through a Celery worker process (prefork) on Redis,
next to 10,000 empty tasks on the same broker and worker; then times the sweep over 100,000 scheduled
reminders of which 500 are due, and shows the query plan of its "due" query. Runs on a scratch SQLite file,
or on PostgreSQL when DATABASE_URL is set (the scratch database test_<name> is created and dropped).

    .venv/bin/python bench/notifications.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/videoconsult_bench .venv/bin/python bench/notifications.py
    .venv/bin/python bench/notifications.py --count 500 --sweep-rows 5000

Needs Redis on 127.0.0.1:6379 for the worker part (database 14 is flushed); without it only the sweep runs.
SMS go to the in-memory backend inside the worker, so completion is read from the rows' status.
"""

import argparse
import contextlib
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
REDIS_URL = "redis://127.0.0.1:6379/14"  # a database of its own, flushed before and after
SCRATCH = Path(tempfile.mkdtemp(prefix="bench-"))
# The base settings, as the worker uses: the test settings would run every task eagerly in this process.
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
os.environ["REDIS_URL"] = REDIS_URL
os.environ.setdefault("DATABASE_URL", f"sqlite:///{SCRATCH / 'bench.sqlite3'}")

import django  # noqa: E402

django.setup()

import redis  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.scratch import create_scratch_database, drop_scratch_database, scratch_database_url  # noqa: E402
from config.celery import app as celery_app  # noqa: E402
from notifications import services  # noqa: E402
from notifications.models import DeliveryStatus, MessageChannel, Notification, Purpose  # noqa: E402
from notifications.tasks import send_notification_task  # noqa: E402

PHONE = "+31612345678"
INDEX = "notification_status_due"
DONE = (DeliveryStatus.SENT, DeliveryStatus.FAILED, DeliveryStatus.CANCELLED)


def build_consult():
    from accounts.models import Organisation, Team, User
    from scheduling.models import Appointment, Participant

    org = Organisation.objects.create(name="Bench practice", default_message_nl="Welcome")
    team = Team.objects.create(organisation=org, name="Team")
    agent = User.objects.create_user(email="agent@bench.example", full_name="Agent", organisation=org)
    # In the future: a reminder for a consult that has started is not sent (too_late).
    start = timezone.now() + timedelta(days=2)
    appointment = Appointment.objects.create(
        organisation=org,
        team=team,
        agent=agent,
        booked_by=agent,
        start=start,
        end=start + timedelta(minutes=20),
        subject="Bench",
        message="Hello",
    )
    participant = Participant.objects.create(appointment=appointment, name="Client", channel="sms", phone=PHONE)
    return appointment, participant


def add_reminders(appointment, participant, prefix: str, count: int, status: str, send_after) -> None:
    """Bulk rows in the shape the services write; send_after(i) gives row i its time."""
    queued_at = timezone.now() if status == DeliveryStatus.QUEUED else None
    same = {"appointment": appointment, "participant": participant, "organisation_id": appointment.organisation_id}
    same |= {"purpose": Purpose.REMINDER, "channel": MessageChannel.SMS, "to": PHONE, "status": status}
    for offset in range(0, count, 5000):
        Notification.objects.bulk_create(
            Notification(**same, dedupe_key=f"{prefix}:{i}", send_after=send_after(i), queued_at=queued_at)
            for i in range(offset, min(offset + 5000, count))
        )


def wait_until(progress, target: int, worker: subprocess.Popen, stall: float = 60.0) -> float:
    """Poll progress() until it reaches target; return the moment it first did. Gives up when stuck."""
    last, last_change = -1, time.perf_counter()
    while True:
        now, value = time.perf_counter(), progress()
        if value >= target:
            return now
        if worker.poll() is not None:
            raise RuntimeError(f"the worker exited (code {worker.returncode}) at {value} of {target}")
        if value != last:
            last, last_change = value, now
        elif now - last_change > stall:
            raise RuntimeError(f"stuck at {value} of {target} for {stall:.0f} s")
        time.sleep(0.05)  # coarse enough not to compete with the worker for CPU


def broker_drained(client: redis.Redis) -> int:
    """1 when no task is waiting or running, else 0.

    Tasks ignore their results, so the broker is the witness: with acks_late (the project's default) a
    message leaves the queue list for kombu's `unacked` hash when a worker takes it, and leaves that hash
    only once the task has finished. Between the two there is a sub-millisecond window where a message is
    in neither, so both must be empty on two polls in a row.
    """
    for attempt in range(2):
        if client.llen("celery") or client.hlen("unacked"):
            return 0
        if attempt == 0:
            time.sleep(0.005)
    return 1


def start_worker(concurrency: int, log_path: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": scratch_database_url(),
        "REDIS_URL": REDIS_URL,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "SMS_BACKEND": "notifications.sms.locmem.LocmemBackend",
        "TWILIO_ACCOUNT_SID": "",  # Twilio settings would override SMS_BACKEND
        "LOG_LEVEL": "WARNING",  # a log line per task would be measured too
    }
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=prefork", f"-c{concurrency}"]
    command += ["--loglevel=WARNING", "--without-heartbeat", "--without-gossip", "--without-mingle"]
    with open(log_path, "w") as log:
        # A session of its own, so that stopping it can reach the pool processes too.
        worker = subprocess.Popen(  # noqa: S603
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + 60
    while not celery_app.control.ping(timeout=0.5):
        if worker.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the Celery worker did not start:\n{log_path.read_text()[-3000:]}")
    return worker


def stop_worker(worker: subprocess.Popen) -> None:
    worker.terminate()  # warm shutdown: finishes running tasks, then ends the pool
    with contextlib.suppress(subprocess.TimeoutExpired):
        worker.wait(timeout=30)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(worker.pid, signal.SIGKILL)  # whatever of its session is left
    worker.wait()


def run_worker_part(appointment, participant, count: int, concurrency: int) -> list[tuple]:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    client.flushdb()
    add_reminders(appointment, participant, "bench", count, DeliveryStatus.QUEUED, lambda i: timezone.now())
    ids = list(Notification.objects.filter(status=DeliveryStatus.QUEUED).values_list("pk", flat=True))
    noop = celery_app.tasks["celery.accumulate"]  # a built-in task that returns its (empty) arguments
    worker = start_worker(concurrency, SCRATCH / "worker.log")
    try:
        # Warm up the pool processes and the broker connections before anything is timed.
        for _ in range(200):
            noop.delay()
        wait_until(lambda: broker_drained(client), 1, worker)
        results = []
        began = time.perf_counter()
        for _ in range(count):
            noop.delay()
        enqueued = time.perf_counter()
        finished = wait_until(lambda: broker_drained(client), 1, worker)
        results.append(("empty task (celery.accumulate)", count, enqueued - began, finished - began))

        began = time.perf_counter()
        for pk in ids:
            send_notification_task.delay(pk)
        enqueued = time.perf_counter()
        finished = wait_until(lambda: Notification.objects.filter(status__in=DONE).count(), count, worker)
        results.append(("send SMS (locmem backend)", count, enqueued - began, finished - began))
        sent = Notification.objects.filter(status=DeliveryStatus.SENT).count()
        if sent != count:
            raise RuntimeError(f"only {sent} of {count} rows were sent")
        return results
    except Exception:
        print((SCRATCH / "worker.log").read_text()[-3000:], file=sys.stderr)
        raise
    finally:
        stop_worker(worker)
        client.flushdb()


def run_sweep_part(appointment, participant, rows: int, due: int, repeat: int) -> tuple[list[float], str]:
    base = timezone.now()

    def send_after(i: int):
        # Due rows just past; the rest over the next 30 days, from an hour out so none falls due meanwhile.
        return base - timedelta(seconds=i + 1) if i < due else base + timedelta(hours=1, days=30 * i / rows)

    add_reminders(appointment, participant, "sweep", rows, DeliveryStatus.SCHEDULED, send_after)
    if connection.vendor == "postgresql":
        # A live PostgreSQL has planner statistics from autovacuum; a freshly filled one has none yet.
        # SQLite only has them after an explicit ANALYZE, which the project never runs.
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {Notification._meta.db_table}")
    timings = []
    # No broker here: only the database work of the sweep is timed.
    with mock.patch.object(services, "_enqueue"):
        for _ in range(repeat):
            began = time.perf_counter()
            result = services.sweep()
            timings.append((time.perf_counter() - began) * 1000)
            assert result.due == min(due, 1000), result
            Notification.objects.filter(status=DeliveryStatus.QUEUED).update(
                status=DeliveryStatus.SCHEDULED, queued_at=None
            )
    plan = (
        Notification.objects.filter(status="scheduled", send_after__lte=timezone.now())
        .order_by("send_after")
        .values_list("pk", flat=True)[:1000]
        .explain()
    )
    return timings, plan


def redis_reachable() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000, help="SMS and empty tasks through the worker")
    parser.add_argument("--sweep-rows", type=int, default=100_000, help="scheduled reminders for the sweep")
    parser.add_argument("--due", type=int, default=500, help="of which due now")
    parser.add_argument("--concurrency", type=int, default=4, help="worker pool processes")
    parser.add_argument("--repeat", type=int, default=7, help="sweep runs (the median is shown)")
    args = parser.parse_args()

    create_scratch_database(SCRATCH)
    try:
        appointment, participant = build_consult()
        conn_max_age = connection.settings_dict["CONN_MAX_AGE"]
        print(f"Database: {connection.vendor}; CONN_MAX_AGE={conn_max_age}; {os.cpu_count()} CPUs")
        if redis_reachable():
            print(f"Worker: celery prefork, concurrency {args.concurrency}, broker {REDIS_URL}")
            results = run_worker_part(appointment, participant, args.count, args.concurrency)
            print(f"{'task':<31} {'count':>7} {'enqueue s':>10} {'all done s':>11} {'tasks/s':>8}")
            for name, count, enqueue, total in results:
                print(f"{name:<31} {count:>7,} {enqueue:>10.2f} {total:>11.2f} {count / total:>8,.0f}")
        else:
            print(f"Redis not reachable at {REDIS_URL}: worker part skipped")

        timings, plan = run_sweep_part(appointment, participant, args.sweep_rows, args.due, args.repeat)
        print(
            f"sweep over {args.sweep_rows:,} scheduled rows, {args.due:,} due: median {statistics.median(timings):.1f}"
            f" ms, min {min(timings):.1f}, max {max(timings):.1f} ({args.repeat} runs)"
        )
        print("plan of the due query:")
        print("\n".join(f"    {line}" for line in plan.splitlines()))
        used = INDEX in plan
        print(f"index {INDEX} used: {'yes' if used else 'NO'}")
    finally:
        connection.close()
        drop_scratch_database()
        shutil.rmtree(SCRATCH, ignore_errors=True)
    sys.exit(0 if used else 1)


if __name__ == "__main__":
    main()
