"""Jira Cloud REST API v3: an issue of the configured type in the configured project for each
incident paged with `!ir page`; its link goes to the channel and, through the timeline, into
the report.

Jira has no dedup key, so the intent's key is put on the issue as a label and looked up
before creating: a retry or a redelivery after a crash finds the issue it made before.
Search is `GET /rest/api/3/search/jql` (the old `/rest/api/3/search` answers 410 Gone on Jira
Cloud). When Jira refuses a request, its `errorMessages` and `errors` are what the people in
chat are told.
Credentials come from the environment only (`Secrets`): JIRA_EMAIL and JIRA_API_TOKEN.
"""

from __future__ import annotations

from typing import Any

import httpx

from warroom.ports import PagerError
from warroom.providers.http import call, json_of

VENDOR = "Jira"


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
