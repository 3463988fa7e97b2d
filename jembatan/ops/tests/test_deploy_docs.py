"""The configuration snippets of docs/deploy.md are checked by the tools that will read them.

The systemd units go through `systemd-analyze verify` (syntax, directives, the executables exist:
the checkout's path is put in place of /srv/jembatan), the logrotate rule through `logrotate -d`
(a dry run on a log file of its own). The proxies' snippets are checked here for what the
application relies on (the forwarded protocol and request id); the nginx one is also run, in front
of gunicorn over TLS, by test_tls_proxy.py.
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")


def _units():
    return re.findall(r"`/etc/systemd/system/([\w.-]+)`:\n\n```ini\n(.*?)```", DEPLOY, re.S)


def test_the_guide_holds_the_web_and_worker_units():
    assert sorted(name for name, _body in _units()) == ["jembatan-web.service", "jembatan-worker.service"]


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is not installed")
def test_the_systemd_units_verify(tmp_path):
    paths = []
    for name, body in _units():
        path = tmp_path / name
        path.write_text(body.replace("/srv/jembatan", str(ROOT)), encoding="utf-8")
        paths.append(str(path))
    result = subprocess.run(["systemd-analyze", "verify", *paths], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "jembatan" not in result.stderr, result.stderr  # no warning about our units either


@pytest.mark.skipif(not shutil.which("logrotate"), reason="logrotate is not installed")
def test_the_logrotate_rule_parses_and_rotates_the_logs(tmp_path):
    rule = re.search(r"`/etc/logrotate.d/jembatan`:\n\n```\n(.*?)```", DEPLOY, re.S).group(1)
    logs = tmp_path / "log"
    logs.mkdir()
    (logs / "web.log").write_text('{"message": "x"}\n')
    config = tmp_path / "jembatan"
    config.write_text(rule.replace("/var/log/jembatan", str(logs)))
    result = subprocess.run(
        ["logrotate", "--debug", "--force", "--state", str(tmp_path / "state"), str(config)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "error" not in result.stderr.lower(), result.stderr
    assert f"considering log {logs / 'web.log'}" in result.stderr


def test_the_proxies_pass_the_protocol_and_a_request_id():
    nginx = re.search(r"```nginx\n(.*?)```", DEPLOY, re.S).group(1)
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in nginx  # SECURE_PROXY_SSL_HEADER
    assert "proxy_set_header X-Request-ID $request_id;" in nginx
    assert "return 301 https://$host$request_uri;" in nginx  # plain HTTP goes to HTTPS
    caddy = re.search(r"TLS with Caddy.*?```\n(.*?)```", DEPLOY, re.S).group(1)
    assert "reverse_proxy 127.0.0.1:8000" in caddy and "X-Request-ID" in caddy
