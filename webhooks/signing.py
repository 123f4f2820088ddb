"""The signature a receiver checks, in Stripe's scheme: `t=<unix time>,v1=<hex HMAC-SHA256>` of
"<t>.<raw body>" with the endpoint's secret. The time inside the signed text lets a receiver refuse a
request replayed later (README: 5 minutes' tolerance). For a day after a secret is rolled, a second v1
made with the old secret follows, so a receiver that still has the old one keeps accepting requests."""

import hashlib
import hmac

SIGNATURE_HEADER = "Videoconsult-Signature"
EVENT_HEADER = "Videoconsult-Event"
DELIVERY_HEADER = "Videoconsult-Delivery"


def signature(*, secret: str, timestamp: int, body: bytes) -> str:
    signed = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(*, secrets: list[str], timestamp: int, body: bytes) -> str:
    signatures = [f"v1={signature(secret=secret, timestamp=timestamp, body=body)}" for secret in secrets]
    return ",".join([f"t={timestamp}", *signatures])
