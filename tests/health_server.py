"""A local HTTP server whose health the test flips: /health, /nocontent (204), /slow,
/statuspage/api/v2/summary.json."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class HealthServer:
    def __init__(self) -> None:
        self.healthy = True
        self.hang = False  # /nocontent answers only after slow_seconds
        self.slow_seconds = 3.0
        self.statuspage: dict[str, Any] = {
            "components": [
                {"name": "Admin", "status": "operational"},
                {"name": "Checkout", "status": "operational"},
                {"name": "Group", "status": "operational", "group": True},
            ],
            "incidents": [],
        }
        self.hits = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.hits += 1
                if self.path == "/health":
                    body = {"status": "ok" if server.healthy else "failing"}
                    self._send(200 if server.healthy else 503, body)
                elif self.path == "/nocontent":  # healthy, as many health checks answer
                    if server.hang:
                        time.sleep(server.slow_seconds)
                    self._send(204 if server.healthy else 503, {})
                elif self.path == "/health-json":
                    self._send(200, {"status": "ok" if server.healthy else "failing"})
                elif self.path == "/slow":
                    time.sleep(server.slow_seconds)
                    self._send(200, {})
                elif self.path == "/statuspage/api/v2/summary.json":
                    self._send(200, server.statuspage)
                else:
                    self._send(404, {})

            def _send(self, code: int, body: dict[str, Any]) -> None:
                raw = b"" if code == 204 else json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(raw)  # the client gave up waiting: that is the point

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
