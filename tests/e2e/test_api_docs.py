"""The API's docs page in a browser: Swagger UI draws the operations from our own static files and schema,
asks no other origin, and the Content-Security-Policy refuses nothing. (The page is django-ninja's, not
ours, so it has no accessibility check of its own: our pages have those.)"""

from urllib.parse import urlsplit

from tests.e2e.conftest import watch_policy


def test_the_api_docs_draw_the_operations_from_our_own_server(browser, live_server):
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    refused = watch_policy(page)
    origins = set()
    page.on("request", lambda request: origins.add(urlsplit(request.url).netloc))
    page.goto("/api/v1/docs")
    page.wait_for_selector(".opblock")
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    context.close()
    assert "/api/v1/consults" in paths and "/api/v1/teams" in paths
    assert origins == {urlsplit(live_server.url).netloc}
    assert refused == []
