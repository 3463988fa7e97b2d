"""Fixtures for the notification tests: a private VAR_DIR and a real HTTP gateway on localhost."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@pytest.fixture(autouse=True)
def _var_dir_in_tmp(settings, tmp_path):
    # The file provider writes under VAR_DIR; each test gets its own.
    settings.VAR_DIR = tmp_path / "var"


class Gateway:
    """A tiny SMS/WhatsApp gateway: records every POST and answers with the next scripted status."""

    def __init__(self):
        self.requests = []
        self.statuses = []  # consumed one per request; 200 once empty
        self.on_request = None  # called with the request's headers before answering (a slow gateway)
        self.lock = threading.Lock()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if gateway.on_request is not None:
                    gateway.on_request(dict(self.headers))
                with gateway.lock:
                    status = gateway.statuses.pop(0) if gateway.statuses else 200
                    gateway.requests.append(
                        {
                            "path": self.path,
                            "headers": dict(self.headers),
                            "json": json.loads(body or b"null"),
                            "status": status,
                        }
                    )
                    number = len(gateway.requests)
                if 300 <= status < 400:
                    self.send_response(status)
                    self.send_header("Location", "/elsewhere")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                payload = json.dumps({"id": f"gw-{number}"} if status < 300 else {"error": "busy"}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self):  # only reached if a client followed a redirect
                with gateway.lock:
                    gateway.requests.append(
                        {"path": self.path, "headers": dict(self.headers), "json": None, "status": 200}
                    )
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def accepted(self):
        """The messages the gateway took (answered 2xx): what a phone would actually receive."""
        return [r for r in self.requests if 200 <= r["status"] < 300]


@pytest.fixture
def gateway():
    gw = Gateway()
    gw.thread.start()
    yield gw
    gw.server.shutdown()
    gw.server.server_close()


@pytest.fixture
def sms_gateway(settings, gateway):
    """Route SMS (and WhatsApp) through the HTTP provider to the local gateway."""
    settings.NOTIFY_SMS_PROVIDER = "http"
    settings.NOTIFY_SMS_HTTP_URL = gateway.url
    settings.NOTIFY_SMS_HTTP_TOKEN = "sms-token"
    settings.NOTIFY_WHATSAPP_PROVIDER = "http"
    settings.NOTIFY_WHATSAPP_HTTP_URL = gateway.url
    settings.NOTIFY_WHATSAPP_HTTP_TOKEN = "wa-token"
    settings.NOTIFY_HTTP_TIMEOUT = 5
    return gateway
