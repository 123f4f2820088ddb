"""The schema and its page: public, from our own server only (the CSP allows no CDN)."""

import json
import re

from django.contrib.staticfiles import finders

from api.site import api


def test_the_openapi_schema_is_served_and_names_the_bearer_key(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    served = response.json()
    assert served == json.loads(json.dumps(api.get_openapi_schema(path_params={})))
    assert served["components"]["securitySchemes"]["ApiKeyAuth"] == {"type": "http", "scheme": "bearer"}
    assert {"/api/v1/consults", "/api/v1/series", "/api/v1/teams"} <= set(served["paths"])


def test_the_docs_page_loads_everything_from_our_own_static_files(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    page = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources and all(source.startswith("/static/") for source in sources), sources
    assert "cdn" not in page.lower()
    for source in sources:
        assert finders.find(source.removeprefix("/static/")), source
    # The page itself runs under the site's policy: scripts from our own origin only.
    assert "script-src 'self'" in response["Content-Security-Policy"]
