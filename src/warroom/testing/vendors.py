"""Fake Opsgenie, PagerDuty and Jira servers: real HTTP on 127.0.0.1, in a thread, with state.

They answer the calls warroom makes in the vendors' shapes, keep alerts by their dedup key the
way the vendors do (a second trigger with the same key is the same alert), record every
request, and refuse what the vendors refuse: PagerDuty an unknown routing key (400 "Invalid
routing key") or service (404), REST changes without a `From` header, a second open incident
with the same key on a service; Opsgenie processes alert requests after answering 202 and
reports each one's outcome at `/v2/alerts/requests/{id}` (404 until processed; an action on an
alias it does not know fails there); Jira answers 410 on the removed `/rest/api/3/search`.
They fail on demand: `faults` is a queue of status codes for the next requests (answered with
`fault_headers`, e.g. `{"Retry-After": "20"}`), `delay` makes
every answer slow, `gate` holds answers until it is set, and `close()` makes the provider
unreachable.

    with FakeOpsgenie(key="k") as og:
        og.schedule("IMOC Primary", og.user("alice@example.com", "Alice Archer", "1-5550100"))
        pager = OpsgeniePager(api_url=og.url, api_key="k", timeout=5)
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
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
                body = json.dumps(data).encode()
                try:
                    self.send_response(status)
                    for name, value in extra.items():
                        self.send_header(name, value)
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


class FakeOpsgenie(FakeVendor):
    """Opsgenie REST v2: schedules' on-calls, users and contacts, alerts by alias.

    Alert requests (create, acknowledge, close) answer 202 with a `requestId`; the request is
    processed after `processing_polls` looks at `GET /v2/alerts/requests/{id}` (404 until then).
    `request_failures` is a queue of Opsgenie status texts: the next alert requests fail with
    them (`isSuccess: false`) and change nothing."""

    def __init__(self, *, key: str) -> None:
        self.key = key
        self.schedules: dict[str, list[str]] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.processing_polls = 1
        self.request_failures: list[str] = []
        self.alert_requests: dict[str, dict[str, Any]] = {}
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
        if method == "GET" and (m := re.fullmatch(r"/v2/alerts/requests/([^/]+)", path)):
            return self._request_status(m[1])
        if method == "POST" and path == "/v2/alerts":
            body = request.body or {}
            if not body.get("message"):
                return 422, {"message": "Request body is not processable", "errors": {
                    "message": "Message can not be empty."}}  # fmt: skip
            alias = body.get("alias") or f"auto-{len(self.alerts)}"
            return self._accept("Create", alias, lambda: self._create(alias, body))
        if m := re.fullmatch(r"/v2/alerts/(.+)/(acknowledge|close)", path):
            if request.query.get("identifierType") != ["alias"]:
                return 400, {"message": "identifierType must be alias here"}
            alias, action = m[1], m[2]
            return self._accept(action.capitalize(), alias, lambda: self._change(alias, action))
        return 404, {"message": f"no route {method} {path}"}

    def _create(self, alias: str, body: dict[str, Any]) -> tuple[bool, str]:
        alert = self.alerts.get(alias)
        if alert is not None and alert.status != "closed":
            alert.triggers += 1  # Opsgenie's deduplication by alias
            return True, "Alert is updated: count is incremented"
        self.alerts[alias] = Alert(alias, body.get("message", ""), body=body)
        return True, "Created alert"

    def _change(self, alias: str, action: str) -> tuple[bool, str]:
        alert = self.alerts.get(alias)
        if alert is None:
            return False, "Alert does not exist"
        if alert.status == "closed":
            return False, "Alert is already closed"
        alert.status = "acknowledged" if action == "acknowledge" else "closed"
        return True, "Acknowledged" if action == "acknowledge" else "Closed"

    def _accept(self, action: str, alias: str, apply: Any) -> Answer:
        """202 now; processed (applied, or refused) when its status is first asked for."""
        request_id = str(uuid.uuid4())
        failure = self.request_failures.pop(0) if self.request_failures else None
        if failure is not None:
            success, status = False, failure
        else:
            success, status = apply()
        self.alert_requests[request_id] = {
            "action": action, "alias": alias, "isSuccess": success, "status": status,
            "polls_left": self.processing_polls,
        }  # fmt: skip
        return 202, {"result": "Request will be processed", "took": 0.01, "requestId": request_id}

    def _request_status(self, request_id: str) -> Answer:
        found = self.alert_requests.get(request_id)
        if found is None or found["polls_left"] > 0:
            if found is not None:
                found["polls_left"] -= 1
            return 404, {"message": "Request not found. It might not be processed, yet.",
                         "took": 0.001, "requestId": str(uuid.uuid4())}  # fmt: skip
        alert = self.alerts.get(found["alias"])
        data = {
            "success": found["isSuccess"], "action": found["action"],
            "processedAt": "2017-02-23T22:42:00.000Z", "integrationId": "i-warroom",
            "isSuccess": found["isSuccess"], "status": found["status"],
            "alertId": alert.id or alert.key if alert is not None else "", "alias": found["alias"],
        }  # fmt: skip
        return 200, {"data": data, "took": 0.001, "requestId": str(uuid.uuid4())}


@dataclass
class Service:
    id: str
    routing_key: str | None = None  # its Events API v2 integration's key
    escalation_policy: str | None = None


class FakePagerDuty(FakeVendor):
    """PagerDuty REST v2 (oncalls, contact methods, users, incidents) and Events v2 (enqueue by
    routing key and dedup_key). Each service has its own integration key; `alerts[key].service`
    says which service a page reached. `routing_key` adds a service `PDEFAULT` with that key.

    `page_size` is the most on-calls one answer holds (PagerDuty: 100, default `limit` 25);
    `broken_users` are users whose contact methods answer 500."""

    def __init__(self, *, token: str, routing_key: str | None = None, page_size: int = 100) -> None:
        self.token = token
        self.services: dict[str, Service] = {}
        self.schedules: dict[str, list[str]] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.page_size = page_size
        self.broken_users: set[str] = set()
        if routing_key is not None:
            self.service("PDEFAULT", routing_key=routing_key)
        super().__init__()

    def service(
        self,
        service_id: str,
        *,
        routing_key: str | None = None,
        escalation_policy: str | None = None,
    ) -> str:
        self.services[service_id] = Service(service_id, routing_key, escalation_policy)
        return service_id

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
        path, method = request.path, request.method
        if method == "GET" and path == "/oncalls":
            return self._oncalls(request)
        if m := re.fullmatch(r"/users/([^/]+)/contact_methods", path):
            return self._contact_methods(m[1])
        if method == "GET" and path == "/users":
            query = (request.query.get("query") or [""])[0].lower()
            users = [
                {"id": uid, "type": "user", "name": u["name"], "email": u["email"]}
                for uid, u in self.users.items()
                if query in u["email"].lower() or query in u["name"].lower()
            ]
            return 200, {"users": users, "limit": 25, "offset": 0, "more": False}
        if path == "/incidents" or path.startswith("/incidents/"):
            if method != "GET" and not request.headers.get("From"):
                return 400, {"error": {"message": "Invalid Input Provided", "code": 2001,
                                       "errors": ["The From header is required"]}}  # fmt: skip
            if method == "POST" and path == "/incidents":
                return self._create_incident(request.body or {})
            if method == "GET" and path == "/incidents":
                return self._incidents(request)
            if method == "PUT" and (m := re.fullmatch(r"/incidents/([^/]+)", path)):
                return self._update_incident(m[1], request.body or {})
        return 404, {"error": {"message": f"no route {method} {path}", "code": 2100}}

    def _oncalls(self, request: Request) -> Answer:
        limit = min(int((request.query.get("limit") or ["25"])[0]), 100, self.page_size)
        offset = int((request.query.get("offset") or ["0"])[0])
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
        page = oncalls[offset : offset + limit]
        more = offset + limit < len(oncalls)
        return 200, {"oncalls": page, "limit": limit, "offset": offset, "more": more}

    def _contact_methods(self, user_id: str) -> Answer:
        if user_id in self.broken_users:
            return 500, {"error": {"message": "Internal error", "code": 1000}}
        found = self.users.get(user_id)
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

    def _open(self, key: str, service: str) -> Alert | None:
        alert = self.alerts.get(key)
        if alert is not None and alert.service == service and alert.status != "closed":
            return alert
        return None

    def _event(self, body: dict[str, Any]) -> Answer:
        service = next(
            (s for s in self.services.values() if s.routing_key and s.routing_key == body.get(
                "routing_key")), None,
        )  # fmt: skip
        if service is None:
            return 400, {"status": "invalid event", "message": "Event object is invalid",
                         "errors": ["Invalid routing key"]}  # fmt: skip
        action, key = body.get("event_action"), body.get("dedup_key") or ""
        alert = self._open(key, service.id)
        if action == "trigger":
            if alert is not None:
                alert.triggers += 1
            else:
                summary = (body.get("payload") or {}).get("summary", "")
                self.alerts[key] = Alert(key, summary, body=body, service=service.id,
                                         id=f"Q{len(self.alerts) + 1:06d}")  # fmt: skip
        elif action in ("acknowledge", "resolve") and alert is not None:
            alert.status = "acknowledged" if action == "acknowledge" else "closed"
        return 202, {"status": "success", "message": "Event processed", "dedup_key": key}

    def _create_incident(self, body: dict[str, Any]) -> Answer:
        incident = body.get("incident") or {}
        service_id = (incident.get("service") or {}).get("id")
        if service_id not in self.services:
            return 404, {"error": {"message": "Not Found", "code": 2100,
                                   "errors": [f"Service {service_id} not found"]}}  # fmt: skip
        for assignment in incident.get("assignments") or []:
            if (assignment.get("assignee") or {}).get("id") not in self.users:
                return 400, {"error": {"message": "Invalid Input Provided", "code": 2001,
                                       "errors": ["Assignee not found"]}}  # fmt: skip
        key = incident.get("incident_key") or f"auto-{len(self.alerts)}"
        if self._open(key, service_id) is not None:
            said = "Open incident with matching dedup key already exists on this service"
            return 400, {"error": {"message": "Incident Already Exists", "code": 2001,
                                   "errors": [said]}}  # fmt: skip
        alert = Alert(key, incident.get("title", ""), body=body, service=service_id,
                      id=f"Q{len(self.alerts) + 1:06d}")  # fmt: skip
        self.alerts[key] = alert
        return 201, {"incident": self._incident(alert)}

    def _incident(self, alert: Alert) -> dict[str, Any]:
        status = {"open": "triggered", "acknowledged": "acknowledged"}.get(alert.status, "resolved")
        return {"id": alert.id, "type": "incident", "title": alert.summary, "status": status,
                "incident_key": alert.key,
                "service": {"id": alert.service, "type": "service_reference"}}  # fmt: skip

    def _incidents(self, request: Request) -> Answer:
        keys = request.query.get("incident_key")
        statuses = request.query.get("statuses[]")
        found = [
            self._incident(a)
            for a in self.alerts.values()
            if (keys is None or a.key in keys)
            and (statuses is None or self._incident(a)["status"] in statuses)
        ]
        return 200, {"incidents": found, "limit": 25, "offset": 0, "more": False}

    def _update_incident(self, incident_id: str, body: dict[str, Any]) -> Answer:
        alert = next((a for a in self.alerts.values() if a.id == incident_id), None)
        if alert is None:
            return 404, {"error": {"message": "Not Found", "code": 2100}}
        status = (body.get("incident") or {}).get("status")
        if status not in ("acknowledged", "resolved"):
            return 400, {"error": {"message": "Invalid Input Provided", "code": 2001}}
        alert.status = "acknowledged" if status == "acknowledged" else "closed"
        return 200, {"incident": self._incident(alert)}


class FakeJira(FakeVendor):
    """Jira Cloud REST v3: issue search by label (JQL, at `/rest/api/3/search/jql`; the removed
    `/rest/api/3/search` answers 410) and issue creation, basic auth. `projects`: the project
    keys that exist (None: any)."""

    def __init__(self, *, email: str, token: str, projects: set[str] | None = None) -> None:
        import base64

        self.auth = "Basic " + base64.b64encode(f"{email}:{token}".encode()).decode()
        self.issues: list[dict[str, Any]] = []
        self.projects = projects
        super().__init__()

    def handle(self, request: Request) -> Answer:
        if request.headers.get("Authorization") != self.auth:
            return 401, {"errorMessages": ["Client must be authenticated"], "errors": {}}
        if request.path == "/rest/api/3/search":
            return 410, {"errorMessages": [
                "The requested API has been removed. Please migrate to the /rest/api/3/search/jql "
                "API."], "errors": {}}  # fmt: skip
        if request.path == "/rest/api/3/search/jql" and request.method in ("GET", "POST"):
            if request.method == "GET":
                jql = (request.query.get("jql") or [""])[0]
            else:
                jql = str((request.body or {}).get("jql") or "")
            return self._search(jql)
        if request.method == "POST" and request.path == "/rest/api/3/issue":
            fields = (request.body or {}).get("fields") or {}
            project = (fields.get("project") or {}).get("key")
            if not project or not fields.get("summary"):
                return 400, {"errorMessages": [], "errors": {"project": "project is required"}}
            if self.projects is not None and project not in self.projects:
                return 400, {"errorMessages": [], "errors": {
                    "project": "valid project is required"}}  # fmt: skip
            issue_id = str(10000 + len(self.issues))
            key = f"{project}-{len(self.issues) + 1}"
            self.issues.append({"id": issue_id, "key": key, "fields": fields})
            return 201, {
                "id": issue_id,
                "key": key,
                "self": f"{self.url}/rest/api/3/issue/{issue_id}",
            }
        return 404, {"errorMessages": [f"no route {request.method} {request.path}"]}

    def _search(self, jql: str) -> Answer:
        project = re.search(r'project = "([^"]+)"', jql)
        if project and self.projects is not None and project[1] not in self.projects:
            return 400, {"errorMessages": [
                f"The value '{project[1]}' does not exist for the field 'project'."],
                "errors": {}}  # fmt: skip
        label = re.search(r'labels = "([^"]+)"', jql)
        found = [
            {"id": i["id"], "key": i["key"], "fields": {"summary": i["fields"]["summary"]}}
            for i in self.issues
            if label and label[1] in i["fields"].get("labels", [])
        ]
        return 200, {"issues": found[:1], "isLast": True}
