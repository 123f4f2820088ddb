"""The signature as a receiver checks it with the README's example: right secret, untouched body, fresh
time; and for a day after a roll, the old secret as well."""

import inspect
import time
from datetime import timedelta
from pathlib import Path

from django.utils import timezone

from webhooks.models import Delivery, Endpoint
from webhooks.sending import send_delivery
from webhooks.services import roll_secret
from webhooks.signing import signature_header

from . import receiver as receiver_module
from .receiver import verify

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_example_is_the_receivers_check():
    source = inspect.getsource(receiver_module.verify)
    body = source.split('"""', 2)[2]  # the same code under another docstring
    assert body.strip() in README.read_text()


def test_a_signature_holds_only_for_its_secret_body_and_time():
    body = b'{"id":"1"}'
    now = int(time.time())
    header = signature_header(secrets=["whsec_a"], timestamp=now, body=body)
    assert verify(secret="whsec_a", header=header, body=body)
    assert not verify(secret="whsec_b", header=header, body=body)
    assert not verify(secret="whsec_a", header=header, body=b'{"id":"2"}')
    stale = signature_header(secrets=["whsec_a"], timestamp=now - 301, body=body)
    assert not verify(secret="whsec_a", header=stale, body=body)


def test_after_a_roll_both_secrets_verify_for_a_day(book, endpoint, receiver):
    old = endpoint.secret
    new = roll_secret(endpoint=endpoint)
    book(send=False)
    delivery = Delivery.objects.get()
    send_delivery(delivery_id=delivery.pk)
    (request,) = receiver.received
    header = request.headers["Videoconsult-Signature"]
    assert header.count("v1=") == 2
    assert verify(secret=new, header=header, body=request.body)
    assert verify(secret=old, header=header, body=request.body)
    # A day later only the new secret signs.
    Endpoint.objects.filter(pk=endpoint.pk).update(previous_secret_expires_at=timezone.now() - timedelta(seconds=1))
    Delivery.objects.filter(pk=delivery.pk).update(status="pending", next_attempt_at=timezone.now())
    send_delivery(delivery_id=delivery.pk)
    header = receiver.received[1].headers["Videoconsult-Signature"]
    assert header.count("v1=") == 1
    assert verify(secret=new, header=header, body=receiver.received[1].body)
    assert not verify(secret=old, header=header, body=receiver.received[1].body)
