"""The dashboard's Service levels page (`slo` in chat), one page per service (`slo <service>`),
and the CSV of `warroom slo --csv`."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from warroom.app import dashboard as board
from warroom.web.dashboard.base import _off_loop, _who, router


@router.get("/slo", response_class=HTMLResponse)
async def slo_page(request: Request) -> HTMLResponse:
    dash, viewer = _who(request)
    views: list[board.ServiceView] = await _off_loop(board.overview, dash.app)
    context = {"views": views, "title": "Service levels"}
    return dash.render(request, "slo.html", context, viewer)


@router.get("/slo.csv")
async def slo_csv(request: Request) -> Response:
    dash, _ = _who(request)
    text: str = await _off_loop(board.levels_csv, dash.app)
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="slo.csv"'},
    )


@router.get("/slo/{service}", response_class=HTMLResponse)
async def slo_service_page(request: Request, service: str) -> HTMLResponse:
    """An unknown service is a 404 that lists the configured ones."""
    dash, viewer = _who(request)
    view: board.DetailView = await _off_loop(board.service_detail, dash.app, service)
    context = {"view": view, "title": f"Service level of {service}"}
    return dash.render(request, "slo_service.html", context, viewer)
