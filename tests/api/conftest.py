import json

import pytest

from api.keys import create_key


@pytest.fixture
def make_key(db):
    """make_key(user, scope="write", name=...) -> the full key, made as the admin does."""

    def make(user, scope: str = "write", name: str = "Practice system") -> str:
        return create_key(name=name, user=user, scope=scope, created_by=user).key

    return make


class ApiClient:
    """The test client speaking JSON with a bearer key, as an integration does."""

    def __init__(self, client, key: str | None) -> None:
        self.client, self.key = client, key

    def headers(self, extra: dict) -> dict:
        headers = {"HTTP_AUTHORIZATION": f"Bearer {self.key}"} if self.key else {}
        return {**headers, **extra}

    def get(self, path: str, data: dict | None = None, **extra):
        return self.client.get(f"/api/v1{path}", data, **self.headers(extra))

    def send(self, method: str, path: str, body: dict, **extra):
        call = getattr(self.client, method)
        return call(
            f"/api/v1{path}", json.dumps(body, default=str), content_type="application/json", **self.headers(extra)
        )

    def post(self, path: str, body: dict, **extra):
        return self.send("post", path, body, **extra)

    def put(self, path: str, body: dict, **extra):
        return self.send("put", path, body, **extra)


@pytest.fixture
def api_as(client, make_key):
    """api_as(user, scope="write"): a JSON client with a new key that acts as the user; api_as(None): no key."""

    def make(user, scope: str = "write") -> ApiClient:
        return ApiClient(client, make_key(user, scope) if user is not None else None)

    return make


@pytest.fixture
def booking(team, agent, tomorrow_at):
    """A booking's body as the booking form's fields, for tomorrow 10:00-10:30."""

    def make(**changes) -> dict:
        body = {
            "team": team.name,
            "agent": agent.email,
            "start": tomorrow_at(10).isoformat(),
            "end": tomorrow_at(10, 30).isoformat(),
            "subject": "Intake",
            "message": "Please have your insurance card ready.",
            "participants": [{"name": "Chris Client", "channel": "email", "email": "chris@example.org"}],
        }
        return body | changes

    return make
