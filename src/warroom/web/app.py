"""The ASGI application: API v1, /healthz, /readyz, /metrics, the dashboard at `/`. One per
process, served by uvicorn on the runtime's event loop (web/server.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from starlette.routing import BaseRoute

from warroom import __version__
from warroom.store.db import HEAD, current_revision
from warroom.web import problems
from warroom.web.limits import BodyLimit
from warroom.web.routes import router
from warroom.web.state import WebState, state


def create_app(web: WebState, routes: Sequence[BaseRoute] = ()) -> FastAPI:
    """`routes`: more on the same listener, e.g. Slack's `POST /slack/events` (HTTP mode)."""
    api = FastAPI(
        title="warroom",
        version=__version__,
        description="Incidents, pages, on-call, deploy locks and alerts in. Tokens: "
        "`warroom token create NAME --scope read|respond|deploy|admin`; send "
        "`Authorization: Bearer <token>`.",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
    )
    api.state.warroom = web
    problems.install(api)
    api.include_router(router)
    from warroom.web import alerts, metrics

    api.include_router(alerts.router)
    api.include_router(metrics.router)
    api.router.routes.extend(routes)

    @api.get("/healthz", summary="The process is up", tags=["health"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @api.get("/readyz", summary="Database reachable, migrations at head, chat connected",
             tags=["health"], responses={503: {"description": "not ready, and why"}})  # fmt: skip
    async def readyz(request: Request) -> JSONResponse:
        st = state(request)
        checks = await asyncio.to_thread(_checks, st)
        ok = all(v == "ok" for v in checks.values())
        return JSONResponse(
            {"status": "ok" if ok else "unavailable", "checks": checks},
            status_code=200 if ok else 503,
        )

    if web.app.settings.web.dashboard.enabled:
        from warroom.web import dashboard

        dashboard.install(api, web)
    max_body = web.app.settings.web.max_body
    api.add_middleware(BodyLimit, max_body=max_body)
    return api


def _checks(st: WebState) -> dict[str, str]:
    checks = {"database": "ok", "migrations": "ok", "chat": "ok"}
    try:
        engine = st.app.sessions.kw["bind"]
        with st.app.sessions() as session:
            session.execute(text("SELECT 1"))
        revision = current_revision(engine)
        if revision != HEAD:
            checks["migrations"] = f"at {revision}, expected {HEAD}: run `warroom db upgrade`"
    except Exception as exc:
        checks["database"] = f"unreachable: {type(exc).__name__}"
        checks["migrations"] = "unknown"
    down = sorted(platform for platform, up in st.connected.items() if not up)
    if down:
        checks["chat"] = f"not connected: {', '.join(down)}"
    elif not st.ready():
        checks["chat"] = "not connected"
    health = st.extra.get("health")  # the runtime's long-lived tasks (app/supervisor.py)
    failing = {k: v for k, v in health().items() if v != "ok"} if health else {}
    checks["tasks"] = "; ".join(f"{k}: {v}" for k, v in failing.items()) or "ok"
    return checks
