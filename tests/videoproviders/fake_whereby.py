"""A local stand-in for Whereby's REST API: real HTTP on 127.0.0.1, checked against the official spec.

Every request is matched to a path and method of `whereby-openapi.json` (whereby/docs,
.gitbook/assets/_api-reference-docs-openapi.json), must carry the bearer key, and its JSON body must fit
the operation's schema (with no properties the schema does not name). A request that breaks the contract
is answered 400 and kept in `violations`, which the fixture asserts empty. Answers follow the spec's
Meeting schema; tests queue failures (401, 429 with Retry-After, 5xx, a stall) with `fail_next`.
"""

import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jsonschema

SPEC = json.loads((Path(__file__).parent / "whereby-openapi.json").read_text())
BASE_PATH = "/v1"


def _inline_refs(node, components):
    """The spec's schemas with every $ref replaced by what it points to, for jsonschema."""
    if isinstance(node, dict):
        if "$ref" in node:
            _hash, _components, kind, name = node["$ref"].split("/")
            return _inline_refs(components[kind][name], components)
        return {key: _inline_refs(value, components) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline_refs(item, components) for item in node]
    return node


PATHS = _inline_refs(SPEC["paths"], SPEC["components"])
MEETING_SCHEMA = _inline_refs(SPEC["components"]["schemas"]["Meeting"], SPEC["components"])


def _route(path: str) -> tuple[str, dict] | None:
    for template in PATHS:
        pattern = "^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + "$"
        match = re.match(pattern, path)
        if match:
            return template, match.groupdict()
    return None


def _unknown_properties(schema: dict, body) -> list[str]:
    if not isinstance(body, dict) or "properties" not in schema:
        return []
    unknown = [name for name in body if name not in schema["properties"]]
    for name, value in body.items():
        if name in schema["properties"]:
            unknown += [f"{name}.{sub}" for sub in _unknown_properties(schema["properties"][name], value)]
    return unknown


@dataclass
class Reply:
    status: int
    headers: dict = field(default_factory=dict)
    body: dict | None = None
    delay: float = 0.0


@dataclass
class Received:
    method: str
    path: str
    headers: dict
    body: object


class FakeWhereby:
    def __init__(self, api_key: str = "test-whereby-key", port: int = 0) -> None:
        self.api_key = api_key
        self.meetings: dict[str, dict] = {}
        self.received: list[Received] = []
        self.violations: list[str] = []
        self._replies: list[Reply] = []
        self._ids = iter(range(1000, 10**6))
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}{BASE_PATH}"

    def start(self) -> "FakeWhereby":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail_next(self, status: int, *, headers: dict | None = None, body: dict | None = None, delay: float = 0.0):
        """Answer the next request with this instead of doing what it asks (after `delay` seconds)."""
        self._replies.append(Reply(status, headers or {}, body, delay))

    def calls(self, method: str) -> list[Received]:
        return [r for r in self.received if r.method == method]

    # --- the API ---------------------------------------------------------------------------------------

    def _create(self, body: dict) -> Reply:
        end = datetime.fromisoformat(body["endDate"].replace("Z", "+00:00"))
        if end < datetime.now(UTC):
            return Reply(400, body={"error": "endDate has to be the same or after the current date"})
        meeting_id = str(next(self._ids))
        prefix = body.get("roomNamePrefix", "")
        room_name = f"/{prefix}-{uuid.uuid4()}" if prefix else f"/{uuid.uuid4()}"
        meeting = {
            "meetingId": meeting_id,
            "roomName": room_name,
            "roomUrl": f"https://fake-subdomain.whereby.com{room_name}",
            "startDate": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "endDate": end.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        }
        if "hostRoomUrl" in body.get("fields", []):
            meeting["hostRoomUrl"] = f"{meeting['roomUrl']}?roomKey={uuid.uuid4().hex}"
        jsonschema.validate(meeting, MEETING_SCHEMA)
        self.meetings[meeting_id] = {**meeting, "request": body}
        return Reply(201, body=meeting)

    def _answer(self, method: str, template: str, params: dict, body) -> Reply:
        if (method, template) == ("post", "/meetings"):
            return self._create(body)
        if (method, template) == ("delete", "/meetings/{meetingId}"):
            self.meetings.pop(params["meetingId"], None)  # idempotent: 204 whether it existed or not
            return Reply(204)
        if (method, template) == ("get", "/meetings/{meetingId}"):
            meeting = self.meetings.get(params["meetingId"])
            if meeting is None:
                return Reply(404, body={"error": "The requested resource doesn't exist"})
            return Reply(200, body={k: v for k, v in meeting.items() if k != "request"})
        return Reply(501, body={"error": f"{method.upper()} {template} is not faked"})

    def _violation(self, message: str) -> Reply:
        self.violations.append(message)
        return Reply(400, body={"error": message})

    def handle(self, method: str, raw_path: str, headers: dict, raw_body: bytes) -> Reply:
        body = None
        if raw_body:
            try:
                body = json.loads(raw_body)
            except ValueError:
                body = raw_body.decode(errors="replace")
        with self._lock:
            self.received.append(Received(method.upper(), raw_path, headers, body))
            scripted = self._replies.pop(0) if self._replies else None
        if scripted is not None:
            time.sleep(scripted.delay)
            return scripted
        path = raw_path.split("?")[0]
        if not path.startswith(BASE_PATH):
            return self._violation(f"{path} is not under {BASE_PATH}")
        routed = _route(path[len(BASE_PATH) :])
        if routed is None:
            return self._violation(f"no path {path} in the spec")
        template, params = routed
        operation = PATHS[template].get(method)
        if operation is None:
            return self._violation(f"{method.upper()} is not allowed on {template}")
        if headers.get("authorization") != f"Bearer {self.api_key}":
            return Reply(401, body={"error": "Access token is missing or invalid"})
        request_body = operation.get("requestBody")
        if request_body is not None:
            if not headers.get("content-type", "").startswith("application/json"):
                return self._violation(f"{method.upper()} {template} without a JSON content type")
            schema = request_body["content"]["application/json"]["schema"]
            try:
                jsonschema.validate(body, schema)
            except jsonschema.ValidationError as error:
                return self._violation(f"{method.upper()} {template}: {error.message}")
            unknown = _unknown_properties(schema, body)
            if unknown:
                return self._violation(f"{method.upper()} {template}: properties not in the spec: {unknown}")
        elif body is not None:
            return self._violation(f"{method.upper()} {template} takes no body")
        return self._answer(method, template, params, body)

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                headers = {key.lower(): value for key, value in self.headers.items()}
                reply = fake.handle(self.command.lower(), self.path, headers, raw)
                payload = json.dumps(reply.body).encode() if reply.body is not None else b""
                try:
                    self.send_response(reply.status)
                    for key, value in reply.headers.items():
                        self.send_header(key, value)
                    if payload:
                        self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (the timeout tests)

            do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = _serve

            def log_message(self, format, *args) -> None:
                if __name__ == "__main__":
                    super().log_message(format, *args)

        return Handler


if __name__ == "__main__":
    # Try the Whereby provider without a Whereby account: see "Video rooms" in the README.
    import argparse

    parser = argparse.ArgumentParser(description="A fake Whereby API on 127.0.0.1 for trying the product.")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--api-key", default="try-whereby-key")
    options = parser.parse_args()
    fake = FakeWhereby(api_key=options.api_key, port=options.port)
    print(f"Fake Whereby API at {fake.url} (API key: {options.api_key}). Ctrl+C stops it.", flush=True)
    fake.server.serve_forever()
