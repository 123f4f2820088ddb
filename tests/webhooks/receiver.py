"""A webhook receiver on 127.0.0.1, as an integrator would write one: it checks every request's signature
with the algorithm the README documents, and answers with the statuses a test gives it."""

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOLERANCE_SECONDS = 300


def verify(*, secret: str, header: str, body: bytes, now: float | None = None) -> bool:
    """The README's example: HMAC-SHA256 of "<t>.<raw body>", compared in constant time, t within 5 minutes."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    fresh = abs((now or time.time()) - timestamp) <= TOLERANCE_SECONDS
    return fresh and hmac.compare_digest(expected, parts.get("v1", ""))


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    verified: bool

    @property
    def event(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    secret: str = ""
    # Statuses to answer, in turn; 200 once they are used up.
    answers: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)

    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                verified = verify(
                    secret=receiver.secret, header=self.headers.get("Videoconsult-Signature", ""), body=body
                )
                receiver.received.append(Received(dict(self.headers.items()), body, verified))
                status = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if status < 300 else f"refused with {status}".encode())

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/hooks/videoconsult"

    def events(self, event_type: str | None = None) -> list[dict]:
        return [r.event for r in self.received if event_type is None or r.event["type"] == event_type]
