"""`Authorization: Bearer <token>`: no token or an unknown one is 401, a token whose scope does
not cover the endpoint is 403. `admin` covers everything; `respond` and `deploy` cover `read`."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request

from warroom.store import tokens
from warroom.web.problems import Problem
from warroom.web.state import state

COVERS = {
    "read": {"read"},
    "respond": {"read", "respond"},
    "deploy": {"read", "deploy"},
    "admin": {"read", "respond", "deploy", "admin"},
}


# A pipeline polling a lock asks many times a second; each token is looked up in the database
# at most every CACHE_SECONDS. A revoked token stops working within that time.
CACHE_SECONDS = 5.0
CACHE_SIZE = 1000


def _cached(extra: dict[str, Any], secret: str) -> tokens.Token | None:
    cache: dict[str, tuple[tokens.Token, float]] = extra.setdefault("tokens", {})
    hit = cache.get(tokens.digest(secret))
    if hit is None or hit[1] < time.monotonic():
        return None
    return hit[0]


def _remember(extra: dict[str, Any], secret: str, token: tokens.Token) -> None:
    cache: dict[str, tuple[tokens.Token, float]] = extra.setdefault("tokens", {})
    if len(cache) >= CACHE_SIZE:
        cache.clear()
    cache[tokens.digest(secret)] = (token, time.monotonic() + CACHE_SECONDS)


def require(scope: str) -> Callable[[Request], Awaitable[tokens.Token]]:
    async def check(request: Request) -> tokens.Token:
        header = request.headers.get("authorization", "")
        kind, _, secret = header.partition(" ")
        if kind.lower() != "bearer" or not secret.strip():
            raise Problem(401, "Send a token: `Authorization: Bearer <token>`.")
        st = state(request)
        found = _cached(st.extra, secret.strip())
        if found is None:
            app = st.app

            def lookup() -> tokens.Token | None:
                with app.sessions() as session:
                    return tokens.verify(secret.strip(), session=session)

            found = await asyncio.to_thread(lookup)
            if found is not None:
                _remember(st.extra, secret.strip(), found)
        if found is None:
            raise Problem(401, "This token is unknown or was revoked.")
        if scope not in COVERS.get(found.scope, set()):
            raise Problem(403, f"The token `{found.name}` has scope `{found.scope}`; "
                          f"this needs `{scope}`.")  # fmt: skip
        return found

    check.__name__ = f"require_{scope}"
    return check
