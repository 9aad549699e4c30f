"""Opsgenie REST API v2: schedules' on-calls, users and their contact methods, and alerts
created with an alias (the dedup key), acknowledged and closed by that alias.

Opsgenie answers an alert request with 202 and a `requestId`, and processes it later: only
`GET /v2/alerts/requests/{requestId}` says whether it worked (`isSuccess`, and `status` in
Opsgenie's words). Each page, acknowledgement and close waits for that verdict.

Opsgenie ends support in April 2027: nothing depends on it; it is one provider among three.
The key comes from the environment only (`Secrets`): OPSGENIE_API_KEY.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any
from urllib.parse import quote

import httpx

from warroom.core.oncall import Contact
from warroom.ports import PagerError
from warroom.providers.http import call, json_of

VENDOR = "Opsgenie"
PHONE_METHODS = ("voice", "sms")
FIRST_POLL = 0.1  # seconds before asking again whether a request was processed; doubles
LAST_POLL = 1.0


class OpsgeniePager:
    name = "opsgenie"

    def __init__(
        self,
        *,
        api_url: str,
        api_key: str | None,
        timeout: float,
        confirm_seconds: float = 4.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """`confirm_seconds`: how long to wait for Opsgenie to process an alert request."""
        self.api_url = api_url.rstrip("/")
        self.confirm_seconds = confirm_seconds
        self._key = api_key
        self._client = httpx.AsyncClient(timeout=timeout, transport=transport)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _send(
        self, method: str, path: str, *, params: dict[str, str] | None = None, **kw: Any
    ) -> dict[str, Any]:
        response = await self._request(method, path, params=params, **kw)
        return json_of(response, vendor=VENDOR)

    async def _request(
        self, method: str, path: str, *, params: dict[str, str] | None = None, **kw: Any
    ) -> httpx.Response:
        if not self._key:
            raise PagerError("OPSGENIE_API_KEY is not set")
        headers = {"Authorization": f"GenieKey {self._key}"}
        return await call(
            self._client, method, f"{self.api_url}{path}", vendor=VENDOR, headers=headers,
            params=params, **kw,
        )  # fmt: skip

    async def _alert_request(self, what: str, path: str, **kw: Any) -> None:
        """Send an alert request and wait until Opsgenie has processed it: the 202 only means
        it was queued. A request Opsgenie processed and refused is a PagerError in its words."""
        accepted = await self._send("POST", path, **kw)
        request_id = accepted.get("requestId")
        if not request_id:
            raise PagerError(f"Opsgenie gave no request ID to confirm that it could {what}")
        status = await self._processed(str(request_id))
        if not status.get("isSuccess"):
            said = status.get("status") or "no reason given"
            raise PagerError(f"Opsgenie could not {what}: {str(said)[:200]}")

    async def _processed(self, request_id: str) -> dict[str, Any]:
        """The request's status once processed. Until then Opsgenie answers 404."""
        deadline = time.monotonic() + self.confirm_seconds
        delay = FIRST_POLL
        path = f"/v2/alerts/requests/{quote(request_id, safe='')}"
        while True:
            response = await self._request("GET", path, accept=(404,))
            if response.status_code != 404:
                data = json_of(response, vendor=VENDOR).get("data")
                if not isinstance(data, dict):
                    raise PagerError("Opsgenie answered a request's status without its data")
                return data
            left = deadline - time.monotonic()
            if left <= 0:
                raise PagerError(
                    f"Opsgenie had not processed the request after {self.confirm_seconds:g}s",
                    retryable=True,
                )
            await asyncio.sleep(min(delay, left))
            delay = min(delay * 2, LAST_POLL)

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
        self,
        *,
        key: str,
        summary: str,
        schedules: list[str],
        people: list[Contact],
        war_room: str | None = None,
    ) -> None:
        responders = [{"type": "schedule", "name": s} for s in schedules]
        if not responders:  # a person: by their Opsgenie username, their e-mail
            responders = [{"type": "user", "username": p.email} for p in people if p.email]
        description = summary + (f"\n\nWar room: #{war_room}" if war_room else "")
        body: dict[str, Any] = {
            "message": summary[:130],
            "alias": key[:512],
            "description": description[:15000],
            "responders": responders,
            "source": "warroom",
            "priority": "P1",
        }
        if war_room:
            body["details"] = {"war_room": f"#{war_room}"}
        await self._alert_request("create the alert", "/v2/alerts", json=body)

    async def acknowledge(self, *, key: str) -> None:
        await self._alias_action(key, "acknowledge")

    async def resolve(self, *, key: str) -> None:
        await self._alias_action(key, "close")

    async def _alias_action(self, key: str, action: str) -> None:
        await self._alert_request(
            f"{action} the alert",
            f"/v2/alerts/{quote(key, safe='')}/{action}",
            params={"identifierType": "alias"},
            json={"source": "warroom"},
        )


def _phone(raw: str) -> str:
    """Opsgenie writes `1-5550100` (country code, dash, number): show it as `+1 5550100`."""
    code, dash, number = raw.partition("-")
    return f"+{code} {number}" if dash and code.isdigit() else raw
