"""A real HTTP server on 127.0.0.1 (an ephemeral port) in a daemon thread, for tests that need the
other end of a connection (webhooks, media, SP4N-LAPOR!, the hub's directory): no mocks."""

import threading
from http.server import ThreadingHTTPServer


class LoopbackServer:
    def __init__(self, handler):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def origin(self):
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self):
        self.thread.start()
        return self

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()
        return False
