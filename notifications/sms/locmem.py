"""Keeps sent SMS in memory for tests, as Django's locmem email backend fills mail.outbox.

Tests read `outbox` and may push errors onto `failures`; the next sends raise them in order (a DeliveryError as
a real backend raises, or any other exception, as a backend with a bug would).
"""

from dataclasses import dataclass

from . import SentSms, SmsBackend


@dataclass(frozen=True)
class SmsMessage:
    to: str
    body: str
    status_callback: str | None
    valid_for: int | None


outbox: list[SmsMessage] = []
failures: list[Exception] = []


class LocmemBackend(SmsBackend):
    def send(self, *, to: str, body: str, status_callback: str | None = None, valid_for: int | None = None) -> SentSms:
        if failures:
            raise failures.pop(0)
        outbox.append(SmsMessage(to=to, body=body, status_callback=status_callback, valid_for=valid_for))
        return SentSms(message_id=f"SMlocmem{len(outbox):026d}", status="queued")
