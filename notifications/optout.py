"""SMS opt-out: a client who replies STOP gets no SMS from that organisation again (until START). And its email
counterpart: an address whose owner marked an email as spam gets no email from that organisation again.

Twilio's standard keywords are honoured, in any letter case, as the whole reply. The organisation is the
one whose SMS reached the number last: one Twilio number may serve several organisations.
"""

from django.db.models import Q

from accounts.models import Organisation

from .models import EmailComplaint, MessageChannel, Notification, SmsOptOut

STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "STOPPEN", "AFMELDEN"}
START_WORDS = {"START", "UNSTOP", "YES"}


def opted_out_numbers(*, organisation_id: int, phones: list[str]) -> set[str]:
    if not phones:
        return set()
    return set(
        SmsOptOut.objects.filter(organisation_id=organisation_id, phone__in=phones).values_list("phone", flat=True)
    )


def opt_out(*, organisation_id: int, phone: str) -> None:
    SmsOptOut.objects.get_or_create(organisation_id=organisation_id, phone=phone)


def _last_sender(phone: str) -> Organisation | None:
    row = (
        Notification.objects.filter(channel=MessageChannel.SMS, to=phone)
        .filter(Q(sent_at__isnull=False) | Q(provider_message_id__gt=""))
        .order_by("-sent_at", "-pk")
        .select_related("organisation")
        .first()
    )
    return row.organisation if row else None


def record_reply(*, from_number: str, body: str) -> str | None:
    """Act on a reply: 'opted_out', 'opted_in', or None when it is neither or nobody of ours texted them."""
    word = body.strip().upper()
    if word not in STOP_WORDS | START_WORDS:
        return None
    organisation = _last_sender(from_number)
    if organisation is None:
        return None
    if word in STOP_WORDS:
        opt_out(organisation_id=organisation.pk, phone=from_number)
        return "opted_out"
    SmsOptOut.objects.filter(organisation=organisation, phone=from_number).delete()
    return "opted_in"


def complained_addresses(*, organisation_id: int, emails: list[str]) -> set[str]:
    """Those of `emails` (lower case, as the booking stores them) whose owner marked our email as spam."""
    lowered = [email.lower() for email in emails if email]
    if not lowered:
        return set()
    return set(
        EmailComplaint.objects.filter(organisation_id=organisation_id, email__in=lowered).values_list(
            "email", flat=True
        )
    )


def record_complaint(*, organisation_id: int, email: str) -> None:
    EmailComplaint.objects.get_or_create(organisation_id=organisation_id, email=email.lower())
