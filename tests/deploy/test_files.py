"""What an operator copies from deploy/ is accepted by the programs that read it: systemd, nginx, coturn and the
settings. The whole deployment running from these files is test_smoke.py."""

import getpass
import ipaddress
import re
import secrets
import signal
import subprocess
import time

import pytest
import requests

from tests.deploy.files import (
    DEPLOY,
    ENV_FILE,
    INSTALL_DIR,
    PAGES_ADDRESS,
    ROOT,
    SERVICES,
    STREAMS_ADDRESS,
    exec_start,
    read_environment,
    render_environment,
    render_site,
    replace_each,
    self_signed_certificate,
    tool,
    unit_path,
    unit_settings,
)
from tests.processes import free_port, wait_for_port

# The settings that differ between the services by what each runs; everything else is one block for all four.
OWN_SETTINGS = {"Description", "Type", "NotifyAccess", "ExecStart", "ExecReload", "KillMode", "TimeoutStopSec"}
# The two servers' metrics directory (README, Metrics): theirs alone, as Celery and manage.py must not see it.
OWN_SETTINGS |= {"Environment", "RuntimeDirectory", "RuntimeDirectoryPreserve"}


@pytest.fixture
def units_here(tmp_path):
    """The units as they would be installed from this checkout: its .venv's commands and an environment file
    that exists. Verifying the files as they are would only say that /opt/videoconsult is empty here."""
    (tmp_path / "videoconsult.env").write_text(render_environment({}))
    for path in (DEPLOY / "systemd").iterdir():
        text = path.read_text().replace(INSTALL_DIR, str(ROOT)).replace(ENV_FILE, str(tmp_path / "videoconsult.env"))
        (tmp_path / path.name).write_text(text)
    return tmp_path


