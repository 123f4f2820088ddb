"""A production that would only print its messages: nothing reaches anyone, and the console backends write
clients' addresses, numbers and links to the log, past the log's redaction."""

from django.conf import settings
from django.core.checks import Tags, register
from django.core.checks import Warning as CheckWarning

PRINTING_EMAIL_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
    "notifications.console.ConsoleEmailBackend",
}
PRINTING_SMS_BACKENDS = {"notifications.sms.console.ConsoleBackend"}


@register(Tags.security, deploy=True)
def messages_are_sent(app_configs, **kwargs) -> list[CheckWarning]:
    warnings = []
    if settings.EMAIL_BACKEND in PRINTING_EMAIL_BACKENDS:
        warnings.append(
            CheckWarning(
                "Email is only printed (neither EMAIL_URL nor EMAIL_SERVICE is set): invitations reach nobody, and "
                "clients' email "
                "addresses and join links end up in the log.",
                hint="Set EMAIL_URL to your SMTP server, e.g. smtp+tls://user:password@smtp.example.nl:587, or "
                "EMAIL_SERVICE and its variables for a transactional email service (README, Configure it).",
                id="notifications.W001",
            )
        )
    if settings.SMS_BACKEND.get("BACKEND") in PRINTING_SMS_BACKENDS:
        warnings.append(
            CheckWarning(
                "SMS are only printed (TWILIO_ACCOUNT_SID is not set): clients invited by SMS get nothing, and "
                "their mobile numbers and join links end up in the log.",
                hint="Set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER (or a messaging service).",
                id="notifications.W002",
            )
        )
    return warnings
