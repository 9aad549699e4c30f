"""Jira Cloud REST API v3: an issue of the configured type in the configured project for each
incident paged with `!ir page`; its link goes to the channel and, through the timeline, into
the report.

Jira has no dedup key, so the intent's key is put on the issue as a label and looked up
before creating: a retry or a redelivery after a crash finds the issue it made before.
Search is `/rest/api/3/search/jql` (the old `/rest/api/3/search` answers 410 Gone on Jira
Cloud). The same labels read the issues' states back (`issue_states`): an action item whose
issue is done in Jira is done in warroom (app/actions.py).
When Jira refuses a request, its `errorMessages` and `errors` are what the people in
chat are told.
Credentials come from the environment only (`Secrets`): JIRA_EMAIL and JIRA_API_TOKEN.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

import httpx

from warroom.ports import IssueState, PagerError
from warroom.providers.http import call, json_of

VENDOR = "Jira"
LABELS_PER_SEARCH = 50  # labels in one JQL `labels in (...)`
PAGE_SIZE = 100
MAX_PAGES = 20  # of one search: a runaway answer stops here


class JiraTracker:
    def __init__(
        self,
        *,
        url: str,
        project: str,
        issue_type: str,
        email: str,
        api_token: str,
        timeout: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.project = project
        self.issue_type = issue_type
        self._client = httpx.AsyncClient(
            timeout=timeout,
            transport=transport,
            auth=httpx.BasicAuth(email, api_token),
            headers={"Accept": "application/json"},
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    def link(self, key: str) -> str:
        return f"{self.url}/browse/{key}"

    async def open_issue(self, *, key: str, summary: str, description: str) -> str:
        label = _label(key)
        found = await self.find_issue(label=label)
        if found is None:
            found = await self.create_issue(label=label, summary=summary, description=description)
        return self.link(found)

    async def find_issue(self, *, label: str) -> str | None:
        """The key of the project's issue carrying `label`, if there is one."""
        response = await call(
            self._client, "GET", f"{self.url}/rest/api/3/search/jql", vendor=VENDOR,
            params={"jql": f'project = "{self.project}" AND labels = "{label}"',
                    "maxResults": "1", "fields": "summary"},
        )  # fmt: skip
        issues = json_of(response, vendor=VENDOR).get("issues") or []
        return str(issues[0]["key"]) if issues and issues[0].get("key") else None

    async def issue_states(self, *, keys: Sequence[str]) -> dict[str, IssueState]:
        """The status of the project's issues labelled with `keys`' labels, found with
        `POST /search/jql` (labels in batches, pages followed by `nextPageToken`)."""
        by_label = {_label(k): k for k in keys}
        labels = list(by_label)
        found: dict[str, IssueState] = {}
        for start in range(0, len(labels), LABELS_PER_SEARCH):
            batch = labels[start : start + LABELS_PER_SEARCH]
            quoted = ", ".join(f'"{label}"' for label in batch)
            jql = f'project = "{self.project}" AND labels in ({quoted})'
            async for issue in self._search(jql, fields=["status", "labels"]):
                state = _state(issue)
                if state is None:
                    continue
                for label in (issue.get("fields") or {}).get("labels") or []:
                    if label in by_label:
                        found[by_label[label]] = state
        return found

    async def _search(self, jql: str, *, fields: list[str]) -> AsyncIterator[dict[str, Any]]:
        token: str | None = None
        for _ in range(MAX_PAGES):
            body: dict[str, Any] = {"jql": jql, "fields": fields, "maxResults": PAGE_SIZE}
            if token:
                body["nextPageToken"] = token
            response = await call(
                self._client, "POST", f"{self.url}/rest/api/3/search/jql", vendor=VENDOR,
                json=body,
            )  # fmt: skip
            page = json_of(response, vendor=VENDOR)
            for issue in page.get("issues") or []:
                yield issue
            token = page.get("nextPageToken")
            if page.get("isLast", True) or not token:
                return

    async def create_issue(self, *, label: str, summary: str, description: str) -> str:
        fields: dict[str, Any] = {
            "project": {"key": self.project},
            "issuetype": {"name": self.issue_type},
            "summary": summary[:250],
            "labels": [label],
            "description": _adf(description),
        }
        created = await call(
            self._client, "POST", f"{self.url}/rest/api/3/issue", vendor=VENDOR,
            json={"fields": fields},
        )  # fmt: skip
        issue_key = json_of(created, vendor=VENDOR).get("key")
        if not issue_key:
            raise PagerError("Jira created no issue key")
        return str(issue_key)


def _label(key: str) -> str:
    """Jira labels take no spaces."""
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in key)[:255]


def _adf(text: str) -> dict[str, Any]:
    """Plain text as an Atlassian Document Format document, one paragraph per line."""
    paragraphs = [
        {"type": "paragraph", "content": [{"type": "text", "text": part}]}
        for part in text.splitlines()
        if part.strip()
    ]
    return {"type": "doc", "version": 1, "content": paragraphs}


def _state(issue: dict[str, Any]) -> IssueState | None:
    """An issue's status from a search answer (`fields.status`), or None when it has none."""
    status = (issue.get("fields") or {}).get("status") or {}
    if not issue.get("key") or not status.get("name"):
        return None
    category = (status.get("statusCategory") or {}).get("key")
    return IssueState(issue=str(issue["key"]), status=str(status["name"]), done=category == "done")
