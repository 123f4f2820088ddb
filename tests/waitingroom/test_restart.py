"""A restart of the event-stream server with clients' pages listening: their streams end (the pages reconnect
to the next server) and the log says so without an ERROR, which would wake an operator at every deploy."""

import socket
from datetime import timedelta
from urllib.parse import urlsplit

from django.urls import reverse
from django.utils import timezone

from tests.processes import uvicorn_server


def test_a_restart_with_open_streams_logs_no_error(transactional_db, tmp_path, book):
    start = timezone.now() + timedelta(minutes=5)
    participant = book(start=start, end=start + timedelta(minutes=30)).participants.get()
    log = tmp_path / "uvicorn.log"
    with uvicorn_server(var_dir=tmp_path / "var", log=log) as streams:
        # As a browser's EventSource asks, and keeps reading.
        address = urlsplit(streams)
        page = socket.create_connection((address.hostname, address.port), timeout=10)
        path = reverse("waitingroom:client-events", args=[participant.token])
        page.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n".encode())
        assert page.recv(4096).startswith(b"HTTP/1.1 200")
    # Leaving the block stopped the server (SIGTERM); its graceful timeout (2 s) cut the open stream: what
    # is left to read ends (a timeout here would mean the stream was still open).
    while page.recv(4096):
        pass
    page.close()
    text = log.read_text()
    assert "ERROR" not in text, text
