"""`Authorization: Bearer <token>`: no token or an unknown one is 401, a token whose scope does
not cover the endpoint is 403. `admin` covers everything; `respond` and `deploy` cover `read`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

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


def require(scope: str) -> Callable[[Request], Awaitable[tokens.Token]]:
    async def check(request: Request) -> tokens.Token:
        header = request.headers.get("authorization", "")
        kind, _, secret = header.partition(" ")
        if kind.lower() != "bearer" or not secret.strip():
            raise Problem(401, "Send a token: `Authorization: Bearer <token>`.")
        app = state(request).app

        def lookup() -> tokens.Token | None:
            with app.sessions() as session:
                return tokens.verify(secret.strip(), session=session)

        found = await asyncio.to_thread(lookup)
        if found is None:
            raise Problem(401, "This token is unknown or was revoked.")
        if scope not in COVERS.get(found.scope, set()):
            raise Problem(403, f"The token `{found.name}` has scope `{found.scope}`; "
                          f"this needs `{scope}`.")  # fmt: skip
        return found

    check.__name__ = f"require_{scope}"
    return check
