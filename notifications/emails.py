"""Email messages: subject, text and HTML from one set of templates, with the calendar invite inline and as
a file. One function renders them all (healthchecks' hc/lib/emails.py is the model)."""

import hashlib
import smtplib
from datetime import datetime
from email.utils import formataddr, parseaddr
from urllib.parse import urlsplit

from anymail.exceptions import AnymailConfigurationError, AnymailError
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from scheduling.models import Series

from .content import Content, affected_sessions, build_content, series_sessions
from .email_service import delivery_error, service_message_id
from .errors import DeliveryError
from .ics import CANCEL, REQUEST, Invite, Texts, build_invite, build_series_cancel, build_series_invite
from .models import NOTICE_PURPOSES, Notification, Purpose, Reason


def message_id(notification: Notification) -> str:
    """The same Message-ID on every attempt for one row, so a resend after a crash is one mail to clients."""
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    digest = hashlib.sha256(notification.dedupe_key.encode()).hexdigest()[:16]
    return f"<notification.{notification.pk}.{digest}@{domain}>"


def _invite(notification: Notification, content: Content, now: datetime) -> Invite | None:
    if notification.purpose == Purpose.REMINDER or notification.purpose in NOTICE_PURPOSES:
        return None
    if notification.purpose in (Purpose.SERIES, Purpose.SERIES_UPDATE):
        return _series_invite(notification, content, now)
    if notification.purpose == Purpose.SERIES_CANCELLATION:
        return _series_cancel(notification, content, now)
    method = CANCEL if notification.purpose == Purpose.CANCELLATION else REQUEST
    with translation.override(content.language):
        description = "\n\n".join(part for part in (content.message, content.introduction, content.link) if part)
    return build_invite(
        appointment=notification.appointment, method=method, texts=_texts(notification, content, description), now=now
    )


def _texts(notification: Notification, content: Content, description: str, url: str | None = None) -> Texts:
    return Texts(
        attendee_name=content.recipient_name,
        attendee_email=notification.to,
        summary=_summary(content),
        description=description,
        url=content.link if url is None else url,
    )


def _summary(content: Content, agent_name: str = "") -> str:
    """The calendar entry's title: the agent's own subject, or for a client who they meet."""
    if content.for_agent:
        return content.consult_subject
    with translation.override(content.language):
        return _("Video consult with %(agent)s") % {"agent": agent_name or content.agent_name}


def _series_description(content: Content) -> str:
    with translation.override(content.language):
        lines = [f"{date} {time} {link}".strip() for date, time, link in content.sessions]
        return "\n\n".join(part for part in (content.message, content.introduction, "\n".join(lines)) if part)


def _series(notification: Notification) -> Series:
    series = notification.appointment.series
    # Only messages about a series (SERIES_PURPOSES) ask for its calendar entries.
    if series is None:
        raise ValueError(f"Message {notification.pk} lists the sessions of a consult outside any series")
    return series


def _series_invite(notification: Notification, content: Content, now: datetime) -> Invite:
    """The series as this recipient has it: sessions they are not on (cancelled, or taken off) are
    excluded, sessions changed since booking are overrides with their own time and link."""
    sessions = series_sessions(notification)
    series = _series(notification)
    texts = _texts(notification, content, _series_description(content))
    overrides = []
    for session in sessions:
        if session.planned and session.appointment.sequence > 0:
            summary = _summary(content, session.appointment.agent.full_name)
            override = Texts(texts.attendee_name, texts.attendee_email, summary, texts.description, session.link)
            overrides.append((session.appointment, override))
    # The rule's own duration: that of a session never changed, if one is left.
    unchanged = next((s.appointment for s in sessions if s.appointment.sequence == 0), sessions[0].appointment)
    return build_series_invite(
        series=series,
        first=unchanged,
        cancelled_starts=[
            start for s in sessions if not s.planned and (start := s.appointment.recurrence_id) is not None
        ],
        overrides=overrides,
        texts=texts,
        now=now,
    )


def _series_cancel(notification: Notification, content: Content, now: datetime) -> Invite:
    sessions = series_sessions(notification)
    gone = [s.appointment for s in affected_sessions(notification)]
    return build_series_cancel(
        series=_series(notification),
        occurrences=gone or [notification.appointment],
        # Nothing of the series is left for this recipient, now or in the past: remove it whole.
        whole=not any(s.planned for s in sessions),
        texts=_texts(notification, content, _series_description(content)),
        now=now,
    )


def render_email(notification: Notification, *, now: datetime) -> EmailMultiAlternatives:
    content = build_content(notification)
    context = {"content": content, "organisation": content.organisation}
    with translation.override(content.language):
        subject = " ".join(render_to_string("notifications/email/subject.txt", context).split())
        text = render_to_string("notifications/email/body.txt", context)
        html = render_to_string("notifications/email/body.html", context)
    sender = formataddr((content.organisation.display_sender, parseaddr(settings.DEFAULT_FROM_EMAIL)[1]))
    organisation = content.organisation
    email = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=sender,
        to=[notification.to],
        reply_to=[organisation.contact_email] if organisation.contact_email else None,
        headers={"Message-ID": message_id(notification), "Auto-Submitted": "auto-generated"},
    )
    email.attach_alternative(html, "text/html")
    invite = _invite(notification, content, now)
    if invite is not None and settings.EMAIL_SERVICE:
        # A service's API takes a text and an HTML body only (anymail refuses a third alternative): the invite
        # goes as a text/calendar attachment with its method, which Outlook and Gmail offer to accept as well.
        email.attach(invite.filename, invite.content, invite.content_type)
    elif invite is not None:
        # Inline text/calendar with the method is what makes Outlook and Gmail show Accept/Decline;
        # the attachment serves clients that only import files.
        email.attach_alternative(invite.content.decode(), invite.content_type)
        email.attach(invite.filename, invite.content, "application/ics")
    return email


def send_email(notification: Notification, *, now: datetime) -> str:
    """Send one email; return the service's message id (its Message-ID by SMTP) or raise DeliveryError."""
    email = render_email(notification, now=now)
    try:
        email.send(fail_silently=False)
    except (AnymailError, AnymailConfigurationError) as error:
        raise delivery_error(error, email) from error
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _message in error.recipients.values()]
        permanent = all(code >= 500 for code in codes)
        raise DeliveryError(
            f"The mail server refused the address: {codes}", permanent=permanent, reason=Reason.MAILBOX_REFUSED
        ) from error
    except smtplib.SMTPAuthenticationError as error:
        raise DeliveryError(
            f"The mail server refused our login ({error.smtp_code}).", permanent=True, reason=Reason.CONFIGURATION
        ) from error
    except smtplib.SMTPResponseException as error:
        raise DeliveryError(
            f"The mail server answered {error.smtp_code}: {error.smtp_error!r}"[:500],
            permanent=error.smtp_code >= 500,
            reason=Reason.MAILBOX_REFUSED,
        ) from error
    except (TimeoutError, smtplib.SMTPException, OSError) as error:
        raise DeliveryError(f"The mail server could not be reached: {error.__class__.__name__}") from error
    # A service's reports name its own id for the message; SMTP has only our Message-ID.
    return service_message_id(email) or message_id(notification)
