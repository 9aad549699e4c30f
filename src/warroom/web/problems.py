"""Errors as RFC 9457 problem details (`application/problem+json`), one log line each."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

log = logging.getLogger("warroom.web")
TYPE = "application/problem+json"
TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Content too large",
    422: "Unprocessable content",
    423: "Locked",
    500: "Internal server error",
    503: "Service unavailable",
}


class Problem(Exception):
    def __init__(self, status: int, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.extra = extra


def problem(status: int, detail: str, instance: str = "", **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": TITLES.get(status, "Error"), "status": status}
    body["detail"] = detail
    if instance:
        body["instance"] = instance
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=TYPE)


def install(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        level = logging.WARNING if exc.status in (401, 403) else logging.INFO  # who knocks
        log.log(level, "%s %s -> %d: %s", request.method, request.url.path, exc.status, exc.detail)
        return problem(exc.status, exc.detail, request.url.path, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": _field(e["loc"]), "message": e["msg"]} for e in exc.errors()]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        log.info("%s %s -> 422: %s", request.method, request.url.path, detail)
        return problem(422, detail, request.url.path, errors=errors)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        return problem(exc.status_code, str(exc.detail), request.url.path)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        log.error("%s %s -> 500: %s: %s", request.method, request.url.path,
                  type(exc).__name__, exc)  # fmt: skip
        return problem(500, "Something went wrong on our side; nothing was saved.")


def _field(loc: Any) -> str:
    """`body.reason`, `query.limit`: where the bad value was, as the client wrote it."""
    return ".".join(str(p) for p in loc)
