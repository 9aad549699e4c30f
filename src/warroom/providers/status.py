"""Status sources: HTTP health checks and the Atlassian Statuspage API, checked concurrently.

A source that fails or hangs past its timeout becomes a component that is `unable to check`,
with the reason; the others still answer.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from warroom.config import StatusSourceSettings
from warroom.core.status import (
    STATUSPAGE_HEALTH,
    Component,
    Health,
    Snapshot,
    StatusIncident,
)

Part = tuple[list[Component], list[StatusIncident]]


class StatusChecker:
    """The StatusSource port: `await checker.snapshot()`."""

    def __init__(
        self, sources: list[StatusSourceSettings], client: httpx.AsyncClient | None = None
    ) -> None:
        self.sources = sources
        self._client = client
        self._own_client = client is None

    @property
    def configured(self) -> bool:
        return bool(self.sources)

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(follow_redirects=True)
        return self._client

    async def snapshot(self) -> Snapshot:
        parts = await asyncio.gather(*(self._check(source) for source in self.sources))
        components = [c for part in parts for c in part[0]]
        incidents = [i for part in parts for i in part[1]]
        return Snapshot(tuple(components), tuple(incidents))

    async def _check(self, source: StatusSourceSettings) -> Part:
        try:
            async with asyncio.timeout(source.timeout):
                if source.kind == "statuspage":
                    return await self._statuspage(source)
                return await self._health(source)
        except TimeoutError:
            reason = f"no answer within {source.timeout}s"
        except httpx.HTTPError as exc:
            reason = _describe(exc)
        except ValueError as exc:  # JSON that is not what the source promised
            reason = f"unreadable answer ({exc})"
        return [Component(source.name, Health.UNKNOWN, reason)], []

    async def _health(self, source: StatusSourceSettings) -> Part:
        response = await self._http().get(source.url, timeout=source.timeout)
        code, wanted = response.status_code, source.expect_status
        if code != wanted if wanted is not None else not 200 <= code < 300:
            detail = f"HTTP {code}, expected {wanted or '2xx'}"
            return [Component(source.name, Health.MAJOR, detail)], []
        if source.json_field:
            value = _dig(response.json(), source.json_field)
            expected = source.json_value
            if expected is not None and str(value) != expected:
                detail = f"{source.json_field} is {value!r}, expected {expected!r}"
                return [Component(source.name, Health.MAJOR, detail)], []
        return [Component(source.name, Health.OPERATIONAL)], []

    async def _statuspage(self, source: StatusSourceSettings) -> Part:
        url = source.url.rstrip("/") + "/api/v2/summary.json"
        response = await self._http().get(url, timeout=source.timeout)
        response.raise_for_status()
        data = response.json()
        components = [
            Component(c["name"], STATUSPAGE_HEALTH.get(c.get("status", ""), Health.UNKNOWN))
            for c in data.get("components", [])
            if not c.get("group")  # groups repeat their members' state
        ]
        incidents = [
            StatusIncident(i["name"], i.get("status", "unknown"), source.name)
            for i in data.get("incidents", [])
            if i.get("status") not in ("resolved", "postmortem")
        ]
        return components, incidents

    async def aclose(self) -> None:
        if self._client is not None and self._own_client:
            await self._client.aclose()


def _dig(data: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(data, dict) or part not in data:
            raise ValueError(f"no field {dotted!r}")
        data = data[part]
    return data


def _describe(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.HTTPStatusError):
        return f"HTTP {exc.response.status_code}"
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if isinstance(exc, httpx.ConnectError):
        return "connection refused or unreachable"
    return type(exc).__name__
