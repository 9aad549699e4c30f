"""uvicorn inside the bot's process, on the runtime's event loop: API calls hand their effects
to the same runtime that delivers chat commands' effects."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

import uvicorn
from starlette.routing import BaseRoute

from warroom.web.app import create_app
from warroom.web.metrics import Metrics
from warroom.web.state import WebState

if TYPE_CHECKING:
    from warroom.app.runtime import Runtime

log = logging.getLogger("warroom.web")


class WebError(Exception):
    """The server could not start (the port is taken, the host unknown)."""


class _Server(uvicorn.Server):
    """Leaves signals to the bot: Ctrl-C stops the bot, which stops the server."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class WebServer:
    def __init__(
        self,
        runtime: Runtime,
        host: str,
        port: int,
        *,
        ready: Callable[[], bool] | None = None,
        routes: Sequence[BaseRoute] = (),
    ) -> None:
        """`routes`: more to serve on the same listener (Slack's `POST /slack/events`)."""
        app = runtime.app
        self.metrics = Metrics(app)
        self.metrics.instrument(app)
        platform = next(iter(runtime.chats), "shell")
        self.state = WebState(app=app, platform=platform, deliver=runtime.deliver,
                              ready=ready or (lambda: True), metrics=self.metrics,
                              connected=runtime.connected,
                              extra={"health": runtime.health})  # fmt: skip
        self.asgi = create_app(self.state, routes)
        config = uvicorn.Config(self.asgi, host=host, port=port, lifespan="off",
                                access_log=False, log_level="warning")  # fmt: skip
        self.server = _Server(config)
        self.host = host
        self.port = port
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        self._task = asyncio.create_task(self._serve())
        while not self.server.started:
            if self._task.done():
                self._task = None
                raise WebError(f"cannot listen on {self.host}:{self.port}")
            await asyncio.sleep(0.01)
        sockets = [s for srv in self.server.servers for s in srv.sockets]
        if sockets:
            self.port = sockets[0].getsockname()[1]

    async def _serve(self) -> None:
        try:
            await self.server.serve()
        except SystemExit:  # uvicorn exits when it cannot bind; the bot goes on without it
            log.warning("the API could not listen on %s:%s", self.host, self.port)

    async def stop(self) -> None:
        view = self.state.extra.get("locks")
        if view is not None:
            await view.close()
        if self._task is None:
            return
        self.server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None


def parse_listen(raw: str) -> tuple[str, int]:
    host, _, port = raw.rpartition(":")
    if not host or not port.isdigit() or not 0 <= int(port) < 65536:
        raise ValueError(f"`{raw}` is not HOST:PORT, e.g. 127.0.0.1:8080")
    return host.strip("[]"), int(port)
