"""The dashboard's Rotation and Charts pages, and each chart's CSV download."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from warroom.app import dashboard as board
from warroom.web.dashboard import auth, svg
from warroom.web.dashboard.base import _off_loop, _who, router


@router.get("/rotation", response_class=HTMLResponse)
async def rotation_page(request: Request) -> HTMLResponse:
    dash, viewer = _who(request)
    view = await _off_loop(board.rotation_view, dash.app)
    return dash.render(request, "rotation.html", {"view": view, "title": "Rotation"}, viewer)


@router.get("/charts", response_class=HTMLResponse)
async def charts_page(request: Request) -> HTMLResponse:
    dash, viewer = _who(request)
    found: dict[str, board.Series] = await _off_loop(board.charts, dash.app)
    drawn = [(name, s, Markup(svg.chart(s))) for name, s in found.items()]
    return dash.render(request, "charts.html", {"charts": drawn, "title": "Charts"}, viewer)


@router.get("/charts/{name}.csv")
async def chart_csv(request: Request, name: str) -> Response:
    dash, _ = _who(request)
    found: dict[str, board.Series] = await _off_loop(board.charts, dash.app)
    if name not in found:
        raise auth.Refusal(404, f"There is no chart `{name}`: {', '.join(found)}.")
    return Response(
        found[name].csv(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )
