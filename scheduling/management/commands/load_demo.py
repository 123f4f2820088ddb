"""Demo data for trying the product: an organisation, two teams, an assistant, three agents, consults and a
weekly series.

Safe to run again: people and teams are created once, and consults are added for today and tomorrow
only when those days have none yet (so `make run` on a later day gets fresh consults).
"""

from datetime import datetime, time, timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, Organisation, Role, Team, User
from notifications.models import OffsetUnit, ReminderChannel, ReminderRule
from scheduling.models import Appointment, Channel, Series
from scheduling.recurrence import Frequency, Pattern
from scheduling.series import book_series
from scheduling.services import ParticipantInput, book_appointment

DEMO_PASSWORD = "demo-consult-2026"  # noqa: S105 - printed for trying the demo, never used elsewhere
ORGANISATION = "Praktijk De Linde"
ASSISTANT = ("assistent@example.com", "Anna de Vries")
ADMIN = ("beheer@example.com", "Bram Jansen")
AGENTS = [
    ("arts@example.com", "Dr. Sara Bakker", "Bedrijfsarts"),
    ("psycholoog@example.com", "Mark Visser", "Psychologie"),
    ("fysio@example.com", "Lotte Smit", "Bedrijfsarts"),
]
# (hour, minute, duration in minutes, agent index, subject, client, channel)
CONSULTS = [
    (9, 0, 30, 0, "Spreekuur verzuim", "Jan Peters", Channel.EMAIL),
    (10, 30, 45, 1, "Intake", "Fatima El Amrani", Channel.SMS),
    (11, 15, 20, 2, "Terugkoppeling", "Peter de Boer", Channel.LINK),
    (13, 0, 30, 0, "Re-integratiegesprek", "Eva Mulder", Channel.EMAIL),
    (14, 30, 60, 1, "Vervolggesprek", "Kees Hendriks", Channel.EMAIL),
    (16, 0, 15, 2, "Korte check-in", "Noor Yilmaz", Channel.SMS),
]


class Command(BaseCommand):
    help = "Create or refresh the demo organisation, its people and consults for today and tomorrow."

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        organisation, _ = Organisation.objects.get_or_create(
            name=ORGANISATION,
            defaults={
                "sender_name": ORGANISATION,
                "primary_colour": "#1f6f78",
                "contact_email": "info@example.com",
                "contact_phone": "020 123 4567",
                # No greeting or closing: every message adds its own, once.
                "default_message_nl": (
                    "Fijn dat u kunt komen. Zoek een rustige plek en houd uw verzekeringspas bij de hand; u hoeft "
                    "niets te installeren."
                ),
                "default_message_en": (
                    "We look forward to seeing you. Find a quiet spot and keep your insurance card at hand; you need "
                    "not install anything."
                ),
            },
        )
        # Reminders a day and a quarter of an hour before, each by the participant's own channel.
        for amount, unit in ((24, OffsetUnit.HOURS), (15, OffsetUnit.MINUTES)):
            ReminderRule.objects.get_or_create(
                organisation=organisation, agent=None, amount=amount, unit=unit, channel=ReminderChannel.OWN
            )
        teams = {
            name: Team.objects.get_or_create(organisation=organisation, name=name)[0]
            for name in ("Bedrijfsarts", "Psychologie")
        }
        assistant = self._user(organisation, *ASSISTANT)
        for team in teams.values():
            Membership.objects.get_or_create(user=assistant, team=team, role=Role.ASSISTANT)
        admin = self._user(organisation, *ADMIN)
        Membership.objects.get_or_create(user=admin, team=None, role=Role.ADMIN)
        agents = []
        for email, name, team_name in AGENTS:
            agent = self._user(organisation, email, name)
            Membership.objects.get_or_create(user=agent, team=teams[team_name], role=Role.AGENT)
            agents.append((agent, teams[team_name]))

        tz = organisation.tzinfo
        today = timezone.localdate(timezone=tz)
        created = 0
        for day in (today, today + timedelta(days=1)):
            day_start = datetime.combine(day, time.min, tzinfo=tz)
            if Appointment.objects.filter(
                organisation=organisation, start__gte=day_start, start__lt=day_start + timedelta(days=1)
            ).exists():
                continue
            for number, (hour, minute, minutes, agent_index, subject, client, channel) in enumerate(CONSULTS):
                start = self._slot(day, time(hour, minute), number, tz)
                if start is None:
                    continue
                agent, team = agents[agent_index]
                book_appointment(
                    booked_by=assistant,
                    team=team,
                    agent=agent,
                    start=start,
                    end=start + timedelta(minutes=minutes),
                    subject=subject,
                    message=organisation.default_message_nl,
                    participants=[self._participant(client, channel)],
                    allow_conflicts=True,
                )
                created += 1

        # A weekly series from tomorrow, so the agenda shows one; booked once.
        if not Series.objects.filter(organisation=organisation, occurrences__start__gt=timezone.now()).exists():
            agent, team = agents[1]
            start = datetime.combine(today + timedelta(days=1), time(8, 30), tzinfo=tz)
            book_series(
                booked_by=assistant,
                team=team,
                agent=agent,
                start=start,
                end=start + timedelta(minutes=45),
                subject="Begeleiding",
                message=organisation.default_message_nl,
                participants=[self._participant("Sanne de Wit", Channel.EMAIL)],
                pattern=Pattern(Frequency.WEEKLY, count=8),
                allow_conflicts=True,
            )
            created += 8

        self.stdout.write(self.style.SUCCESS(f"Demo data ready ({created} new consults)."))
        self.stdout.write(f"  Assistant: {ASSISTANT[0]} / {DEMO_PASSWORD}")
        self.stdout.write(f"  Agent:     {AGENTS[0][0]} / {DEMO_PASSWORD}")
        self.stdout.write(f"  Admin:     {ADMIN[0]} / {DEMO_PASSWORD} (also /admin/)")

    def _slot(self, day, at: time, number: int, tz) -> datetime | None:
        """The consult's time, or, for slots already past today, a time later today so the demo has a day."""
        start = datetime.combine(day, at, tzinfo=tz)
        now = timezone.now().astimezone(tz)
        if start > now:
            return start
        now = now.replace(second=0, microsecond=0)
        next_quarter = now + timedelta(minutes=15 - now.minute % 15)
        start = next_quarter + timedelta(minutes=20 * number)
        return start if start.date() == day and start.hour < 23 else None

    def _user(self, organisation: Organisation, email: str, name: str) -> User:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(
                email=email, password=DEMO_PASSWORD, full_name=name, organisation=organisation
            )
        return user

    def _participant(self, name: str, channel: str) -> ParticipantInput:
        slug = name.lower().replace(" ", ".")
        return ParticipantInput(
            name=name,
            channel=channel,
            language="nl",
            email=f"{slug}@example.com" if channel == Channel.EMAIL else "",
            phone="06 12345678" if channel == Channel.SMS else "",
        )
