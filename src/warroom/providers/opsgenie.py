"""Opsgenie REST API v2: schedules' on-calls, users and their contact methods, and alerts
created with an alias (the dedup key), acknowledged and closed by that alias.

Opsgenie ends support in April 2027: nothing depends on it; it is one provider among three.
The key comes from the environment only (`Secrets`): OPSGENIE_API_KEY.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

import httpx

from warroom.core.oncall import Contact
from warroom.ports import PagerError
from warroom.providers.http import call, json_of

VENDOR = "Opsgenie"
PHONE_METHODS = ("voice", "sms")


class OpsgeniePager:
    name = "opsgenie"

    def __init__(
        self,
        *,
        api_url: str,
        api_key: str | None,
        timeout: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self._key = api_key
        self._client = httpx.AsyncClient(timeout=timeout, transport=transport)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _send(
        self, method: str, path: str, *, params: dict[str, str] | None = None, **kw: Any
    ) -> dict[str, Any]:
        if not self._key:
            raise PagerError("OPSGENIE_API_KEY is not set")
        headers = {"Authorization": f"GenieKey {self._key}"}
        response = await call(
            self._client, method, f"{self.api_url}{path}", vendor=VENDOR, headers=headers,
            params=params, **kw,
        )  # fmt: skip
        return json_of(response, vendor=VENDOR)

    async def on_call(self, *, schedule: str) -> list[Contact]:
        data = await self._send(
            "GET",
            f"/v2/schedules/{quote(schedule, safe='')}/on-calls",
            params={"scheduleIdentifierType": "name", "flat": "true"},
        )
        usernames = list(dict.fromkeys((data.get("data") or {}).get("onCallRecipients") or []))
        return list(await asyncio.gather(*(self._user(u) for u in usernames)))

    async def _user(self, username: str) -> Contact:
        user_path = f"/v2/users/{quote(username, safe='')}"
        user, contacts = await asyncio.gather(
            self._send("GET", user_path), self._send("GET", f"{user_path}/contacts")
        )
        info = user.get("data") or {}
        phone = None
        for contact in contacts.get("data") or []:
            if contact.get("method") in PHONE_METHODS and contact.get("to"):
                phone = _phone(contact["to"])
                break
        return Contact(
            name=info.get("fullName") or username,
            phone=phone,
            email=info.get("username") or username,
            timezone=info.get("timeZone"),
        )

    async def trigger(
        self, *, key: str, summary: str, schedules: list[str], people: list[Contact]
    ) -> None:
        responders = [{"type": "schedule", "name": s} for s in schedules]
        if not responders:  # a person: by their Opsgenie username, their e-mail
            responders = [{"type": "user", "username": p.email} for p in people if p.email]
        body = {
            "message": summary[:130],
            "alias": key[:512],
            "description": summary[:15000],
            "responders": responders,
            "source": "warroom",
            "priority": "P1",
        }
        await self._send("POST", "/v2/alerts", json=body)

    async def acknowledge(self, *, key: str) -> None:
        await self._alias_action(key, "acknowledge")

    async def resolve(self, *, key: str) -> None:
        await self._alias_action(key, "close")

    async def _alias_action(self, key: str, action: str) -> None:
        await self._send(
            "POST",
            f"/v2/alerts/{quote(key, safe='')}/{action}",
            params={"identifierType": "alias"},
            json={"source": "warroom"},
        )


def _phone(raw: str) -> str:
    """Opsgenie writes `1-5550100` (country code, dash, number): show it as `+1 5550100`."""
    code, dash, number = raw.partition("-")
    return f"+{code} {number}" if dash and code.isdigit() else raw
