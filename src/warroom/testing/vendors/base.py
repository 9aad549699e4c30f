"""The base of the fake vendors: a real HTTP server on 127.0.0.1, in a thread, that records
every request, keeps alerts by their dedup key, and fails on demand: `faults` is a queue of
status codes for the next requests (answered with `fault_headers`, e.g. `{"Retry-After": "20"}`),
`delay` makes every answer slow, `gate` holds answers until it is set, and `close()` makes the
provider unreachable. A vendor answers one request at a time in `handle`."""

from __future__ import annotations

import json
import re
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

Answer = tuple[int, dict[str, Any]]


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any
    at: float = field(default_factory=time.perf_counter)  # when it arrived, for benchmarks


@dataclass
class Alert:
    key: str
    summary: str
    status: str = "open"  # open, acknowledged, closed
    triggers: int = 1
    body: dict[str, Any] = field(default_factory=dict)
    service: str = ""  # PagerDuty: the service it was opened on
    id: str = ""


class FakeVendor(ABC):
    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.faults: list[int] = []
        self.fault_headers: dict[str, str] = {}  # sent with each injected fault: Retry-After
        self.delay = 0.0
        self.gate: threading.Event | None = None  # when set: requests wait for it to open
        self.alerts: dict[str, Alert] = {}
        self._lock = threading.Lock()
        self._closing = threading.Event()
        vendor = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                status, data, extra = vendor._handle(
                    self.command, self.path, dict(self.headers), raw
                )
                body = b"" if status == 204 else json.dumps(data).encode()  # No Content
                try:
                    self.send_response(status)
                    for name, value in extra.items():
                        self.send_header(name, value)
                    if body:
                        self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:  # the client gave up (a timeout test)
                    pass

            do_GET = do_POST = do_PUT = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def close(self) -> None:
        """Stop answering: afterwards connections are refused (the provider is down)."""
        if not self._closing.is_set():
            self._closing.set()
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()

    def __enter__(self) -> FakeVendor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _handle(
        self, method: str, target: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        parts = urlsplit(target)
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            return 400, {"message": "body is not JSON"}, {}
        request = Request(method, unquote(parts.path), parse_qs(parts.query), headers, body)
        with self._lock:
            self.requests.append(request)
            fault = self.faults.pop(0) if self.faults else None
        if self.delay:
            self._closing.wait(self.delay)
        if self.gate is not None:
            self.gate.wait(30)
        if fault is not None:
            return fault, {"message": f"injected {fault}"}, dict(self.fault_headers)
        with self._lock:
            return (*self.handle(request), {})

    @abstractmethod
    def handle(self, request: Request) -> Answer:
        """The vendor's answer to one request (called under the lock)."""

    def calls(self, method: str, path_pattern: str) -> list[Request]:
        pattern = re.compile(path_pattern)
        return [r for r in self.requests if r.method == method and pattern.fullmatch(r.path)]
