"""What every dashboard page shares: the router, the Jinja2 environment and its filters,
`Dashboard` (rendering with the security headers), and the helpers that find the signed-in
viewer and run a read off the event loop."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markdown_it import MarkdownIt
from markupsafe import Markup

from warroom.app import api
from warroom.core.incident import EventKind
from warroom.render import slo as slo_words
from warroom.web.dashboard import auth
from warroom.web.state import WebState

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
log = logging.getLogger("warroom.web.dashboard")
router = APIRouter(include_in_schema=False)
Csrf = Annotated[str, Form()]
MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable("table")


def since(start: datetime, now: datetime) -> str:
    """`2h 05m`, `3d 4h`, `45s`: how long something has run."""
    seconds = max(0, int((now - start).total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def report_html(markdown: str) -> Markup:
    """The report's Markdown as HTML, its headings two levels down (under the page's h2)."""
    html = MARKDOWN.render(markdown)
    for level in (4, 3, 2, 1):
        html = html.replace(f"<h{level}>", f"<h{level + 2}>").replace(
            f"</h{level}>", f"</h{level + 2}>"
        )
    return Markup(html)


def utc(at: datetime | None) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if at else "—"


def http_link(url: str | None) -> str | None:
    """A link to show as one (`href`): http or https only, never `javascript:`."""
    return url if url and url.startswith(("https://", "http://")) else None


def hhmm(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%H:%M:%S")


def _env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(utc=utc, hhmm=hhmm, pct=slo_words.pct, minutes=slo_words.minutes,
                       window=slo_words.days, http_link=http_link)  # fmt: skip
    env.globals.update(since=since, EventKind=EventKind)
    return env


@dataclass
class Dashboard:
    web: WebState
    oidc: Any = None
    env: Environment = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        self.env = _env()

    @property
    def app(self) -> Any:
        return self.web.app

    def render(
        self,
        request: Request,
        name: str,
        context: dict[str, Any],
        viewer: auth.Viewer | None,
        *,
        status: int = 200,
    ) -> HTMLResponse:
        settings = self.app.settings.web
        flash = request.session.pop("flash", None) if "session" in request.scope else None
        html = self.env.get_template(name).render(
            viewer=viewer,
            local_only=not settings.auth.signs_in,
            flash=flash,
            path=request.url.path,
            channel_url=self.channel_url,
            **context,
        )
        return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)

    def channel_url(self, channel: str) -> str | None:
        template = self.app.settings.web.dashboard.channel_url
        return template.replace("{channel}", channel) if template else None


SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def _board(request: Request) -> Dashboard:
    found: Dashboard = request.app.state.warroom.extra["dashboard"]
    return found


def _who(request: Request) -> tuple[Dashboard, auth.Viewer]:
    dash = _board(request)
    return dash, auth.current(request, dash.app.settings.web.auth, dash.app.clock.now())


async def _off_loop(work: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return await asyncio.to_thread(work, *args, **kwargs)
    except api.NotFound as exc:
        raise auth.Refusal(404, str(exc)) from None
    except api.Refused as exc:
        raise auth.Refusal(422, str(exc)) from None
