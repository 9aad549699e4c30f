"""A fake PagerDuty: REST v2 (oncalls, contact methods, users, incidents) and Events v2."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from warroom.testing.vendors.base import Alert, Answer, FakeVendor, Request


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
