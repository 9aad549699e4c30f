"""The dashboard's pages and buttons. Reads come from app/dashboard.py, writes run the chat
commands' use cases as the person signed in and hand their effects to the runtime's deliver."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from warroom.app import api
from warroom.app import dashboard as board
from warroom.commands import types as t
from warroom.web.dashboard import auth, pages_charts, pages_history, pages_slo
from warroom.web.dashboard.base import (
    STATIC,
    Csrf,
    Dashboard,
    _board,
    _off_loop,
    _who,
    log,
    report_html,
    router,
)

__all__ = ["STATIC", "Dashboard", "router"]
# The History, Rotation, Charts and Service levels pages add their routes to `router` when
# imported.
SPLIT_PAGES = (pages_history, pages_charts, pages_slo)


# Pages ---------------------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
async def now_page(request: Request) -> HTMLResponse:
    dash, viewer = _who(request)
    view = await _off_loop(board.now_view, dash.app, contacts=viewer.sees_phones)
    return dash.render(request, "now.html", {"view": view, "title": "Now"}, viewer)


@router.get("/incidents/{incident_id}", response_class=HTMLResponse)
async def incident_page(
    request: Request, incident_id: int, before: int | None = None
) -> HTMLResponse:
    """The header, the latest 200 events (live), earlier ones a page back at a time."""
    dash, viewer = _who(request)
    view = await _off_loop(board.incident_view, dash.app, incident_id, before=before)
    context = {"view": view, "title": f"INC-{incident_id}"}
    return dash.render(request, "incident.html", context, viewer)


@router.get("/incidents/{incident_id}/report", response_class=HTMLResponse)
async def report_page(request: Request, incident_id: int) -> HTMLResponse:
    """The service-disruption report as `incident report` words it, rendered from Markdown."""
    dash, viewer = _who(request)
    markdown = await _off_loop(board.report_markdown, dash.app, incident_id)
    context = {"title": f"INC-{incident_id} report", "incident_id": incident_id,
               "report": report_html(markdown)}  # fmt: skip
    return dash.render(request, "report.html", context, viewer)


@router.get("/incidents/{incident_id}/live")
async def incident_live(request: Request, incident_id: int, after: int = 0) -> JSONResponse:
    """What the live timeline adds: the events after `after`, the header as it is now."""
    dash, _viewer = _who(request)
    incident, lines = await _off_loop(board.timeline_after, dash.app, incident_id, after)
    now = dash.app.clock.now()
    items = dash.env.get_template("_events.html").render(lines=lines)
    header = dash.env.get_template("_header.html").render(
        incident=incident, now=now, channel_url=dash.channel_url,
        severity_meaning=api.severity_meaning(dash.app.settings, incident.severity),
    )  # fmt: skip
    last = lines[-1].id if lines else after
    return JSONResponse(
        {"after": last, "items": items, "header": header, "active": incident.active},
        headers={"Cache-Control": "no-store"},
    )


@router.get("/incidents/{incident_id}/report.md")
async def report_download(request: Request, incident_id: int) -> Response:
    dash, _ = _who(request)
    markdown = await _off_loop(board.report_markdown, dash.app, incident_id)
    return Response(
        markdown,
        media_type="text/markdown; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="INC-{incident_id}.md"'},
    )


# Buttons -------------------------------------------------------------------------------------


def _back(request: Request, fallback: str = "/") -> str:
    """Back where the form was (same site only)."""
    referer = request.headers.get("referer", "")
    base = str(request.base_url)
    return referer[len(base) - 1 :] if referer.startswith(base) else fallback


async def _act(request: Request, csrf: str, work: Any) -> RedirectResponse:
    dash, viewer = _who(request)
    auth.check_csrf(request, csrf)
    if not viewer.may_act:
        raise auth.Refusal(
            403,
            "Viewers read; acknowledging, resolving and unlocking need "
            "the responder role (web.auth.responders).",
        )
    try:
        done: api.Done = await asyncio.to_thread(work, dash, viewer)
    except (api.Refused, api.NotFound) as exc:
        request.session["flash"] = str(exc)
    else:
        if dash.web.deliver is not None and done.deliveries:
            await dash.web.deliver(done.deliveries)
        request.session["flash"] = " ".join(done.said) or "Done."
    log.info("dashboard %s by %s: %s", request.url.path, viewer.handle, request.session["flash"])
    return RedirectResponse(_back(request), status_code=303)


@router.post("/pages/{page_id}/ack")
async def ack(request: Request, page_id: int, csrf: Csrf) -> RedirectResponse:
    return await _act(
        request,
        csrf,
        lambda d, v: board.act(
            d.app, t.PagerUpdate("acknowledge", page_id), who=v.handle, platform=d.web.platform
        ),
    )


@router.post("/pages/{page_id}/resolve")
async def resolve(request: Request, page_id: int, csrf: Csrf) -> RedirectResponse:
    return await _act(
        request,
        csrf,
        lambda d, v: board.act(
            d.app, t.PagerUpdate("resolve", page_id), who=v.handle, platform=d.web.platform
        ),
    )


@router.post("/locks/unlock")
async def unlock(request: Request, stack: Annotated[str, Form()], csrf: Csrf) -> RedirectResponse:
    return await _act(request, csrf, lambda d, v: board.unlock(d.app, stack=stack, who=v.handle))


# Sign-in -------------------------------------------------------------------------------------


def _safe_next(value: str | None) -> str:
    """Only a path on this site: not `//host`, not `/\\host` (browsers read both as a host)."""
    if value and value.startswith("/") and not value.startswith(("//", "/\\")):
        return value
    return "/"


@router.get("/login", response_class=HTMLResponse)
async def login(
    request: Request, next: str = "/", expired: int = 0, error: str = ""
) -> HTMLResponse:
    dash = _board(request)
    settings = dash.app.settings.web.auth
    context = {
        "title": "Sign in",
        "next": _safe_next(next),
        "expired": bool(expired),
        "error": error,
        "oidc": settings.oidc,
        "issuer": settings.oidc_issuer,
        "header": settings.trusted_header,
    }
    return dash.render(request, "login.html", context, None)


@router.get("/login/start")
async def login_start(request: Request, next: str = "/") -> Response:
    dash = _board(request)
    if dash.oidc is None:
        raise auth.Refusal(404, "OpenID Connect is not configured (web.auth.oidc_issuer).")
    request.session["next"] = _safe_next(next)
    public = dash.app.settings.web.auth.public_url
    redirect = (
        (public.rstrip("/") + "/auth/callback") if public else str(request.url_for("auth_callback"))
    )
    try:
        response: Response = await dash.oidc.authorize_redirect(request, redirect)
    except Exception as exc:  # the provider's discovery document is unreachable or wrong
        log.warning(
            "sign-in: the identity provider did not answer: %s: %s", type(exc).__name__, exc
        )
        raise auth.Refusal(502, "The identity provider did not answer; try again later.") from None
    return response


@router.get("/auth/callback", name="auth_callback")
async def auth_callback(request: Request) -> Response:
    dash = _board(request)
    settings = dash.app.settings.web.auth
    if dash.oidc is None:
        raise auth.Refusal(404, "OpenID Connect is not configured (web.auth.oidc_issuer).")
    if request.query_params.get("error"):
        said = request.query_params.get("error_description") or request.query_params["error"]
        log.warning("sign-in refused by the identity provider: %s", said)
        return RedirectResponse(
            "/login?" + urlencode({"error": f"The identity provider refused the sign-in: {said}"}),
            status_code=303,
        )
    try:
        token = await dash.oidc.authorize_access_token(request)
    except Exception as exc:  # authlib's OAuthError, a bad id_token, an unreachable provider
        log.warning("sign-in failed: %s: %s", type(exc).__name__, exc)
        return RedirectResponse(
            "/login?" + urlencode({"error": "The sign-in could not be completed; try again."}),
            status_code=303,
        )
    claims = dict(token.get("userinfo") or {})
    role = auth.role_for(settings, auth.identities(claims, settings))
    who = claims.get("email") or claims.get("sub")
    if role is None:
        log.warning("sign-in: %s is not in web.auth.viewers or responders", who)
        raise auth.Refusal(
            403,
            f"{who} may not use this dashboard: ask to be added to "
            "web.auth.viewers or web.auth.responders.",
        )
    next_url = _safe_next(request.session.get("next"))
    auth.start_session(
        request,
        settings,
        handle=auth.handle_of(claims, settings),
        name=str(claims.get("name") or who),
        role=role,
        now=dash.app.clock.now(),
    )
    log.info("sign-in: %s as %s", who, role)
    return RedirectResponse(next_url, status_code=303)


@router.post("/logout")
async def logout(request: Request, csrf: Csrf) -> RedirectResponse:
    auth.check_csrf(request, csrf)
    request.session.clear()
    return RedirectResponse(
        "/login?" + urlencode({"error": "You are signed out."}), status_code=303
    )
