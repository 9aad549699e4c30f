"""A fake Jira Cloud (REST v3): issue search by label and issue creation."""

from __future__ import annotations

import re
from typing import Any

from warroom.testing.vendors.base import Answer, FakeVendor, Request


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
