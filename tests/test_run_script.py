"""`make run`'s last step (scripts/run.sh): web, worker and beat start together, and Ctrl+C stops all three
within a few seconds instead of waiting for the worker's warm shutdown (it once hung for a minute). Static
files served by uvicorn raise no StreamingHttpResponse warning."""

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import requests

from tests.processes import free_port, wait_for_port

ROOT = Path(__file__).resolve().parent.parent
PS, BASH = shutil.which("ps") or "ps", shutil.which("bash") or "bash"


def alive(group: int) -> list[str]:
    # -ww: never cut the command lines to the terminal width (a long checkout path hid "worker").
    listed = subprocess.run([PS, "-ww", "-g", str(group), "-o", "pid=,args="], capture_output=True, text=True).stdout
    return [line for line in listed.splitlines() if line.strip()]


def test_ctrl_c_stops_web_worker_and_beat(tmp_path):
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL"}},
        "VAR_DIR": str(tmp_path),
        "PORT": str(port),
        "SECRET_KEY": "run-script-test-" + "x" * 40,
        "STATIC_ROOT": str(tmp_path / "static"),
    }
    # make run collects the static files before run.sh; uvicorn serves them (WhiteNoise), which is where
    # Django warned about StreamingHttpResponse on every first file.
    manage = [str(ROOT / ".venv/bin/python"), "manage.py", "collectstatic", "--noinput", "--verbosity", "0"]
    subprocess.run(manage, cwd=ROOT, env=env, check=True, timeout=120)
    # A session of its own, as a terminal would give it: Ctrl+C reaches the whole foreground group.
    script = subprocess.Popen(
        [BASH, "scripts/run.sh"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for_port(port, seconds=30)
        # The web server answers (this scratch folder has no database: the page itself may fail).
        assert requests.get(f"http://127.0.0.1:{port}/", timeout=10).headers["server"] == "uvicorn"
        assert requests.get(f"http://127.0.0.1:{port}/static/css/app.css", timeout=10).status_code == 200
        names = " ".join(alive(script.pid))
        assert "worker" in names and "beat" in names and "uvicorn" in names
        os.killpg(script.pid, signal.SIGINT)
        output, errors = script.communicate(timeout=15)
        deadline = time.monotonic() + 5
        while alive(script.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert alive(script.pid) == []
        assert "Stopped web, worker and beat." in output
        assert "StreamingHttpResponse" not in errors
    finally:
        if alive(script.pid):
            os.killpg(script.pid, signal.SIGKILL)
        # Reap the script and close its pipes, so no warning about them leaks into a later test.
        if script.poll() is None:
            script.kill()
        for pipe in (script.stdout, script.stderr):
            if pipe and not pipe.closed:
                pipe.close()
        script.wait(timeout=15)
