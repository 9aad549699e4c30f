"""PagerDuty: REST API v2 for who is on call (oncalls, users' contact methods), and pages on
each team's own service.

A team's pages take its route (`teams.<name>.pagerduty`, `Route` here): an Events API v2
integration key of the team's service (trigger, acknowledge, resolve by `dedup_key`), or REST
`POST /incidents` on the team's service with its escalation policy (`incident_key` is the dedup
key). A page to one person is a REST incident on `pagerduty.person_service` assigned to them.
Nothing is paged through a key shared by every team.

Keys come from the environment only (`Secrets`): PAGERDUTY_API_TOKEN (REST) and, for each
Events route, the variable its `routing_key_env` names.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from warroom.core.oncall import Contact
from warroom.ports import PagerError
from warroom.providers.http import call, json_of, vendor_says

VENDOR = "PagerDuty"
ACCEPT = "application/vnd.pagerduty+json;version=2"
PHONE_TYPES = ("phone_contact_method", "sms_contact_method")
OPEN = ("triggered", "acknowledged")
PAGE_SIZE = 100  # the REST API's largest `limit`
MAX_PAGES = 100  # a runaway `more: true` stops here

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Route:
    """Where one team's pages go: `routing_key` (Events API v2), or `service` and optionally
    `escalation_policy` (REST)."""

    routing_key: str | None = None
    service: str | None = None
    escalation_policy: str | None = None


class PagerDutyPager:
    name = "pagerduty"

    def __init__(
        self,
        *,
        api_url: str,
        events_url: str,
        api_token: str | None,
        routes: Mapping[str, Route],
        timeout: float,
        from_email: str | None = None,
        person_service: str | None = None,
        contacts_ttl: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """`routes`: the route of each schedule that is paged (by PagerDuty schedule ID).
        `contacts_ttl`: how long a user's phone is kept, so that one refresh of every schedule
        asks for each person's contact methods once."""
        self.api_url = api_url.rstrip("/")
        self.events_url = events_url.rstrip("/")
        self._token = api_token
        self.routes = dict(routes)
        self._from = from_email
        self._person_service = person_service
        self._contacts_ttl = contacts_ttl
        self._phones: dict[str, tuple[float, asyncio.Task[str | None]]] = {}
        self._by_key: dict[str, Route] = {}  # the route each dedup key was triggered on
        self._client = httpx.AsyncClient(timeout=timeout, transport=transport)

    async def aclose(self) -> None:
        await self._client.aclose()

    def _headers(self, *, change: bool = False) -> dict[str, str]:
        if not self._token:
            raise PagerError("PAGERDUTY_API_TOKEN is not set")
        headers = {
            "Authorization": f"Token token={self._token}",
            "Accept": ACCEPT,
            "Content-Type": "application/json",
        }
        if change:
            if not self._from:
                raise PagerError("pagerduty.from_email is not set")
            headers["From"] = self._from
        return headers

    async def _get(self, path: str, params: list[tuple[str, str]] | None = None) -> dict[str, Any]:
        response = await call(
            self._client, "GET", f"{self.api_url}{path}", vendor=VENDOR,
            headers=self._headers(), params=params,
        )  # fmt: skip
        return json_of(response, vendor=VENDOR)

    # -- who is on call ------------------------------------------------------------------------

    async def on_call(self, *, schedule: str) -> list[Contact]:
        oncalls = await self._all_oncalls(schedule)
        oncalls.sort(key=lambda o: o.get("escalation_level") or 0)
        users: dict[str, dict[str, Any]] = {}
        for oncall in oncalls:
            user = oncall.get("user") or {}
            if user.get("id"):
                users.setdefault(user["id"], user)
        phones = await asyncio.gather(*(self._phone_or_none(uid, u) for uid, u in users.items()))
        return [
            Contact(
                name=user.get("name") or user.get("summary") or uid,
                phone=phone,
                email=user.get("email"),
                timezone=user.get("time_zone"),
            )
            for (uid, user), phone in zip(users.items(), phones, strict=True)
        ]

    async def _all_oncalls(self, schedule: str) -> list[dict[str, Any]]:
        """Every page of `GET /oncalls` (`limit`, `offset`, `more`)."""
        found: list[dict[str, Any]] = []
        offset = 0
        for _ in range(MAX_PAGES):
            data = await self._get(
                "/oncalls",
                [("schedule_ids[]", schedule), ("include[]", "users"), ("earliest", "true"),
                 ("limit", str(PAGE_SIZE)), ("offset", str(offset))],
            )  # fmt: skip
            page = [o for o in data.get("oncalls") or [] if isinstance(o, dict)]
            found += page
            if not data.get("more") or not page:
                break
            offset += len(page)
        return found

    async def _phone_or_none(self, user_id: str, user: dict[str, Any]) -> str | None:
        """A person whose contact methods cannot be read is still on call: without a phone."""
        try:
            return await self._phone(user_id)
        except PagerError as exc:
            log.warning(
                "PagerDuty: no phone number for %s (%s): %s",
                user.get("name") or user_id, user.get("email") or user_id, exc,
            )  # fmt: skip
            return None

    async def _phone(self, user_id: str) -> str | None:
        """The user's phone, asked once per `contacts_ttl` however many schedules name them."""
        now = time.monotonic()
        cached = self._phones.get(user_id)
        if cached is None or cached[0] < now or _failed(cached[1]):
            task = asyncio.ensure_future(self._fetch_phone(user_id))
            cached = (now + self._contacts_ttl, task)
            self._phones[user_id] = cached
        return await asyncio.shield(cached[1])

    async def _fetch_phone(self, user_id: str) -> str | None:
        data = await self._get(f"/users/{user_id}/contact_methods")
        for method in data.get("contact_methods") or []:
            if method.get("type") in PHONE_TYPES and method.get("address"):
                code = method.get("country_code")
                return f"+{code} {method['address']}" if code else str(method["address"])
        return None

    # -- pages ---------------------------------------------------------------------------------

    async def trigger(
        self,
        *,
        key: str,
        summary: str,
        schedules: list[str],
        people: list[Contact],
        war_room: str | None = None,
    ) -> None:
        if not schedules:
            await self._page_people(key, summary, people)
            return
        route = self._route(schedules)
        self._by_key[key] = route
        if route.routing_key:
            details: dict[str, Any] = {"schedules": schedules, "on_call": [p.name for p in people]}
            if war_room:
                details["war_room"] = f"#{war_room}"
            payload = {
                "summary": summary[:1024],
                "source": "warroom",
                "severity": "critical",
                "custom_details": details,
            }
            await self._event(route.routing_key, "trigger", key, {"payload": payload})
            return
        assert route.service is not None  # a route is a key or a service (config validates)
        incident: dict[str, Any] = {"service": {"id": route.service, "type": "service_reference"}}
        if route.escalation_policy:
            incident["escalation_policy"] = {
                "id": route.escalation_policy,
                "type": "escalation_policy_reference",
            }
        await self._create_incident(key, summary, incident)

    def _route(self, schedules: list[str]) -> Route:
        for schedule in schedules:
            route = self.routes.get(schedule)
            if route is not None:
                return route
        raise PagerError(
            f"no PagerDuty route for schedule {schedules[0]}: set `pagerduty` on its team"
        )

    async def _page_people(self, key: str, summary: str, people: list[Contact]) -> None:
        """One person: a REST incident assigned to them, on `pagerduty.person_service`."""
        if not self._person_service:
            raise PagerError("pagerduty.person_service is not set: PagerDuty cannot page a person")
        assignments = []
        for person in people:
            user_id = await self._user_id(person)
            assignments.append({"assignee": {"id": user_id, "type": "user_reference"}})
        if not assignments:
            raise PagerError("nobody to page")
        service = {"id": self._person_service, "type": "service_reference"}
        self._by_key[key] = Route(service=self._person_service)
        await self._create_incident(key, summary, {"service": service, "assignments": assignments})

    async def _user_id(self, person: Contact) -> str:
        if not person.email:
            raise PagerError(f"{person.name} has no e-mail to find them in PagerDuty")
        data = await self._get("/users", [("query", person.email)])
        for user in data.get("users") or []:
            if str(user.get("email", "")).lower() == person.email.lower() and user.get("id"):
                return str(user["id"])
        raise PagerError(f"PagerDuty has no user with the e-mail {person.email}")

    async def _create_incident(self, key: str, summary: str, fields: dict[str, Any]) -> None:
        incident = {
            "type": "incident",
            "title": summary[:255],
            "urgency": "high",
            "incident_key": key,
            # No `body`: the published spec wants an object where its own example (and the
            # docs) give a string; the title carries the summary.
            **fields,
        }
        response = await call(
            self._client, "POST", f"{self.api_url}/incidents", vendor=VENDOR,
            headers=self._headers(change=True), json={"incident": incident}, accept=(400,),
        )  # fmt: skip
        if response.status_code == 400:
            said = vendor_says(response)
            # The same key on the same service while open: it is this page, sent before.
            if "matching dedup key already exists" not in said:
                raise PagerError(f"{VENDOR} refused the request (400: {said})")

    async def acknowledge(self, *, key: str) -> None:
        await self._change(key, "acknowledge", "acknowledged")

    async def resolve(self, *, key: str) -> None:
        await self._change(key, "resolve", "resolved")

    async def _change(self, key: str, action: str, status: str) -> None:
        """Through the route the page took. A page triggered before a restart: through REST by
        its key when there is a token, else through every Events route (a dedup key belongs to
        one team's page, so the others have no alert under it)."""
        route = self._by_key.get(key)
        if route is not None and route.routing_key:
            await self._event(route.routing_key, action, key)
        elif route is not None or (self._token and self._from):
            await self._rest_change(key, status)
        else:
            keys = sorted({r.routing_key for r in self.routes.values() if r.routing_key})
            if not keys:
                raise PagerError(f"no PagerDuty route to {action} this page")
            for routing_key in keys:
                await self._event(routing_key, action, key)

    async def _rest_change(self, key: str, status: str) -> None:
        data = await self._get(
            "/incidents",
            [("incident_key", key)] + [("statuses[]", status) for status in OPEN],
        )
        found = [i for i in data.get("incidents") or [] if isinstance(i, dict) and i.get("id")]
        if not found:
            raise PagerError(f"{VENDOR} has no open incident for this page")
        for incident in found:
            await call(
                self._client, "PUT", f"{self.api_url}/incidents/{incident['id']}", vendor=VENDOR,
                headers=self._headers(change=True),
                json={"incident": {"type": "incident_reference", "status": status}},
            )  # fmt: skip

    async def _event(
        self, routing_key: str, action: str, key: str, body: dict[str, Any] | None = None
    ) -> None:
        event: dict[str, Any] = {
            "routing_key": routing_key,
            "event_action": action,
            "dedup_key": key,
            **(body or {}),
        }
        if action == "trigger":
            event["client"] = "warroom"
        await call(self._client, "POST", f"{self.events_url}/enqueue", vendor=VENDOR, json=event)


def _failed(task: asyncio.Task[str | None]) -> bool:
    """A lookup that failed is asked again next time, not remembered."""
    return task.done() and (task.cancelled() or task.exception() is not None)
