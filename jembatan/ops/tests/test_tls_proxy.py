"""The nginx server blocks of docs/deploy.md, run as written in front of gunicorn, on loopback.

Only what a machine needs is changed: the addresses (loopback, free ports), the certificate (a
self-signed one made here for lapor.example.go.id) and gunicorn's port. The application runs with
the production settings and the guide's `/etc/jembatan/env` values that concern the web process,
so this checks what a province would get: plain HTTP sent to HTTPS by nginx, pages over TLS with
HSTS (Django sends it only when it trusts X-Forwarded-Proto), no redirect loop, Secure cookies, a
login whose CSRF check passes behind the proxy, and the static files through the proxy
(compressed, cached for a year).

nginx is installed by `.ci/run`; under CI=true a missing nginx fails this test instead of
skipping it.
"""

import http.client
import http.cookies
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
HOST = "lapor.example.go.id"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)
# Values of the guide's env file that need a service this test does not run, or a path of /srv.
NOT_HERE = {
    "EMAIL_HOST",
    "NOTIFY_SMS_PROVIDER",
    "NOTIFY_SMS_HTTP_URL",
    "PROMETHEUS_MULTIPROC_DIR",
    "JEMBATAN_VAR_DIR",
}

pytestmark = pytest.mark.slow


def _require_nginx():
    if NGINX is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("nginx is not installed: .ci/run installs it (apt-get install nginx)")
        pytest.skip("nginx is not installed (apt-get install nginx)")


def _ports(count):
    """Ports for the servers: TLS_PROXY_TEST_PORT, +1, … when set, otherwise free ones."""
    base = os.environ.get("TLS_PROXY_TEST_PORT")
    if base:
        return [int(base) + i for i in range(count)]
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def guide_env():
    """The `/etc/jembatan/env` of the guide, as a dict (comments and placeholders dropped)."""
    block = re.search(r"`/etc/jembatan/env`.*?```sh\n(.*?)```", DEPLOY, re.S).group(1)
    values = {}
    for line in block.splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name] = value
    return values


def nginx_conf(work, *, http_port, https_port, app_port, cert, key):
    """The guide's server blocks with this machine's addresses, inside a minimal nginx.conf."""
    servers = re.search(r"```nginx\n(.*?)```", DEPLOY, re.S).group(1)
    replacements = [
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
        (f"/etc/letsencrypt/live/{HOST}/fullchain.pem", str(cert)),
        (f"/etc/letsencrypt/live/{HOST}/privkey.pem", str(key)),
        ("proxy_pass http://127.0.0.1:8000;", f"proxy_pass http://127.0.0.1:{app_port};"),
    ]
    for old, new in replacements:
        assert servers.count(old) == 1, f"docs/deploy.md's nginx block no longer has {old!r}"
        servers = servers.replace(old, new)
    temp = "\n".join(
        f"    {kind}_temp_path {work / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        f"daemon off;\nworker_processes 1;\npid {work / 'nginx.pid'};\nerror_log {work / 'error.log'} warn;\n"
        f"events {{ worker_connections 64; }}\nhttp {{\n    access_log off;\n{temp}\n{servers}}}\n"
    )


def _self_signed(work):
    cert, key = work / "cert.pem", work / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={HOST}",
         "-addext", f"subjectAltName=DNS:{HOST}", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def _wait(check, seconds, what, logs):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail(
        f"{what} did not start within {seconds} s:\n" + "\n".join(p.read_text()[-3000:] for p in logs)
    )


