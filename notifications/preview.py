"""The invitation email as a client would receive it, for the admin's preview beside the invitation texts.

It goes through the very code that sends invitations (build_content and the email templates) with a sample
consult tomorrow at 10:00: the rows it needs are written inside a transaction that is rolled back, so the
preview can never drift from what is sent and leaves nothing behind."""

import uuid
from datetime import datetime, time, timedelta

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Organisation, Team, User
from scheduling.models import Appointment, Channel, Participant

from .content import build_content
from .models import Notification, Purpose


def invitation_email_html(*, organisation: Organisation, language: str) -> str:
    """The HTML of the invitation email in `language` for a sample client of this organisation."""
    with translation.override(language), transaction.atomic():
        day = timezone.localdate(timezone=organisation.tzinfo) + timedelta(days=1)
        start = datetime.combine(day, time(10), tzinfo=organisation.tzinfo)
        team = Team.objects.filter(organisation=organisation).first() or Team.objects.create(
            organisation=organisation, name=_("Team")
        )
        agent = User.objects.create(
            email=f"preview-{uuid.uuid4().hex}@invalid.example",
            full_name=_("Dr. Anna Jansen"),
            organisation=organisation,
        )
        appointment = Appointment.objects.create(
            organisation=organisation,
            team=team,
            agent=agent,
            booked_by=agent,
            start=start,
            end=start + timedelta(minutes=20),
            subject=_("Intake"),
            message="",
            uses_default_message=True,
        )
        participant = Participant.objects.create(
            appointment=appointment,
            name="Wim de Groot",
            language=language,
            channel=Channel.EMAIL,
            email="wim@example.org",
        )
        notification = Notification(appointment=appointment, participant=participant, purpose=Purpose.INVITATION)
        content = build_content(notification)
        html = render_to_string("notifications/email/body.html", {"content": content, "organisation": organisation})
        transaction.set_rollback(True)
    return html
