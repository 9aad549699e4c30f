"""Fake Opsgenie and PagerDuty servers: real HTTP on 127.0.0.1, in a thread, with state.

They answer the calls warroom makes in the vendors' shapes, keep alerts by their dedup key the
way the vendors do (a second trigger with the same key is the same alert), record every
request, and fail on demand: `faults` is a queue of status codes for the next requests,
`delay` makes every answer slow, `gate` holds answers until it is set, and `close()`
makes the provider unreachable.

    with FakeOpsgenie(key="k") as og:
        og.schedule("IMOC Primary", og.user("alice@example.com", "Alice Archer", "1-5550100"))
        pager = OpsgeniePager(api_url=og.url, api_key="k", timeout=5)
"""

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


class FakeVendor(ABC):
    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.faults: list[int] = []
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
                status, data = vendor._handle(self.command, self.path, dict(self.headers), raw)
                body = json.dumps(data).encode()
                try:
                    self.send_response(status)
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

    def _handle(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> Answer:
        parts = urlsplit(target)
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            return 400, {"message": "body is not JSON"}
        request = Request(method, unquote(parts.path), parse_qs(parts.query), headers, body)
        with self._lock:
            self.requests.append(request)
            fault = self.faults.pop(0) if self.faults else None
        if self.delay:
            self._closing.wait(self.delay)
        if self.gate is not None:
            self.gate.wait(30)
        if fault is not None:
            return fault, {"message": f"injected {fault}"}
        with self._lock:
            return self.handle(request)

    @abstractmethod
    def handle(self, request: Request) -> Answer:
        """The vendor's answer to one request (called under the lock)."""

    def calls(self, method: str, path_pattern: str) -> list[Request]:
        pattern = re.compile(path_pattern)
        return [r for r in self.requests if r.method == method and pattern.fullmatch(r.path)]


class FakeOpsgenie(FakeVendor):
    """Opsgenie REST v2: schedules' on-calls, users and contacts, alerts by alias."""

    def __init__(self, *, key: str) -> None:
        self.key = key
        self.schedules: dict[str, list[str]] = {}
        self.users: dict[str, dict[str, Any]] = {}
        super().__init__()

    def user(self, username: str, name: str, phone: str | None, tz: str = "UTC") -> str:
        """Add a user; `phone` as Opsgenie writes it: `1-5550100`."""
        self.users[username] = {"fullName": name, "timeZone": tz, "phone": phone}
        return username

    def schedule(self, name: str, *usernames: str) -> None:
        self.schedules[name] = list(usernames)

    def handle(self, request: Request) -> Answer:
        if request.headers.get("Authorization") != f"GenieKey {self.key}":
            return 401, {"message": "Could not authenticate", "took": 0.0, "requestId": "r"}
        ok = {"result": "Request will be processed", "took": 0.01, "requestId": "r1"}
        path, method = request.path, request.method
        if m := re.fullmatch(r"/v2/schedules/(.+)/on-calls", path):
            if m[1] not in self.schedules:
                return 404, {"message": f"No schedule exists with name [{m[1]}]"}
            data = {"_parent": {"name": m[1]}, "onCallRecipients": self.schedules[m[1]]}
            return 200, {"data": data, "took": 0.01, "requestId": "r"}
        if m := re.fullmatch(r"/v2/users/([^/]+)(/contacts)?", path):
            user = self.users.get(m[1])
            if user is None:
                return 404, {"message": "No user exists with username"}
            if m[2]:
                contacts = [{"method": "voice", "to": user["phone"]}] if user["phone"] else []
                contacts.append({"method": "email", "to": m[1]})
                return 200, {"data": contacts, "took": 0.01, "requestId": "r"}
            info = {"username": m[1], "fullName": user["fullName"], "timeZone": user["timeZone"]}
            return 200, {"data": info, "took": 0.01, "requestId": "r"}
        if method == "POST" and path == "/v2/alerts":
            body = request.body or {}
            alias = body.get("alias") or f"auto-{len(self.alerts)}"
            alert = self.alerts.get(alias)
            if alert is not None and alert.status != "closed":
                alert.triggers += 1  # Opsgenie's deduplication by alias
            else:
                self.alerts[alias] = Alert(alias, body.get("message", ""), body=body)
            return 202, ok
        if m := re.fullmatch(r"/v2/alerts/(.+)/(acknowledge|close)", path):
            if request.query.get("identifierType") != ["alias"] or m[1] not in self.alerts:
                return 404, {"message": "Alert not found"}
            self.alerts[m[1]].status = "acknowledged" if m[2] == "acknowledge" else "closed"
            return 202, ok
        return 404, {"message": f"no route {method} {path}"}


class FakePagerDuty(FakeVendor):
    """PagerDuty REST v2 (oncalls, contact methods) and Events v2 (enqueue by dedup_key)."""

    def __init__(self, *, token: str, routing_key: str) -> None:
        self.token = token
        self.routing_key = routing_key
        self.schedules: dict[str, list[str]] = {}
        self.users: dict[str, dict[str, Any]] = {}
        super().__init__()

    def user(self, user_id: str, name: str, email: str, phone: tuple[int, str] | None) -> str:
        self.users[user_id] = {"name": name, "email": email, "phone": phone}
        return user_id

    def schedule(self, schedule_id: str, *user_ids: str) -> None:
        self.schedules[schedule_id] = list(user_ids)

    def handle(self, request: Request) -> Answer:
        if request.path == "/v2/enqueue":
            return self._event(request.body or {})
        if request.headers.get("Authorization") != f"Token token={self.token}":
            return 401, {"error": {"message": "Unauthorized", "code": 2006}}
        if not request.headers.get("Accept", "").startswith("application/vnd.pagerduty+json"):
            return 406, {"error": {"message": "Not acceptable", "code": 2000}}
        if request.path == "/oncalls":
            oncalls = []
            for schedule_id in request.query.get("schedule_ids[]", []):
                for level, uid in enumerate(self.schedules.get(schedule_id, []), start=1):
                    user = self.users[uid]
                    oncalls.append(
                        {
                            "escalation_level": level,
                            "schedule": {"id": schedule_id, "type": "schedule_reference"},
                            "user": {"id": uid, "type": "user", "name": user["name"],
                                     "summary": user["name"], "email": user["email"],
                                     "time_zone": "Etc/UTC"},
                        }
                    )  # fmt: skip
            return 200, {"oncalls": oncalls, "limit": 25, "offset": 0, "more": False}
        if m := re.fullmatch(r"/users/([^/]+)/contact_methods", request.path):
            found = self.users.get(m[1])
            if found is None:
                return 404, {"error": {"message": "Not Found", "code": 2100}}
            methods: list[dict[str, Any]] = [
                {"id": "E1", "type": "email_contact_method", "address": found["email"]}
            ]
            if found["phone"]:
                code, number = found["phone"]
                methods.append(
                    {"id": "P1", "type": "phone_contact_method", "country_code": code,
                     "address": number}
                )  # fmt: skip
            return 200, {"contact_methods": methods}
        return 404, {"error": {"message": f"no route {request.path}", "code": 2100}}

    def _event(self, body: dict[str, Any]) -> Answer:
        if body.get("routing_key") != self.routing_key:
            return 400, {"status": "invalid event", "message": "Event object is invalid",
                         "errors": ["Invalid routing key"]}  # fmt: skip
        action, key = body.get("event_action"), body.get("dedup_key") or ""
        alert = self.alerts.get(key)
        if action == "trigger":
            if alert is not None and alert.status != "closed":
                alert.triggers += 1
            else:
                summary = (body.get("payload") or {}).get("summary", "")
                self.alerts[key] = Alert(key, summary, body=body)
        elif action in ("acknowledge", "resolve") and alert is not None:
            alert.status = "acknowledged" if action == "acknowledge" else "closed"
        return 202, {"status": "success", "message": "Event processed", "dedup_key": key}


class FakeJira(FakeVendor):
    """Jira Cloud REST v3: issue search by label (JQL) and issue creation, basic auth."""

    def __init__(self, *, email: str, token: str) -> None:
        import base64

        self.auth = "Basic " + base64.b64encode(f"{email}:{token}".encode()).decode()
        self.issues: list[dict[str, Any]] = []
        super().__init__()

    def handle(self, request: Request) -> Answer:
        if request.headers.get("Authorization") != self.auth:
            return 401, {"errorMessages": ["Client must be authenticated"], "errors": {}}
        if request.method == "GET" and request.path == "/rest/api/3/search":
            jql = (request.query.get("jql") or [""])[0]
            label = re.search(r'labels = "([^"]+)"', jql)
            found = [
                {"id": i["id"], "key": i["key"], "fields": {"summary": i["fields"]["summary"]}}
                for i in self.issues
                if label and label[1] in i["fields"].get("labels", [])
            ]
            return 200, {"startAt": 0, "maxResults": 1, "total": len(found), "issues": found[:1]}
        if request.method == "POST" and request.path == "/rest/api/3/issue":
            fields = (request.body or {}).get("fields") or {}
            project = (fields.get("project") or {}).get("key")
            if not project or not fields.get("summary"):
                return 400, {"errorMessages": [], "errors": {"project": "project is required"}}
            issue_id = str(10000 + len(self.issues))
            key = f"{project}-{len(self.issues) + 1}"
            self.issues.append({"id": issue_id, "key": key, "fields": fields})
            return 201, {
                "id": issue_id,
                "key": key,
                "self": f"{self.url}/rest/api/3/issue/{issue_id}",
            }
        return 404, {"errorMessages": [f"no route {request.method} {request.path}"]}
