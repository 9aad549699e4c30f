"""PagerDuty: REST API v2 for who is on call (oncalls, users' contact methods) and Events API
v2 for pages (trigger with a dedup_key, acknowledge, resolve).

Keys come from the environment only (`Secrets`): PAGERDUTY_API_TOKEN (REST, read-only is enough) and
PAGERDUTY_ROUTING_KEY (the Events API v2 integration key of the service to page).
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from warroom.core.oncall import Contact
from warroom.ports import PagerError
from warroom.providers.http import call, json_of

VENDOR = "PagerDuty"
ACCEPT = "application/vnd.pagerduty+json;version=2"
PHONE_TYPES = ("phone_contact_method", "sms_contact_method")


class PagerDutyPager:
    name = "pagerduty"

    def __init__(
        self,
        *,
        api_url: str,
        events_url: str,
        api_token: str | None,
        routing_key: str | None,
        timeout: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.events_url = events_url.rstrip("/")
        self._token = api_token
        self._routing_key = routing_key
        self._client = httpx.AsyncClient(timeout=timeout, transport=transport)

    async def aclose(self) -> None:
        await self._client.aclose()

    def _headers(self) -> dict[str, str]:
        if not self._token:
            raise PagerError("PAGERDUTY_API_TOKEN is not set")
        return {
            "Authorization": f"Token token={self._token}",
            "Accept": ACCEPT,
            "Content-Type": "application/json",
        }

    async def _get(self, path: str, params: list[tuple[str, str]] | None = None) -> dict[str, Any]:
        response = await call(
            self._client, "GET", f"{self.api_url}{path}", vendor=VENDOR,
            headers=self._headers(), params=params,
        )  # fmt: skip
        return json_of(response, vendor=VENDOR)

    async def on_call(self, *, schedule: str) -> list[Contact]:
        data = await self._get(
            "/oncalls",
            [("schedule_ids[]", schedule), ("include[]", "users"), ("earliest", "true")],
        )
        oncalls = sorted(data.get("oncalls") or [], key=lambda o: o.get("escalation_level") or 0)
        users: dict[str, dict[str, Any]] = {}
        for oncall in oncalls:
            user = oncall.get("user") or {}
            if user.get("id"):
                users.setdefault(user["id"], user)
        phones = await asyncio.gather(*(self._phone(uid) for uid in users))
        return [
            Contact(
                name=user.get("name") or user.get("summary") or uid,
                phone=phone,
                email=user.get("email"),
                timezone=user.get("time_zone"),
            )
            for (uid, user), phone in zip(users.items(), phones, strict=True)
        ]

    async def _phone(self, user_id: str) -> str | None:
        data = await self._get(f"/users/{user_id}/contact_methods")
        for method in data.get("contact_methods") or []:
            if method.get("type") in PHONE_TYPES and method.get("address"):
                code = method.get("country_code")
                return f"+{code} {method['address']}" if code else str(method["address"])
        return None

    async def _event(self, action: str, key: str, body: dict[str, Any] | None = None) -> None:
        if not self._routing_key:
            raise PagerError("PAGERDUTY_ROUTING_KEY is not set")
        event: dict[str, Any] = {
            "routing_key": self._routing_key,
            "event_action": action,
            "dedup_key": key,
            **(body or {}),
        }
        await call(self._client, "POST", f"{self.events_url}/enqueue", vendor=VENDOR, json=event)

    async def trigger(
        self, *, key: str, summary: str, schedules: list[str], people: list[Contact]
    ) -> None:
        details = {"schedules": schedules, "on_call": [p.name for p in people]}
        payload = {
            "summary": summary[:1024],
            "source": "warroom",
            "severity": "critical",
            "custom_details": details,
        }
        await self._event("trigger", key, {"payload": payload, "client": "warroom"})

    async def acknowledge(self, *, key: str) -> None:
        await self._event("acknowledge", key)

    async def resolve(self, *, key: str) -> None:
        await self._event("resolve", key)
