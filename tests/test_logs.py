"""Logs an operator can read: every line with its time, level, logger and request id, as text or as JSON lines,
from the app and from the servers and Celery processes around it alike; a failing page logged at ERROR with
its request id; no join token anywhere, tracebacks included."""

import asyncio
import json
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from celery import Celery
from django.http import HttpResponse
from django.test import AsyncRequestFactory

from config.logging import REQUEST_ID
from config.requestid import RequestIdMiddleware
from tests.processes import celery_worker, gunicorn_server, uvicorn_server, wait_for

# A record's first line; the lines of its traceback follow it.
RECORD = re.compile(
    r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (DEBUG|INFO|WARNING|ERROR|CRITICAL) (\S+) \[(\S+)\] (.*)$"
)
REQUEST_ID_FROM_PROXY = "3f2c9a7e1b4d4e0f9a8b7c6d5e4f3a2b"  # as nginx's $request_id looks
FAILING = {"DJANGO_SETTINGS_MODULE": "tests.failing_settings"}


def records(text: str) -> list[dict]:
    """The text log as records: time, level, logger, request id, message and the lines that follow it."""
    found: list[dict] = []
    for line in text.splitlines():
        if match := RECORD.match(line):
            timestamp, level, logger, request_id, message = match.groups()
            found.append(
                {"timestamp": timestamp, "level": level, "logger": logger, "request_id": request_id, "message": message}
            )
            found[-1]["more"] = ""
        elif found:
            found[-1]["more"] += line + "\n"
    return found


def test_a_failing_page_logs_an_error_with_its_request_id_under_gunicorn(known_client, tmp_path):
    log = tmp_path / "gunicorn.log"
    options = ["--log-config-json", "config/logging.json", "--log-level", "info"]
    with gunicorn_server(var_dir=tmp_path / "var", env=FAILING, log=log, options=options) as site:
        failed = requests.get(
            f"{site}/join/{known_client.token}/failing/", headers={"X-Request-ID": REQUEST_ID_FROM_PROXY}, timeout=10
        )
        # A header that is no proxy's request id is replaced by one made here.
        other = requests.get(f"{site}/accounts/login/", headers={"X-Request-ID": "<script> alert"}, timeout=10)
    assert failed.status_code == 500
    assert failed.headers["X-Request-ID"] == REQUEST_ID_FROM_PROXY
    made = other.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    text = log.read_text()
    assert known_client.token not in text
    found = records(text)
    [error] = [r for r in found if r["level"] == "ERROR"]
    assert error["logger"] == "django.request"
    assert error["request_id"] == REQUEST_ID_FROM_PROXY
    assert error["message"] == "Internal Server Error: /join/[token]/failing/"
    # The traceback is there, the join link in its exception redacted.
    assert "RuntimeError: Could not tell" in error["more"] and "/join/[token]/" in error["more"]
    # gunicorn's own lines, from before the app was loaded and after, look like the app's.
    assert any(r["logger"] == "gunicorn.error" and r["message"].startswith("Starting gunicorn") for r in found)
    access = [r for r in found if r["logger"] == "gunicorn.access"]
    assert [r["request_id"] for r in access] == [REQUEST_ID_FROM_PROXY, made]
    assert '"GET /join/[token]/failing/ HTTP/1.1" 500' in access[0]["message"]
    # Lines outside a request say so.
    assert {r["request_id"] for r in found if r["logger"] == "gunicorn.error"} == {"-"}


def test_json_lines_under_uvicorn_carry_the_same_fields(known_client, tmp_path):
    log = tmp_path / "uvicorn.log"
    options = ["--log-config", "config/logging.json", "--log-level", "info"]
    env = {**FAILING, "LOG_FORMAT": "json"}
    with uvicorn_server(var_dir=tmp_path / "var", env=env, log=log, options=options) as site:
        failed = requests.get(
            f"{site}/join/{known_client.token}/failing/", headers={"X-Request-ID": REQUEST_ID_FROM_PROXY}, timeout=10
        )
    assert failed.status_code == 500
    text = log.read_text()
    assert known_client.token not in text
    lines = [json.loads(line) for line in text.splitlines()]  # every line is one JSON object
    for line in lines:
        assert {"timestamp", "level", "logger", "request_id", "message"} <= line.keys(), line
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["timestamp"])
    [error] = [line for line in lines if line["level"] == "ERROR"]
    assert error["logger"] == "django.request" and error["request_id"] == REQUEST_ID_FROM_PROXY
    assert error["message"] == "Internal Server Error: /join/[token]/failing/"
    assert "RuntimeError: Could not tell" in error["exc_info"] and "/join/[token]/" in error["exc_info"]
    [access] = [line for line in lines if line["logger"] == "uvicorn.access"]
    assert access["request_id"] == REQUEST_ID_FROM_PROXY and "/join/[token]/failing/" in access["message"]
    assert any(line["message"].startswith("Started server process") for line in lines)


def test_the_request_id_does_not_outlive_its_request_under_wsgi(client):
    # One thread serves request after request: a line logged between them must not name the last one.
    response = client.get("/accounts/login/", headers={"X-Request-ID": REQUEST_ID_FROM_PROXY})
    assert response["X-Request-ID"] == REQUEST_ID_FROM_PROXY
    assert REQUEST_ID.get() == "-"


def test_an_async_chain_sees_the_request_id():
    """Django calls the middleware's async side when everything after it is async (event-stream views)."""

    async def view(request):
        return HttpResponse(REQUEST_ID.get())

    middleware = RequestIdMiddleware(view)
    request = AsyncRequestFactory().get("/", headers={"X-Request-ID": "not a proxy's id"})
    # In a thread of its own: after a browser test, Playwright's event loop lives in this test's thread.
    with ThreadPoolExecutor(max_workers=1) as pool:
        response = pool.submit(asyncio.run, middleware(request)).result(timeout=30)
    made = response["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", made) and response.content.decode() == made


def test_a_task_queued_during_a_request_logs_with_its_request_id_in_the_worker(transactional_db, tmp_path, redis_url):
    queue = f"logs-{uuid.uuid4().hex}"
    log = tmp_path / "worker.log"
    producer = Celery(broker=redis_url)
    with celery_worker(var_dir=tmp_path / "var", queue=queue, log=log, env={"REDIS_URL": redis_url}):
        try:
            reset = REQUEST_ID.set(REQUEST_ID_FROM_PROXY)  # as RequestIdMiddleware does for a request
            try:
                producer.send_task("notifications.sweep", queue=queue)
            finally:
                REQUEST_ID.reset(reset)
            producer.send_task("notifications.sweep", queue=queue)  # from outside any request, as beat does
            wait_for(lambda: log.read_text().count("succeeded in") == 2, seconds=30, what="the two tasks")
        finally:
            producer.close()
    found = records(Path(log).read_text())
    done = [r for r in found if "succeeded in" in r["message"]]
    assert [r["request_id"] for r in done] == [REQUEST_ID_FROM_PROXY, "-"]
    assert all(r["logger"] == "celery.app.trace" for r in done)
    # Celery's own lines went through the same handler and format (it did not take over the root logger).
    assert any(r["logger"] == "celery.apps.worker" and r["message"].endswith("ready.") for r in found)
