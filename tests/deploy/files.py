"""The operator's files in deploy/, read as systemd and nginx read them and rendered for a test on this machine:
the checkout instead of /opt/videoconsult, free ports on 127.0.0.1, a certificate made for the test. Every
replacement must find what it replaces, so a changed file fails here instead of being tested half."""

import datetime
import ipaddress
import os
import shlex
import shutil
from collections import defaultdict
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
INSTALL_DIR = "/opt/videoconsult"
ENV_FILE = "/etc/videoconsult/videoconsult.env"
SERVICES = ("web", "streams", "worker", "beat")
# Where the units listen and the site's upstreams point.
PAGES_ADDRESS, STREAMS_ADDRESS = "127.0.0.1:8001", "127.0.0.1:8002"


def tool(name: str) -> str:
    """A program's path (root's sbin included, where Debian puts nginx), or the test is skipped saying why."""
    path = shutil.which(name, path=f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin")
    if path is None:
        pytest.skip(f"{name} is not installed (.ci/run installs it)")
    return path


def unit_path(service: str) -> Path:
    return DEPLOY / "systemd" / f"videoconsult-{service}.service"


def replace_each(text: str, replacements: dict[str, str]) -> str:
    for old, new in replacements.items():
        assert old in text, f"{old!r} is no longer in the file: update the test's rendering"
        text = text.replace(old, new)
    return text


def unit_settings(path: Path) -> dict[str, list[str]]:
    """A unit file's settings as "Section.Key" -> values in order, continued lines joined, comments left out."""
    settings: dict[str, list[str]] = defaultdict(list)
    section = ""
    logical = path.read_text().replace("\\\n", " ")
    for line in logical.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        settings[f"{section}.{key.strip()}"].append(value.strip())
    return dict(settings)


def exec_start(service: str, addresses: dict[str, str] | None = None) -> list[str]:
    """The unit's command line with this checkout for /opt/videoconsult and the given listen addresses."""
    (line,) = unit_settings(unit_path(service))["Service.ExecStart"]
    line = line.replace(INSTALL_DIR, str(ROOT))
    return shlex.split(replace_each(line, addresses or {}))


def render_environment(values: dict[str, str]) -> str:
    """deploy/videoconsult.env.example with the given variables' values (each one set there) replaced."""
    lines = (DEPLOY / "videoconsult.env.example").read_text().splitlines()
    missing = set(values)
    for number, line in enumerate(lines):
        key = line.partition("=")[0]
        if not line.startswith("#") and key in values:
            lines[number] = f"{key}={values[key]}"
            missing.discard(key)
    assert not missing, f"not set in videoconsult.env.example: {sorted(missing)}"
    return "\n".join(lines) + "\n"


def read_environment(text: str) -> dict[str, str]:
    """An EnvironmentFile as systemd reads the plain values the example asks for: KEY=value, # comments."""
    return dict(
        line.split("=", 1) for line in text.splitlines() if line.strip() and not line.lstrip().startswith(("#", ";"))
    )


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 that the test trusts (requests' verify=) and nginx serves."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    certificate_path, key_path = directory / "cert.pem", directory / "key.pem"
    certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return certificate_path, key_path


def upstream_servers(ports: int | tuple[int, ...]) -> str:
    """An upstream's server lines: one node, or several as an operator lists them (nginx passes a request on to
    the next when one refuses)."""
    return "\n    ".join(f"server 127.0.0.1:{port};" for port in ((ports,) if isinstance(ports, int) else ports))


def render_site(
    directory: Path,
    *,
    http_port: int,
    https_port: int,
    pages_port: int | tuple[int, ...],
    streams_port: int | tuple[int, ...],
    worker_connections: int = 512,
) -> tuple[Path, Path]:
    """The nginx site as an operator fills it in (host name, certificate), on the test's ports of 127.0.0.1,
    inside a minimal nginx.conf whose paths are all in `directory`; a tuple of ports makes an upstream of several
    nodes; `worker_connections` beyond nginx's default of 512 holds more event streams (each takes two: the
    browser's and the upstream's). Returns (nginx.conf, the certificate)."""
    certificate, key = self_signed_certificate(directory)
    site = replace_each(
        (DEPLOY / "nginx" / "videoconsult.conf").read_text(),
        {
            "# ssl_certificate": "ssl_certificate",
            "/etc/letsencrypt/live/consult.example.nl/fullchain.pem": str(certificate),
            "/etc/letsencrypt/live/consult.example.nl/privkey.pem": str(key),
            "consult.example.nl": "127.0.0.1",
            "listen 80;": f"listen 127.0.0.1:{http_port};",
            "listen [::]:80;": "",
            "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
            "listen [::]:443 ssl http2;": "",
            f"server {PAGES_ADDRESS};": upstream_servers(pages_port),
            f"server {STREAMS_ADDRESS};": upstream_servers(streams_port),
            "/var/log/nginx/": f"{directory}/",
        },
    )
    (directory / "videoconsult.conf").write_text(site)
    temp = {kind: directory / kind for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temp.values():
        path.mkdir(exist_ok=True)
    # Run as root (CI), nginx would hand its workers to "nobody", who cannot enter the test's private tmp_path.
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf = directory / "nginx.conf"
    conf.write_text(
        f"{user}pid {directory}/nginx.pid;\nerror_log {directory}/error.log;\n"
        f"events {{ worker_connections {worker_connections}; }}\nhttp {{\n"
        "    include /etc/nginx/mime.types;\n"
        f"    access_log {directory}/default-access.log;\n"
        + "".join(f"    {kind}_temp_path {path};\n" for kind, path in temp.items())
        + f"    include {directory}/videoconsult.conf;\n}}\n"
    )
    return conf, certificate
