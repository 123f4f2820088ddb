"""The demo data that `make run` loads: people who can log in, consults for today and tomorrow, a series."""

from io import StringIO

from django.core.management import call_command

from accounts.models import User
from scheduling.models import Appointment, Series


def test_demo_data_loads_once_with_a_weekly_series(db, django_capture_on_commit_callbacks):
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=False):
        call_command("load_demo", stdout=out)
    assert "assistent@example.com / demo-consult-2026" in out.getvalue()
    assert User.objects.get(email="assistent@example.com").check_password("demo-consult-2026")
    (series,) = Series.objects.all()
    assert series.occurrences.count() == 8 and series.rrule == "FREQ=WEEKLY;INTERVAL=1;COUNT=8"
    consults = Appointment.objects.count()
    assert consults > 8
    with django_capture_on_commit_callbacks(execute=False):
        call_command("load_demo", stdout=StringIO())
    assert Appointment.objects.count() == consults and Series.objects.count() == 1
