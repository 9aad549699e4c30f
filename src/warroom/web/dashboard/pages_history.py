"""The dashboard's History page and its CSV download."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from warroom.app import dashboard as board
from warroom.web.dashboard.base import _off_loop, _who, router


def _filters(request: Request) -> tuple[board.Filters, dict[str, str], list[str]]:
    q = request.query_params
    raw = {k: q.get(k, "").strip() for k in ("q", "team", "from", "to", "min", "max")}
    errors: list[str] = []

    def day(key: str, *, end: bool) -> datetime | None:
        if not raw[key]:
            return None
        try:
            d = date.fromisoformat(raw[key])
        except ValueError:
            errors.append(f"{key}: `{raw[key]}` is not a date like 2026-12-01")
            return None
        at = datetime.combine(d, time(), tzinfo=UTC)
        return at + timedelta(days=1) if end else at

    def minutes(key: str) -> int | None:
        if not raw[key]:
            return None
        if not raw[key].isdigit():
            errors.append(f"{key}: `{raw[key]}` is not a number of minutes")
            return None
        return int(raw[key])

    f = board.Filters(
        text=raw["q"][:200],
        team=raw["team"] or None,
        since=day("from", end=False),
        until=day("to", end=True),
        min_minutes=minutes("min"),
        max_minutes=minutes("max"),
    )
    return f, raw, errors


@router.get("/history", response_class=HTMLResponse)
async def history_page(request: Request, page: int = 1) -> HTMLResponse:
    dash, viewer = _who(request)
    f, raw, errors = _filters(request)
    found = await _off_loop(board.history, dash.app, f, page=max(1, page))
    query = {k: v for k, v in raw.items() if v}
    context = {
        "found": found,
        "raw": raw,
        "errors": errors,
        "title": "History",
        "teams": sorted(dash.app.settings.teams),
        "now": dash.app.clock.now(),
        "query": urlencode(query),
        "team_of": lambda c: board.team_of(dash.app, c),
        "duration": board.duration,
    }
    return dash.render(request, "history.html", context, viewer)


@router.get("/history.csv")
async def history_csv(request: Request) -> Response:
    dash, _ = _who(request)
    f, _, _ = _filters(request)
    text = await _off_loop(board.history_csv, dash.app, f)
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="incidents.csv"'},
    )
