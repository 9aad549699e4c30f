"""A fake Opsgenie (REST v2): schedules' on-calls, users and contacts, alerts by alias, alert
requests answered 202 and processed later."""

from __future__ import annotations

import re
import uuid
from typing import Any

from warroom.testing.vendors.base import Alert, Answer, FakeVendor, Request


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