def test_the_units_pass_systemd_analyze_verify(units_here):
    systemd_analyze = tool("systemd-analyze")
    files = sorted(str(path) for path in units_here.iterdir() if path.suffix in {".service", ".target"})
    assert len(files) == 5
    result = subprocess.run([systemd_analyze, "verify", *files], capture_output=True, text=True, timeout=60)
    # A setting systemd does not know is only a warning, with exit code 0: any output at all fails.
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_is_hardened(units_here, service):
    systemd_analyze = tool("systemd-analyze")
    unit = units_here / f"videoconsult-{service}.service"
    # systemd's own exposure score, 0 (locked down) to 10 (unprotected; a unit without hardening scores 9.6),
    # compared with the threshold in tenths.
    result = subprocess.run(
        [systemd_analyze, "security", "--offline=true", "--threshold=20", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout[-600:]


def test_the_services_share_user_directory_environment_and_hardening():
    shared = [
        {key: values for key, values in unit_settings(unit_path(s)).items() if key.split(".")[1] not in OWN_SETTINGS}
        for s in SERVICES
    ]
    assert all(settings == shared[0] for settings in shared), "the units' common settings have drifted apart"
    assert shared[0]["Service.User"] == ["videoconsult"]
    assert shared[0]["Service.EnvironmentFile"] == [ENV_FILE]
    assert shared[0]["Service.WorkingDirectory"] == [INSTALL_DIR]
    # Where the app writes (VAR_DIR: media uploads, beat's schedule) is the one directory it may write to.
    assert shared[0]["Service.ProtectSystem"] == ["strict"]
    environment = read_environment(render_environment({}))
    assert shared[0]["Service.StateDirectory"] == ["videoconsult"]
    assert environment["VAR_DIR"] == "/var/lib/videoconsult"
    assert environment["STATIC_ROOT"].startswith("/var/lib/videoconsult/")


def test_both_servers_and_only_they_share_one_metrics_directory_that_outlives_either():
    settings = {service: unit_settings(unit_path(service)) for service in SERVICES}
    servers = [s for s in SERVICES if "PROMETHEUS_MULTIPROC_DIR=/run/videoconsult-metrics" in str(settings[s])]
    assert sorted(servers) == ["streams", "web"]
    for server in servers:
        assert settings[server]["Service.RuntimeDirectory"] == ["videoconsult-metrics"]
        # Stopping one server must not delete the other's figures.
        assert settings[server]["Service.RuntimeDirectoryPreserve"] == ["yes"]


def option(command: list[str], name: str) -> int:
    return int(command[command.index(name) + 1])


def stop_timeout(service: str) -> int:
    (seconds,) = unit_settings(unit_path(service))["Service.TimeoutStopSec"]
    return int(seconds)


def test_systemd_waits_longer_than_the_servers_graceful_stop():
    assert option(exec_start("web"), "--graceful-timeout") < stop_timeout("web")
    assert option(exec_start("streams"), "--timeout-graceful-shutdown") < stop_timeout("streams")


def test_the_site_proxies_to_the_addresses_the_units_listen_on():
    site = (DEPLOY / "nginx" / "videoconsult.conf").read_text()
    assert re.search(rf"upstream videoconsult_pages \{{\s*server {PAGES_ADDRESS};", site)
    assert re.search(rf"upstream videoconsult_streams \{{\s*server {STREAMS_ADDRESS};", site)
    assert f"--bind {PAGES_ADDRESS}" in " ".join(exec_start("web"))
    host, port = STREAMS_ADDRESS.split(":")
    command = exec_start("streams")
    assert (command[command.index("--host") + 1], command[command.index("--port") + 1]) == (host, port)


def test_the_site_passes_nginx_t(tmp_path):
    nginx = tool("nginx")
    conf, _ = render_site(tmp_path, http_port=free_port(), https_port=free_port(), pages_port=8001, streams_port=8002)
    result = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(conf)], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_the_access_log_keeps_no_join_token(tmp_path):
    """Short links, calendar subscriptions, a link inside another's query, and the Referer of a join page's
    requests: none is written. (Nothing listens behind the site here: nginx logs the 502s all the same.)"""
    nginx = tool("nginx")
    port = free_port()
    conf, certificate = render_site(
        tmp_path, http_port=free_port(), https_port=port, pages_port=free_port(), streams_port=free_port()
    )
    tokens = [
        secrets.token_urlsafe(16),
        secrets.token_urlsafe(32),
        secrets.token_urlsafe(16),
        secrets.token_urlsafe(32),
    ]
    process = subprocess.Popen([nginx, "-p", str(tmp_path), "-c", str(conf), "-g", "daemon off;"])
    try:
        wait_for_port(port)
        session = requests.Session()
        session.trust_env, session.verify = False, str(certificate)
        base = f"https://127.0.0.1:{port}"
        session.get(f"{base}/j/{tokens[0]}", timeout=10)
        session.get(f"{base}/join/{tokens[1]}/events/?next=/join/{tokens[2]}/", timeout=10)
        session.get(f"{base}/static/css/app.css", headers={"Referer": f"{base}/join/{tokens[1]}/"}, timeout=10)
        # An agent's calendar subscription: its URL is the key to the agent's agenda.
        session.get(f"{base}/calendar/{tokens[3]}.ics", timeout=10)
    finally:
        process.send_signal(signal.SIGQUIT)  # a graceful stop writes out the log
        process.wait(timeout=10)
    log = (tmp_path / "videoconsult.access.log").read_text()
    assert not [token for token in tokens if token in log], log
    assert '"GET /j/[token] HTTP/1.1" 502' in log
    assert '"GET /join/[token]/events/?next=/join/[token]/ HTTP/1.1" 502' in log
    assert f'"{base}/join/[token]/"' in log
    assert '"GET /calendar/[token].ics HTTP/1.1" 502' in log


def test_the_environment_example_names_only_variables_the_settings_read():
    settings_source = (ROOT / "config" / "settings" / "base.py").read_text()
    read = set(re.findall(r'\.(?:str|bool|int|float|list|db|email_url)\("([A-Z_0-9]+)"', settings_source))
    example = (DEPLOY / "videoconsult.env.example").read_text()
    named = set(re.findall(r"^#?([A-Z][A-Z_0-9]+)=", example, flags=re.MULTILINE))
    # gunicorn and uvicorn read FORWARDED_ALLOW_IPS too; the settings read it for the app's own proxy fix.
    assert named - read == set()
    required = {"SECRET_KEY", "ALLOWED_HOSTS", "SITE_URL", "DATABASE_URL", "REDIS_URL", "EMAIL_URL", "ENCRYPTION_KEYS"}
    assert required <= set(read_environment(example))


def test_videoconsult_manage_reads_the_environment_file_as_systemd_does(tmp_path):
    """Values with spaces and <> (the sender) arrive whole, as systemd passes them to the services."""
    env_file = tmp_path / "videoconsult.env"
    values = {"DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3", "VAR_DIR": str(tmp_path / "var")}
    env_file.write_text(render_environment(values))
    environment = {"PATH": "/usr/bin:/bin", "VIDEOCONSULT_HOME": str(ROOT), "VIDEOCONSULT_ENV": str(env_file)}
    environment["VIDEOCONSULT_USER"] = getpass.getuser()
    code = "from django.conf import settings; print(settings.DEFAULT_FROM_EMAIL); print(settings.SITE_URL)"
    result = subprocess.run(
        [str(DEPLOY / "videoconsult-manage"), "shell", "-v0", "-c", code],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    expected = read_environment(env_file.read_text())
    assert result.stdout.splitlines() == [expected["DEFAULT_FROM_EMAIL"], expected["SITE_URL"]]
    assert " <" in expected["DEFAULT_FROM_EMAIL"]


# Networks a relay must never reach: this host, the operator's private networks, and the ranges that lead to
# them (IPv4 mapped into IPv6, NAT64).
PRIVATE = [
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "::1/128",
    "::/128",
    "::ffff:0:0/96",
    "64:ff9b::/96",
    "fc00::/7",
    "fe80::/10",
]


def test_coturn_denies_the_private_networks_as_peers():
    conf = (DEPLOY / "coturn" / "turnserver.conf").read_text()
    denied = [
        (ipaddress.ip_address(first), ipaddress.ip_address(last))
        for first, last in re.findall(r"^denied-peer-ip=([0-9a-f.:]+)-([0-9a-f.:]+)$", conf, flags=re.MULTILINE)
    ]
    for network in map(ipaddress.ip_network, PRIVATE):
        assert any(
            first.version == network.version and first <= network[0] and network[-1] <= last for first, last in denied
        ), f"{network} is not denied"
    assert re.search(r"^use-auth-secret$", conf, flags=re.MULTILINE)
    assert re.search(r"^static-auth-secret=", conf, flags=re.MULTILINE)


def test_coturn_starts_with_the_configuration(tmp_path):
    turnserver = tool("turnserver")
    certificate, key = self_signed_certificate(tmp_path)
    port = free_port()
    conf = replace_each(
        (DEPLOY / "coturn" / "turnserver.conf").read_text(),
        {
            # On the loopback only, as every test packet stays.
            "listening-port=3478": f"listening-port={port}\nlistening-ip=127.0.0.1\nrelay-ip=127.0.0.1",
            "tls-listening-port=443": f"tls-listening-port={free_port()}",
            "/etc/letsencrypt/live/turn.example.nl/fullchain.pem": str(certificate),
            "/etc/letsencrypt/live/turn.example.nl/privkey.pem": str(key),
            "\nsyslog\n": f"\nlog-file={tmp_path}/turn.log\npidfile={tmp_path}/turn.pid\n",
        },
    )
    (tmp_path / "turnserver.conf").write_text(conf)
    process = subprocess.Popen(
        [turnserver, "-c", str(tmp_path / "turnserver.conf")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_for_port(port)
        # coturn goes on past an option it does not understand, saying so in its log.
        deadline = time.monotonic() + 5
        log = ""
        while "Black listing: ::ffff:0:0" not in log and time.monotonic() < deadline:
            time.sleep(0.1)
            log = "".join(path.read_text() for path in tmp_path.glob("turn*.log"))
        assert "Black listing: 10.0.0.0-10.255.255.255" in log
        assert "Bad configuration" not in log
    finally:
        process.kill()
        process.wait(timeout=10)
