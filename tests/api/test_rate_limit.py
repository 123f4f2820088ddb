"""Each key has its own allowance per window; beyond it 429 with Retry-After, and nothing is done."""

from django.test import override_settings

from scheduling.models import Appointment


@override_settings(API_RATE_LIMIT=3, API_RATE_LIMIT_WINDOW_SECONDS=3600)
def test_a_key_beyond_its_allowance_gets_429_with_retry_after_and_others_go_on(assistant, api_as, booking):
    api, other = api_as(assistant), api_as(assistant)
    assert [api.get("/teams").status_code for _ in range(3)] == [200, 200, 200]
    refused = api.post("/consults", booking())
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert not Appointment.objects.exists()
    assert other.get("/teams").status_code == 200


@override_settings(API_RATE_LIMIT=1)
def test_requests_without_a_working_key_do_not_count_against_a_key(assistant, api_as, client):
    api = api_as(assistant)
    for _ in range(3):
        assert client.get("/api/v1/teams", HTTP_AUTHORIZATION="Bearer vc_00000000_nope").status_code == 401
    assert api.get("/teams").status_code == 200
    assert api.get("/teams").status_code == 429
