"""A real HTTP server on 127.0.0.1 in a thread, for the webhook and media tests (no mocks).

It records every POST (headers and body) and answers with scripted statuses; GET serves the
bodies registered in `files`.
"""

import threading
from http.server import BaseHTTPRequestHandler

from jembatan.tests.loopback import LoopbackServer


class LocalServer(LoopbackServer):
    def __init__(self):
        self.received = []  # (path, headers, body)
        self.statuses = []  # consumed one per POST; 200 once empty
        self.files = {}  # path -> (content type, body)
        self.fetched = []  # paths of GET requests
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with server.lock:
                    server.received.append((self.path, dict(self.headers), body))
                    status = server.statuses.pop(0) if server.statuses else 200
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def do_GET(self):
                with server.lock:
                    server.fetched.append(self.path)
                entry = server.files.get(self.path)
                if entry is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                content_type, body = entry
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        super().__init__(Handler)

    @property
    def base_url(self):
        return self.origin
