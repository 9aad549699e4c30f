"""The web dashboard at `/`: Now, an incident with its live timeline and report, History,
Rotation, Charts; sign-in. Server-rendered (Jinja2), on the API's FastAPI app.

    install(api, web_state)   # web/app.py does this when web.dashboard.enabled
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from warroom.config.secrets import Secrets, reveal
from warroom.web.dashboard import auth
from warroom.web.dashboard.pages import STATIC, Dashboard, router
from warroom.web.state import WebState


def install(api: FastAPI, web: WebState, secrets: Secrets | None = None) -> None:
    settings = web.app.settings.web.auth
    found = secrets or Secrets()
    key = reveal(found.warroom_session_secret) or auth.new_secret()
    oidc = auth.oauth_client(settings, reveal(found.oidc_client_secret)) if settings.oidc else None
    web.extra["dashboard"] = Dashboard(web=web, oidc=oidc)
    api.include_router(router)
    api.mount("/static", StaticFiles(directory=STATIC), name="static")
    api.add_middleware(
        SessionMiddleware,
        secret_key=key,
        session_cookie="warroom_session",
        max_age=settings.session_minutes * 60 + 86400,  # `exp` inside says when it ends
        same_site="lax",
        https_only=settings.secure_cookies,
    )

    @api.exception_handler(auth.SignIn)
    async def _sign_in(request: Request, exc: auth.SignIn) -> Response:
        query = f"?next={quote(exc.next_url, safe='')}" + ("&expired=1" if exc.expired else "")
        return RedirectResponse(f"/login{query}", status_code=303)

    @api.exception_handler(auth.Refusal)
    async def _refused(request: Request, exc: auth.Refusal) -> HTMLResponse:
        auth.log.warning(
            "%s %s -> %d: %s", request.method, request.url.path, exc.status, exc.message
        )
        board: Dashboard = web.extra["dashboard"]
        return board.render(
            request,
            "refused.html",
            {"message": exc.message, "title": "Refused"},
            None,
            status=exc.status,
        )