def _plain(port, path, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        conn.request("GET", path, headers={"Host": HOST, **(headers or {})})
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def _prepare_app(work, app_port):
    """The web process's environment (production settings, the guide's env file), the database
    migrated, the static files collected and one citizen account; returns the environment."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("JEMBATAN_", "DJANGO_", "DATABASE_", "SECURE_"))
    }
    env.update({k: v for k, v in guide_env().items() if k not in NOT_HERE})
    collected = ROOT / "var" / "static"
    env.update(
        SECRET_KEY="tls-proxy-test-" + "k" * 50,
        JEMBATAN_VAR_DIR=str(work / "var"),
        MEDIA_ROOT=str(work / "media"),
        STATIC_ROOT=str(collected if (collected / "staticfiles.json").exists() else work / "static"),
        HOST="127.0.0.1",
        PORT=str(app_port),
        WEB_WORKERS="1",
        WEB_THREADS="2",
        HUEY_BACKEND="memory",
        PYTHONUNBUFFERED="1",
    )
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--no-input", "-v0"], env=env, cwd=ROOT, check=True)
    if not env["STATIC_ROOT"].startswith(str(collected)):
        subprocess.run([*manage, "collectstatic", "--no-input", "-v0"], env=env, cwd=ROOT, check=True)
    make_user = (
        "from jembatan.accounts.models import User; "
        "User.objects.create_user(username='warga.tls', password='kata-sandi-uji-tls-1')"
    )
    subprocess.run([*manage, "shell", "-c", make_user], env=env, cwd=ROOT, check=True)
    return env


@pytest.fixture(scope="module")
def front():
    """gunicorn (production settings, SQLite) and nginx in front of it; yields a request function."""
    _require_nginx()
    # Not pytest's tmp_path: nginx's worker (user nobody when started as root) must reach its files.
    work = Path(tempfile.mkdtemp(prefix="jembatan-tls-"))
    work.chmod(0o755)
    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (work / kind).mkdir(mode=0o777)
        (work / kind).chmod(0o777)
    http_port, https_port, app_port = _ports(3)
    cert, key = _self_signed(work)
    env = _prepare_app(work, app_port)
    (work / "nginx.conf").write_text(
        nginx_conf(work, http_port=http_port, https_port=https_port, app_port=app_port, cert=cert, key=key)
    )
    test = subprocess.run([NGINX, "-t", "-c", str(work / "nginx.conf")], capture_output=True, text=True)
    assert test.returncode == 0, test.stderr
    logs = [work / "gunicorn.log", work / "error.log"]
    procs = []
    try:
        with open(logs[0], "ab") as out:
            gunicorn = ["-m", "gunicorn", "-c", "python:jembatan.gunicorn_conf", "jembatan.wsgi:application"]
            procs.append(subprocess.Popen(
                [sys.executable, *gunicorn], env=env, cwd=ROOT, stdout=out, stderr=out, start_new_session=True
            ))  # fmt: skip
            procs.append(subprocess.Popen(
                [NGINX, "-c", str(work / "nginx.conf")], stdout=out, stderr=out, start_new_session=True
            ))  # fmt: skip
        _wait(lambda: _plain(app_port, "/healthz")[0] == 200, 90, "gunicorn", logs)
        _wait(
            lambda: socket.create_connection(("127.0.0.1", https_port), 1).close() is None, 30, "nginx", logs
        )
        context = ssl.create_default_context(cafile=str(cert))

        def request(method, path, *, tls=True, headers=None, body=None):
            conn = http.client.HTTPConnection("127.0.0.1", https_port if tls else http_port, timeout=30)
            if tls:
                # The certificate names the site, not 127.0.0.1: connect by address, verify by name.
                raw = socket.create_connection(("127.0.0.1", https_port), 30)
                conn.sock = context.wrap_socket(raw, server_hostname=HOST)
            try:
                conn.request(method, path, body=body, headers={"Host": HOST, **(headers or {})})
                response = conn.getresponse()
                return response.status, response.headers, response.read()
            finally:
                conn.close()

        request.app_port = app_port
        yield request
    finally:
        _stop(procs)
        shutil.rmtree(work, ignore_errors=True)


def test_plain_http_is_sent_to_https_by_the_proxy(front):
    status, headers, _ = front("GET", "/laporan/?halaman=2", tls=False)
    assert status == 301
    assert headers["Location"] == f"https://{HOST}/laporan/?halaman=2"


def test_pages_are_served_over_tls_with_hsts_and_no_redirect_loop(front):
    status, headers, body = front("GET", "/laporan/")
    assert status == 200, body[:500]
    # Django sends HSTS only on a request it sees as secure: it trusted the proxy's X-Forwarded-Proto.
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    # A client cannot talk the proxy into "plain HTTP": nginx sets the header from its own scheme.
    status, _, _ = front("GET", "/laporan/", headers={"X-Forwarded-Proto": "http"})
    assert status == 200


def test_without_the_proxy_the_application_itself_redirects_to_https(front):
    status, headers, _ = _plain(front.app_port, "/laporan/")
    assert status == 301
    assert headers["Location"] == f"https://{HOST}/laporan/"
    assert _plain(front.app_port, "/healthz")[0] == 200  # probes speak plain HTTP


def _stop(procs):
    for proc in procs:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _cookies(headers):
    jar = http.cookies.SimpleCookie()
    for value in headers.get_all("Set-Cookie") or []:
        jar.load(value)
    return jar


def test_a_login_through_the_proxy_passes_csrf_and_gets_secure_cookies(front):
    status, headers, body = front("GET", "/akun/masuk/")
    assert status == 200
    cookies = _cookies(headers)
    assert cookies["csrftoken"]["secure"] is True
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1).decode()
    form = urlencode(
        {"csrfmiddlewaretoken": token, "username": "warga.tls", "password": "kata-sandi-uji-tls-1"}
    )
    status, headers, body = front(
        "POST",
        "/akun/masuk/",
        body=form,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={cookies['csrftoken'].value}",
            "Origin": f"https://{HOST}",
            "Referer": f"https://{HOST}/akun/masuk/",
        },
    )
    assert status == 302, body[:800]  # 403 would be the CSRF check refusing an https origin
    session = _cookies(headers)["sessionid"]
    assert session["secure"] is True and session["httponly"] is True


def test_static_files_come_through_the_proxy_compressed_and_cached(front):
    _, _, body = front("GET", "/")
    path = re.search(rb'href="(/static/[^"]+\.css)"', body).group(1).decode()
    status, headers, content = front("GET", path, headers={"Accept-Encoding": "gzip"})
    assert status == 200 and content
    assert headers["Content-Encoding"] == "gzip"
    assert "max-age=315360000" in headers["Cache-Control"] and "immutable" in headers["Cache-Control"]
