"""A local stand-in for SP4N-LAPOR!'s integration API: a real HTTP server on 127.0.0.1, in a thread.

It follows only what LAPOR! published (docs/lapor-adapter.md): a POST with a JSON body,
authenticated by the key token LAPOR!'s team issued (parameter "KEYTOKEN"), answered with the
report's TrackingID. It checks the token (401 otherwise), that the body is a JSON object with a
title and a text, and that no confidential report comes in (LAPOR!'s public data never carries
one; an integration that sends one is at fault): 400 otherwise. Nothing else is assumed.

`script` makes it misbehave, one entry per request, to exercise the outbox: "500" (an error
page), "timeout" (holds the request past the client's timeout and drops it unprocessed).
"""

import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler

from jembatan.federation import lapor
from jembatan.tests.loopback import LoopbackServer


class FakeLapor(LoopbackServer):
    def __init__(self, *, token, token_name="KEYTOKEN", token_in="header", stall_seconds=2.5):
        self.token, self.token_name, self.token_in = token, token_name, token_in
        self.stall_seconds = stall_seconds
        self.script = []  # consumed one per request; empty: behave
        self.requests = []  # (path, headers, raw body) of every request, whatever became of it
        self.reports = []  # the bodies it took, each given a TrackingID
        self.tracking_ids = itertools.count(7_000_001)
        self.lock = threading.Lock()
        super().__init__(self._handler())

    @property
    def url(self):
        return f"{self.origin}/api/integrasi/laporan"

    def judge(self, headers, body):
        """(status, answer) for one request, as the published shape allows us to say."""
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return 400, {"error": "body is not JSON"}
        if not isinstance(data, dict):
            return 400, {"error": "body is not a JSON object"}
        given = data.pop(self.token_name, None) if self.token_in == "body" else headers.get(self.token_name)
        if given != self.token:
            return 401, {"error": "invalid KEYTOKEN"}
        if not str(data.get(lapor.TITLE, "")).strip() or not str(data.get(lapor.TEXT, "")).strip():
            return 400, {"error": "title and text are required"}
        if "Rahasia" in str(data.get(lapor.TYPE, "")):
            return 400, {"error": "confidential reports are not taken through integration"}
        with self.lock:
            tracking_id = str(next(self.tracking_ids))
            self.reports.append(data)
        return 200, {"TrackingID": tracking_id, lapor.STATUS: "Belum Terverifikasi"}

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with fake.lock:
                    fake.requests.append((self.path, dict(self.headers), body))
                    step = fake.script.pop(0) if fake.script else "ok"
                if step == "timeout":
                    time.sleep(fake.stall_seconds)
                    return  # dropped: the client gave up long ago, nothing was taken
                if step == "echo-token":  # some APIs quote the refused key back in their error
                    given = self.headers.get(fake.token_name) or body.decode("utf-8", "replace")
                    status, answer = 401, {"error": f"invalid KEYTOKEN {given!r}"}
                elif step == "500":
                    status, answer = 500, {"error": "internal error"}
                else:
                    status, answer = fake.judge(self.headers, body)
                payload = json.dumps(answer).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        return Handler
