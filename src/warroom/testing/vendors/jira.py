"""A fake Jira Cloud (REST v3): issue search by label, issue creation, and workflow
transitions, so that issues can be done (or reopened) as people do in Jira."""

from __future__ import annotations

import re
from typing import Any

from warroom.testing.vendors.base import Answer, FakeVendor, Request

# The default workflow of a Jira Cloud team-managed project: transition ID -> the status it
# leads to, and the status's category (`new`, `indeterminate`, `done`).
WORKFLOW: dict[str, tuple[str, str]] = {
    "11": ("To Do", "new"),
    "21": ("In Progress", "indeterminate"),
    "31": ("Done", "done"),
    "41": ("Won't Do", "done"),
}
FIRST = "11"
_CATEGORY_NAMES = {"new": "To Do", "indeterminate": "In Progress", "done": "Done"}
_ISSUE_PATH = re.compile(r"^/rest/api/3/issue/([^/]+)/transitions$")
_NO_ISSUE = "Issue does not exist or you do not have permission to see it."


def status_of(transition: str) -> dict[str, Any]:
    name, category = WORKFLOW[transition]
    return {
        "name": name,
        "id": transition,
        "statusCategory": {"key": category, "name": _CATEGORY_NAMES[category]},
    }


class FakeJira(FakeVendor):
    """Jira Cloud REST v3, basic auth:
    - search with JQL at `/rest/api/3/search/jql`, GET or POST (the removed
      `/rest/api/3/search` answers 410): `project = "K"` and `labels = "l"` or
      `labels in ("a", "b")`; `fields` chooses what each issue carries (`summary`, `status`,
      `labels`); `maxResults` and `nextPageToken` page through;
    - issue creation (`POST /rest/api/3/issue`), a new issue in `To Do`;
    - transitions (`GET`/`POST /rest/api/3/issue/{key}/transitions`): `WORKFLOW`'s IDs; an
      unknown issue is 404, an unknown transition 400, as Jira answers.
    `projects`: the project keys that exist (None: any)."""

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
            return self._search(_search_args(request))
        if request.method == "POST" and request.path == "/rest/api/3/issue":
            return self._create((request.body or {}).get("fields") or {})
        transitions = _ISSUE_PATH.match(request.path)
        if transitions and request.method in ("GET", "POST"):
            return self._transition(transitions[1], request)
        return 404, {"errorMessages": [f"no route {request.method} {request.path}"]}

    def issue(self, key: str) -> dict[str, Any] | None:
        return next((i for i in self.issues if key in (i["key"], i["id"])), None)

    def _create(self, fields: dict[str, Any]) -> Answer:
        project = (fields.get("project") or {}).get("key")
        if not project or not fields.get("summary"):
            return 400, {"errorMessages": [], "errors": {"project": "project is required"}}
        if self.projects is not None and project not in self.projects:
            return 400, {"errorMessages": [], "errors": {"project": "valid project is required"}}
        issue_id = str(10000 + len(self.issues))
        key = f"{project}-{len(self.issues) + 1}"
        stored = {**fields, "status": status_of(FIRST)}
        self.issues.append({"id": issue_id, "key": key, "fields": stored})
        return 201, {"id": issue_id, "key": key, "self": f"{self.url}/rest/api/3/issue/{issue_id}"}

    def _transition(self, key: str, request: Request) -> Answer:
        issue = self.issue(key)
        if issue is None:
            return 404, {"errorMessages": [_NO_ISSUE], "errors": {}}
        if request.method == "GET":
            return 200, {"transitions": [
                {"id": t, "name": name, "to": status_of(t)} for t, (name, _) in WORKFLOW.items()
            ]}  # fmt: skip
        wanted = str(((request.body or {}).get("transition") or {}).get("id") or "")
        if wanted not in WORKFLOW:
            refusal = f"Transition id '{wanted}' is not valid for this issue."
            return 400, {"errorMessages": [refusal], "errors": {}}
        issue["fields"]["status"] = status_of(wanted)
        return 204, {}

    def _search(self, args: dict[str, Any]) -> Answer:
        jql = str(args.get("jql") or "")
        project = re.search(r'project = "([^"]+)"', jql)
        if project and self.projects is not None and project[1] not in self.projects:
            return 400, {"errorMessages": [
                f"The value '{project[1]}' does not exist for the field 'project'."],
                "errors": {}}  # fmt: skip
        labels = _labels(jql)
        if labels is None:
            return 400, {"errorMessages": [f"The fake cannot parse JQL: {jql}"], "errors": {}}
        fields = args["fields"]
        matching = [
            i
            for i in self.issues
            if labels & set(i["fields"].get("labels", []))
            and (project is None or i["key"].startswith(project[1] + "-"))
        ]
        try:
            size = max(1, min(int(args.get("maxResults") or 50), 5000))
            start = int(args.get("nextPageToken") or 0)
        except ValueError:
            return 400, {"errorMessages": ["Invalid maxResults or nextPageToken"], "errors": {}}
        page = matching[start : start + size]
        found = [
            {"id": i["id"], "key": i["key"],
             "fields": {f: i["fields"][f] for f in fields if f in i["fields"]}}
            for i in page
        ]  # fmt: skip
        last = start + size >= len(matching)
        return 200, {"issues": found, "isLast": last,
                     **({} if last else {"nextPageToken": str(start + size)})}  # fmt: skip


def _search_args(request: Request) -> dict[str, Any]:
    """A search's arguments, from the query (GET: `fields` comma-separated) or the body."""
    if request.method == "GET":
        args: dict[str, Any] = {k: v[0] for k, v in request.query.items() if v}
        args["fields"] = [f for f in str(args.get("fields") or "").split(",") if f]
    else:
        args = dict(request.body or {})
        args["fields"] = list(args.get("fields") or [])
    if not args["fields"]:
        args["fields"] = ["summary", "status", "labels"]
    return args


def _labels(jql: str) -> set[str] | None:
    one = re.search(r'labels = "([^"]+)"', jql)
    if one:
        return {one[1]}
    many = re.search(r"labels in \(([^)]*)\)", jql)
    if many:
        return set(re.findall(r'"([^"]+)"', many[1]))
    return None
