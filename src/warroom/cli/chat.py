"""`warroom shell` and `warroom run`: the chat doors (terminal, Slack, Matrix) with the web
server beside them, and `warroom matrix login`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import os
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from warroom import __version__
from warroom.cli.common import host_port, say_warnings, seed_roster, settings_from
from warroom.config import ConfigError, Settings
from warroom.store.db import display_url

if TYPE_CHECKING:
    from starlette.routing import BaseRoute

    from warroom.app.runtime import Runtime
    from warroom.app.service import App
    from warroom.chat.matrix import MatrixSettings
    from warroom.chat.slack import SlackTokens
    from warroom.wiring import SharedRuntime


def cmd_shell(args: argparse.Namespace) -> int:
    from warroom.chat.shell import ShellChat, ShellSession, serve
    from warroom.wiring import open_app, runtime_for, settle_heap

    settings, path = settings_from(args)
    say_warnings(settings)
    url = settings.storage.resolved_url()
    app = open_app(settings)
    print(
        f"warroom {__version__}: database {display_url(url)}, config {path}; type `help`",
        file=sys.stderr,
    )
    seed_roster(app)
    chat = ShellChat(bot_name=settings.bot.name, out=sys.stdout)
    user = args.user or settings.shell.user or getpass.getuser()

    async def main() -> None:
        async with runtime_for(app, {chat.platform: chat}, presence=chat) as runtime:
            channel = args.channel or settings.shell.channel
            async with serve_web(args, settings, runtime):
                session = ShellSession(runtime, chat, user=user, channel=channel)
                settle_heap()
                await serve(session, names=settings.bot.names)

    asyncio.run(main())
    if chat.gone:  # the reader went away (`| head`): exit as a writer to a closed pipe does
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no flush error at exit
        return 1
    return 0


@contextlib.asynccontextmanager
async def serve_web(
    args: argparse.Namespace,
    settings: Settings,
    runtime: Runtime,
    *,
    http: tuple[str, int] | None = None,
    routes: Sequence[BaseRoute] = (),
) -> AsyncIterator[None]:
    """The HTTP API, /metrics and the health checks, on the runtime's loop (`web.listen`,
    `--web HOST:PORT`; off with `--no-web` or `web.enabled: false`). With `http` (Slack's HTTP
    mode) it serves there, always, with `routes` (`POST /slack/events`) on the same listener."""
    off = getattr(args, "no_web", False) or (
        not settings.web.enabled and not getattr(args, "web", None)
    )
    if http is None and off:
        yield
        return
    from warroom.web.server import WebError, WebServer, parse_listen

    if http is not None:
        host, port = http
    else:
        raw = getattr(args, "web", None) or settings.web.listen
        try:
            host, port = parse_listen(raw)
        except ValueError as exc:
            raise ConfigError(f"--web: {exc}") from None
    server = WebServer(runtime, host, port, routes=routes)
    try:
        await server.start()
    except WebError as exc:
        if http is not None:  # Slack's events have nowhere else to go
            raise ConfigError(f"--http: {exc}") from None
        print(f"warroom: {exc}; going on without the API", file=sys.stderr)
        yield
        return
    if routes:
        print(f"warroom: Slack's Events API on {server.url}/slack/events", file=sys.stderr)
    print(f"warroom: API on {server.url}/api/v1/ (reference: {server.url}/api/v1/openapi.json)",
          file=sys.stderr)  # fmt: skip
    if settings.web.dashboard.enabled:
        print(f"warroom: dashboard on {server.url}/", file=sys.stderr)
    try:
        yield
    finally:
        await server.stop()


def cmd_run(args: argparse.Namespace) -> int:
    """Slack when its tokens are in the environment and Matrix when its account is set (the
    environment or a stored `warroom matrix login`), both in one process when both are; else
    the terminal chat."""
    from warroom.wiring import matrix_settings, open_app, slack_tokens

    settings, path = settings_from(args)
    tokens = slack_tokens(settings)
    http = host_port(args.http) if args.http else None
    if http is not None and (tokens is None or not tokens.signing_secret):
        raise ConfigError(
            "--http needs SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET in the environment"
        )
    if http is not None and (getattr(args, "web", None) or getattr(args, "no_web", False)):
        raise ConfigError(
            "--http HOST:PORT is where the web server listens in HTTP mode (Slack's events, the "
            "API, /metrics); leave out --web and --no-web"
        )
    app = open_app(settings)
    matrix = matrix_settings(settings, app=app)
    slack_ready = tokens is not None and (http is not None or tokens.app is not None)
    if not slack_ready and matrix is None:
        app.sessions.kw["bind"].dispose()
        args.user = None
        args.channel = None
        return cmd_shell(args)
    return _run_chats(args, settings, path, app, tokens if slack_ready else None, http, matrix)


def _run_chats(
    args: argparse.Namespace,
    settings: Settings,
    path: Path,
    app: App,
    tokens: SlackTokens | None,
    http: tuple[str, int] | None,
    matrix: MatrixSettings | None,
) -> int:
    """Slack, Matrix or both in one process on one database, sharing one runtime, with the
    web server beside them."""
    from warroom.chat import matrix as matrix_chat
    from warroom.chat import slack
    from warroom.wiring import SharedRuntime

    say_warnings(settings)
    seed_roster(app)
    platforms = {slack.PLATFORM} if tokens is not None else set()
    platforms |= {matrix_chat.PLATFORM} if matrix is not None else set()
    shared = SharedRuntime(app, platforms)
    bots: list[contextlib.AbstractAsyncContextManager[object]] = []
    doors: list[str] = []
    routes: Callable[[], Sequence[BaseRoute]] | None = None
    if tokens is not None:
        slack_bot = slack.SlackBot(
            app, tokens, runtime_factory=shared.factory, http=http is not None
        )
        bots.append(slack_bot)
        mode = f"HTTP on {http[0]}:{http[1]}" if http else "Socket Mode"
        doors.append(f"Slack ({mode}, {slack.api_url(tokens.api_url)})")
        routes = slack_bot.routes if http is not None else None
    if matrix is not None:
        bots.append(matrix_chat.MatrixBot(app, matrix, runtime_factory=shared.factory))
        doors.append(f"Matrix ({matrix.user_id} on {matrix.homeserver})")
    url = settings.storage.resolved_url()
    print(
        f"warroom {__version__}: {' and '.join(doors)}, database {display_url(url)}, config {path}",
        file=sys.stderr,
    )
    asyncio.run(_serve_together(bots, shared, args, settings, http=http, routes=routes))
    return 0


async def _serve_together(
    bots: list[contextlib.AbstractAsyncContextManager[object]],
    shared: SharedRuntime,
    args: argparse.Namespace,
    settings: Settings,
    *,
    http: tuple[str, int] | None = None,
    routes: Callable[[], Sequence[BaseRoute]] | None = None,
) -> None:
    """Start every adapter at once (the shared runtime waits for all of them), serve the API,
    and stop them all on SIGTERM or when one fails to start."""
    import signal

    from warroom.ports import ChatError
    from warroom.wiring import settle_heap

    stop = asyncio.Event()
    # Windows has no signal handlers (NotImplementedError): Ctrl-C stops the bot there.
    with contextlib.suppress(NotImplementedError):
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with contextlib.AsyncExitStack() as stack:
        starting = [asyncio.create_task(stack.enter_async_context(bot)) for bot in bots]
        done, pending = await asyncio.wait(starting, return_when=asyncio.FIRST_EXCEPTION)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        for task in done:
            exc = task.exception()
            if isinstance(exc, ChatError):
                raise ConfigError(f"{exc} Fix: {exc.fix}" if exc.fix else str(exc)) from None
            if exc is not None:
                raise exc
        assert shared.runtime is not None
        served = routes() if routes is not None else ()
        async with serve_web(args, settings, shared.runtime, http=http, routes=served):
            settle_heap()
            with contextlib.suppress(asyncio.CancelledError):
                await stop.wait()


def cmd_matrix_login(args: argparse.Namespace) -> int:
    """Log in to Matrix once with a password; the token and device go into the database."""
    from warroom.chat.matrix.client import password_login
    from warroom.ports import ChatError
    from warroom.wiring import open_app

    settings, _ = settings_from(args)
    password = os.environ.get(args.password_env) if args.password_env else None
    if password is None:
        password = getpass.getpass(f"password of {args.user}: ")
    try:
        token, device = asyncio.run(password_login(args.homeserver, args.user, password))
    except ChatError as exc:
        print(f"warroom: {exc}", file=sys.stderr)
        return 1
    open_app(settings).save_matrix_login(args.user, args.homeserver, token, device)
    print(f"logged in as {args.user} (device {device}); the token is stored in the database")
    return 0
