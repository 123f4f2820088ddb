"""The booking in README's "Use the API" works as written (with this test's team, agent and a date ahead)."""

import json
import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def _readme_booking() -> dict:
    section = README.read_text().split("## Use the API", 1)[1].split("\n## ", 1)[0]
    body = re.search(r"-d '(\{.*?\})'", section, re.DOTALL)
    assert body, "no booking example in README's Use the API"
    return json.loads(body.group(1))


def test_the_readme_booking_example_books(assistant, api_as, team, agent, tomorrow_at):
    body = _readme_booking()
    assert set(body) == {"team", "agent", "start", "end", "subject", "message", "participants"}
    body |= {
        "team": team.name,
        "agent": agent.email,
        "start": tomorrow_at(10).isoformat(),
        "end": tomorrow_at(10, 30).isoformat(),
    }
    response = api_as(assistant).post("/consults", body)
    assert response.status_code == 201, response.json()
    assert response.json()["participants"][0]["name"] == "Jan Peters"
