"""Our pages under a real web server, and the peer's beside them in the same run.

`bench/pages.py --server` calls `measure_servers`: the scratch database (already filled) is served by
gunicorn (2 sync workers, as the peer harness serves django-appointment) and by uvicorn (2 workers, ASGI,
what serves the live event streams), and `wrk -t1 -c4 -d10s` drives each page with an assistant's session
cookie. `--peer` runs the peer harness (../shared/peers/django-appointment, set up by its setup.sh) in the
same run for its booking page under gunicorn and its appointment page in-process, and prints the ratios.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.scratch import scratch_database_url
from tests.processes import free_port, serving

ROOT = Path(__file__).resolve().parent.parent
PEER_HARNESS = ROOT.parent / "shared" / "peers" / "django-appointment" / "bench.py"


def parse_wrk(output: str) -> dict[str, float]:
    """Requests per second and latency percentiles (ms) from `wrk --latency`."""
    found: dict[str, float] = {}
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    found["req_per_s"] = float(match.group(1)) if match else 0.0
    match = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    found["non_2xx"] = int(match.group(1)) if match else 0
    for percentile in ("50", "90", "99"):
        match = re.search(rf"^\s+{percentile}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
        if match:
            factor = {"us": 0.001, "ms": 1.0, "s": 1000.0}[match.group(2)]
            found[f"p{percentile}_ms"] = round(float(match.group(1)) * factor, 2)
    return found


def wrk(url: str, *, cookie: str, duration: int = 10, connections: int = 4) -> dict[str, float]:
    # Warm-up: each worker's first requests load templates and open its database connection.
    command = ["wrk", "-t1", f"-c{connections}", "-d2s", "-H", f"Cookie: {cookie}", url]
    subprocess.run(command, capture_output=True, check=True, timeout=60)  # noqa: S603
    command = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "-H", f"Cookie: {cookie}", url]
    done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=duration + 60)  # noqa: S603
    return parse_wrk(done.stdout)


@contextmanager
def serve(kind: str, *, secret_key: str) -> Iterator[str]:
    """The app on the scratch database as production runs it (production settings, no debug), by `kind`:
    "gunicorn" (WSGI, 2 sync workers) or "uvicorn" (ASGI, 2 workers)."""
    port = free_port()
    var_dir = Path(tempfile.mkdtemp(prefix="bench-server-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DATABASE_URL": scratch_database_url(),
        "VAR_DIR": str(var_dir),
        "SECRET_KEY": secret_key,
        "DEBUG": "false",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    if kind == "gunicorn":
        command = [sys.executable, "-m", "gunicorn", "--workers", "2", "--worker-class", "sync"]
        command += ["--bind", f"127.0.0.1:{port}", "--no-control-socket", "config.wsgi:application"]
    else:
        command = [sys.executable, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1"]
        command += ["--port", str(port), "--workers", "2", "--lifespan", "off", "--log-level", "warning"]
    with (var_dir / "server.log").open("w") as log, serving(command, port=port, env=env, output=log) as address:
        yield address


def measure_servers(pages: dict[str, str], *, cookie: str, secret_key: str, duration: int) -> list[dict]:
    """wrk against each page under each server; one row per (server, page)."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    rows = []
    for kind in ("gunicorn", "uvicorn"):
        with serve(kind, secret_key=secret_key) as base:
            for name, path in pages.items():
                rows.append({"server": kind, "page": name, **wrk(base + path, cookie=cookie, duration=duration)})
    return rows


def measure_peer(python: str, *, duration: int) -> dict[str, dict]:
    """The peer harness in this run: its booking page under gunicorn and its appointment page in-process,
    at N = 10,000 (its own dataset). Returns its JSON lines by page."""
    if not Path(python).exists() or not PEER_HARNESS.exists():
        raise SystemExit(f"Peer harness not found ({python}, {PEER_HARNESS}); run its setup.sh first.")
    out = Path(tempfile.mkdtemp(prefix="bench-peer-")) / "peer.jsonl"
    # The peer's own settings and database, not ours.
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL"}}
    common = [python, str(PEER_HARNESS), "--out", str(out), "--ns", "10000", "--server-n", "10000"]
    subprocess.run(  # noqa: S603
        [*common, "--no-inproc", "--server-pages", "booking_page", "--duration", str(duration)],
        check=True,
        capture_output=True,
        timeout=900,
        cwd=PEER_HARNESS.parent,
        env=env,
    )
    subprocess.run(  # noqa: S603
        [*common, "--no-server", "--pages", "appointment_detail", "--iters", "200"],
        check=True,
        capture_output=True,
        timeout=900,
        cwd=PEER_HARNESS.parent,
        env=env,
    )
    rows = [json.loads(line) for line in out.read_text().splitlines() if line.strip()]
    return {f"{row['page']}:{row.get('mode', 'inproc')}": row for row in rows}
