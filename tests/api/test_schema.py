"""Schemathesis against the API's own OpenAPI schema, in-process through the WSGI application with a real
key (write scope, acting as an assistant): whatever it sends, no server error, and every answer matches the
schema the API publishes. Few examples per operation, so that it runs in seconds."""

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from api.keys import create_key
from api.site import api
from tests.factories import ReminderRuleFactory

# The schema as /api/v1/openapi.json serves it (tests/api/test_docs.py checks that it does), built without a
# request: schemathesis's lazy fixture loader does not work with this pytest.
schema = schemathesis.openapi.from_dict(json.loads(json.dumps(api.get_openapi_schema(path_params={}))))
schema.app = get_wsgi_application()


@pytest.fixture
def key(assistant, agent, book, settings):
    # Examples do not run into the rate limit (tests/api/test_rate_limit.py has it), and there is something
    # to read and a reminder rule to book a series with.
    settings.API_RATE_LIMIT = 100_000
    ReminderRuleFactory(organisation=assistant.organisation)
    book()
    return create_key(name="Schemathesis", user=assistant, scope="write", created_by=assistant).key


@pytest.fixture
def in_test_transaction(db):
    # As Django's own test client does: the test's transaction holds the connection, which the start and end
    # of each request would otherwise close.
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_keeps_to_its_schema(case, key, in_test_transaction):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {key}"},
        checks=[not_a_server_error, response_schema_conformance],
    )
