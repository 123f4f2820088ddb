import pytest

from scheduling.models import Channel


@pytest.fixture
def form_data(team, agent, tomorrow_at):
    """A valid POST; each test spoils one thing."""

    def make(participants=None, **overrides):
        start = tomorrow_at(10)
        data = {
            "date": start.strftime("%Y-%m-%d"),
            "start_time": "10:00",
            "end_time": "10:30",
            "team": str(team.pk),
            "agent": str(agent.pk),
            "subject": "Intake",
            "message": "Welcome",
            "sequence": "",
        }
        rows = participants if participants is not None else [{"name": "Jan Peters", "email": "jan@example.org"}]
        data.update(
            {
                "participants-TOTAL_FORMS": str(len(rows) or 1),
                "participants-INITIAL_FORMS": "0",
                "participants-MIN_NUM_FORMS": "1",
                "participants-MAX_NUM_FORMS": "10",
            }
        )
        for i, row in enumerate(rows):
            values = {"channel": Channel.EMAIL, "language": "nl", "email": "", "phone": "", "name": ""}
            values.update(row)
            data.update({f"participants-{i}-{key}": value for key, value in values.items()})
        data.update(overrides)
        return data

    return make
