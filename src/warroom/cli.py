"""The `warroom` command: shell, run, db upgrade."""

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

from warroom import __version__, logs
from warroom.config import ConfigError, Settings, load
from warroom.store.db import DatabaseError, connect, display_url, open_engine, upgrade

if TYPE_CHECKING:
    from starlette.routing import BaseRoute

    from warroom.app.runtime import Runtime
    from warroom.app.service import App
    from warroom.chat.factory import RuntimeFactory
    from warroom.chat.matrix import MatrixSettings
    from warroom.chat.slack import SlackTokens
    from warroom.wiring import SharedRuntime


def _settings(args: argparse.Namespace) -> tuple[Settings, Path]:
    settings, path = load(args.config)
    if args.db:
        settings.storage.url = args.db
    return settings, path


def cmd_shell(args: argparse.Namespace) -> int:
    from warroom.chat.shell import ShellChat, ShellSession, serve
    from warroom.wiring import open_app, runtime_for

    settings, path = _settings(args)
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


def cmd_token(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from warroom.store import tokens

    settings, _ = _settings(args)
    sessions = connect(settings.storage.resolved_url())
    with sessions.begin() as session:
        if args.token_command == "create":
            try:
                secret = tokens.create(args.name, args.scope, datetime.now(UTC), session=session)
            except tokens.TokenError as exc:
                print(f"warroom: {exc}", file=sys.stderr)
                return 2
            print(secret)
            print(f"token {args.name} ({args.scope}) created; it is shown only this once",
                  file=sys.stderr)  # fmt: skip
            return 0
        if args.token_command == "revoke":
            if not tokens.revoke(args.name, session=session):
                print(f"warroom: there is no token {args.name}", file=sys.stderr)
                return 1
            print(f"token {args.name} revoked")
            return 0
        for token in tokens.listed(session=session):
            print(f"{token.name}\t{token.scope}\tcreated {token.created_at:%Y-%m-%d %H:%M} UTC")
    return 0


def cmd_lock_check(args: argparse.Namespace) -> int:
    """Exit 0: the stack is free; 1: locked (and why); 2: cannot tell."""
    from urllib.parse import quote

    import httpx

    url = (args.url or os.environ.get("WARROOM_URL") or "http://127.0.0.1:8080").rstrip("/")
    secret = os.environ.get(args.token_env, "")
    if not secret:
        print(f"warroom: set {args.token_env} to an API token (scope read)", file=sys.stderr)
        return 2
    try:
        response = httpx.get(
            f"{url}/api/v1/locks/{quote(args.stack, safe='/')}",
            headers={"Authorization": f"Bearer {secret}"},
            timeout=args.timeout,
        )
        body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        print(f"warroom: cannot tell whether {args.stack} is locked: {exc or type(exc).__name__}",
              file=sys.stderr)  # fmt: skip
        return 2
    if response.status_code == 200 and body.get("locked") is False:
        print(f"🔓 {args.stack} is not locked")
        return 0
    if response.status_code == 423:
        why = f": {body['reason']}" if body.get("reason") else ""
        inc = f" (INC-{body['incident']})" if body.get("incident") else ""
        by = str(body.get("by"))
        who = by if by.startswith("via API (") else f"by @{by}"
        print(f"🔒 {args.stack} locked {who} since {body.get('since')}{why}{inc}")
        return 1
    detail = body.get("detail") if isinstance(body, dict) else None
    print(f"warroom: cannot tell whether {args.stack} is locked: HTTP {response.status_code}"
          + (f": {detail}" if detail else ""), file=sys.stderr)  # fmt: skip
    return 2


def seed_roster(app: App) -> None:
    """`rotation.members` seed an empty roster (the first start). After that the database is
    the roster (`warroom roster import`): a `--replace` is not undone at the next start."""
    from warroom.store import rotation as rotation_store

    members = app.settings.rotation_roster()
    if not members:
        return
    with app.sessions() as session:
        if rotation_store.members(session=session):
            return
    app.import_roster(members, replace=False)


def cmd_roster_import(args: argparse.Namespace) -> int:
    from warroom.app.roster import RosterError, read_csv
    from warroom.wiring import open_app

    settings, _ = _settings(args)
    try:
        people = read_csv(args.csv)
    except RosterError as exc:
        print(f"warroom: {exc}", file=sys.stderr)
        return 2
    app = open_app(settings)
    added, updated, removed = app.import_roster(people, replace=args.replace)
    print(
        f"roster: {len(people)} in {args.csv}; {added} added, {updated} updated, {removed} removed"
    )
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    from warroom.core.doc import render_plain
    from warroom.render.rotation import stats, stats_csv
    from warroom.wiring import open_app

    settings, _ = _settings(args)
    app = open_app(settings)
    figures = app.rotation_stats()
    print(
        stats_csv(figures) if args.csv else render_plain(stats(figures)), end="\n" * (not args.csv)
    )
    return 0


def cmd_slo(args: argparse.Namespace) -> int:
    """`warroom slo [--csv]`: every service's availability and error budget, as `slo` says."""
    from warroom.app import slo
    from warroom.core.doc import render_plain
    from warroom.render.slo import overview, to_csv
    from warroom.wiring import open_app

    settings, _ = _settings(args)
    if not settings.services:
        print("warroom: no services are configured (`services:`, docs/slo.md)", file=sys.stderr)
        return 2
    app = open_app(settings)
    with app.uow.sessions() as session:
        levels, _ = slo.levels(settings, app.clock.now(), session=session)
    print(to_csv(levels) if args.csv else render_plain(overview(levels)), end="\n" * (not args.csv))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """Slack when its tokens are in the environment and Matrix when its account is set (the
    environment or a stored `warroom matrix login`), both in one process when both are; else
    the terminal chat."""
    from warroom.wiring import matrix_settings, open_app, slack_tokens

    settings, _ = _settings(args)
    tokens = slack_tokens(settings)
    http = _host_port(args.http) if args.http else None
    if http is not None and (tokens is None or not tokens.signing_secret):
        raise ConfigError(
            "--http needs SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET in the environment"
        )
    if http is not None and (getattr(args, "web", None) or getattr(args, "no_web", False)):
        raise ConfigError(
            "--http HOST:PORT is where the web server listens in HTTP mode (Slack's events, the "
            "API, /metrics); leave out --web and --no-web"
        )
    matrix = matrix_settings(settings, app=open_app(settings))
    slack_ready = tokens is not None and (http is not None or tokens.app is not None)
    if tokens is not None and slack_ready and matrix is not None:
        return _run_both(args, tokens, http, matrix)
    if matrix is not None and not slack_ready:
        return _run_matrix(args, matrix)
    if tokens is None or not slack_ready:
        args.user = None
        args.channel = None
        return cmd_shell(args)
    return _run_slack(args, tokens, http)


def _host_port(raw: str) -> tuple[str, int]:
    host, _, port = raw.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"--http {raw}: expected HOST:PORT, e.g. 0.0.0.0:3000")
    return host, int(port)


def _run_slack(args: argparse.Namespace, tokens: SlackTokens, http: tuple[str, int] | None) -> int:
    from functools import partial

    from warroom.chat import slack
    from warroom.wiring import open_app, runtime_for

    settings, path = _settings(args)
    url = settings.storage.resolved_url()
    app = open_app(settings)
    seed_roster(app)
    mode = f"HTTP on {http[0]}:{http[1]}" if http else "Socket Mode"
    print(
        f"warroom {__version__}: Slack ({mode}, {slack.api_url(tokens.api_url)}), "
        f"database {display_url(url)}, config {path}",
        file=sys.stderr,
    )
    factory = partial(runtime_for, app)
    asyncio.run(_slack_with_web(app, tokens, http, args, settings, factory))
    return 0


async def _slack_with_web(
    app: App,
    tokens: SlackTokens,
    http: tuple[str, int] | None,
    args: argparse.Namespace,
    settings: Settings,
    factory: RuntimeFactory,
) -> None:
    """`slack.run` with the HTTP API on the bot's runtime."""
    import signal

    from warroom.chat import slack

    stop = asyncio.Event()
    with contextlib.suppress(NotImplementedError):  # no signal handlers on Windows
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with slack.SlackBot(app, tokens, runtime_factory=factory, http=http is not None) as bot:
        assert bot.runtime is not None
        routes = bot.routes() if http is not None else ()
        async with serve_web(args, settings, bot.runtime, http=http, routes=routes):
            with contextlib.suppress(asyncio.CancelledError):
                await stop.wait()


def _run_matrix(args: argparse.Namespace, matrix: MatrixSettings) -> int:
    from functools import partial

    from warroom.chat import matrix as matrix_chat
    from warroom.wiring import open_app, runtime_for

    settings, path = _settings(args)
    url = settings.storage.resolved_url()
    app = open_app(settings)
    seed_roster(app)
    print(
        f"warroom {__version__}: Matrix ({matrix.user_id} on {matrix.homeserver}), "
        f"database {display_url(url)}, config {path}",
        file=sys.stderr,
    )
    asyncio.run(matrix_chat.run(app, matrix, runtime_factory=partial(runtime_for, app)))
    return 0


def _run_both(
    args: argparse.Namespace,
    tokens: SlackTokens,
    http: tuple[str, int] | None,
    matrix: MatrixSettings,
) -> int:
    """Slack and Matrix in one process on one database, sharing one runtime."""
    from warroom.chat import matrix as matrix_chat
    from warroom.chat import slack
    from warroom.wiring import SharedRuntime, open_app

    settings, path = _settings(args)
    url = settings.storage.resolved_url()
    app = open_app(settings)
    seed_roster(app)
    print(
        f"warroom {__version__}: Slack ({'HTTP' if http else 'Socket Mode'}, "
        f"{slack.api_url(tokens.api_url)}) and Matrix ({matrix.user_id} on {matrix.homeserver}), "
        f"database {display_url(url)}, config {path}",
        file=sys.stderr,
    )
    shared = SharedRuntime(app, {slack.PLATFORM, matrix_chat.PLATFORM})
    slack_bot = slack.SlackBot(app, tokens, runtime_factory=shared.factory, http=http is not None)
    bots: list[contextlib.AbstractAsyncContextManager[object]] = [
        slack_bot,
        matrix_chat.MatrixBot(app, matrix, runtime_factory=shared.factory),
    ]
    routes = slack_bot.routes if http is not None else None
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

    stop = asyncio.Event()
    with contextlib.suppress(NotImplementedError):  # no signal handlers on Windows
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
            with contextlib.suppress(asyncio.CancelledError):
                await stop.wait()


def cmd_matrix_login(args: argparse.Namespace) -> int:
    """Log in to Matrix once with a password; the token and device go into the database."""
    from warroom.chat.matrix.client import password_login
    from warroom.ports import ChatError
    from warroom.wiring import open_app

    settings, _ = _settings(args)
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


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    settings, _ = _settings(args)
    url = settings.storage.resolved_url()
    upgrade(open_engine(url))
    print(f"database {display_url(url)} is at the current schema")
    return 0


def cmd_oncall_import(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime, timedelta

    from warroom.app.people import RosterError, oncall_section, parse_people

    if args.start:
        start = datetime.fromisoformat(args.start.replace("Z", "+00:00"))
        if start.tzinfo is None:
            start = start.replace(tzinfo=UTC)
    else:  # the coming Monday, 09:00 UTC
        today = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0)
        start = today + timedelta(days=(7 - today.weekday()) % 7 or 7)
    try:
        text = args.file.read_text(encoding="utf-8-sig")
        people = parse_people(text, source=str(args.file), required=("handle", "name"))
        section = oncall_section(people, shift=args.shift, start=start, source=str(args.file))
        print(section, end="")
    except OSError as exc:
        print(f"warroom: {args.file}: {exc.strerror}", file=sys.stderr)
        return 1
    except RosterError as exc:
        print(f"warroom: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_plugins(args: argparse.Namespace) -> int:
    """`plugins list`: each plugin's handshake; `plugins check`: also a dry call of each
    command, and no command shadowing a built-in one."""
    from warroom.plugins import Plugins

    settings, _ = _settings(args)
    if not settings.plugins.enabled:
        print("No plugins are configured (`plugins.enabled` in the configuration).")
        return 0

    async def main() -> int:
        plugins = await Plugins.start(settings)  # handshakes, then the registry's refusals
        try:
            for plugin in plugins.loaded:
                assert plugin.description is not None
                how = plugin.config.image or " ".join(plugin.config.command or [])
                print(f"{plugin.name}: {how} (contract {plugin.description.contract})")
                for spec in plugin.description.commands:
                    print(f"  {spec.usage} — {spec.help} (in: {spec.where})")
                if plugin.description.events:
                    print(f"  events: {', '.join(plugin.description.events)}")
            if args.plugins_command == "list":
                return 0
            failed = 0
            for name, problem in await plugins.check():
                print(f"✗ {name}: {problem}" if problem else f"✓ {name}")
                failed += problem is not None
            return 1 if failed else 0
        finally:
            plugins.close()

    return asyncio.run(main())


def log_format(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--log-format", choices=logs.FORMATS, help="json or console (default: console on a TTY)"
    )


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="warroom", description="ChatOps incident response.")
    top.add_argument("--version", action="version", version=f"warroom {__version__}")
    top.add_argument("--log-level", default="WARNING", help="DEBUG, INFO, WARNING (default)")
    sub = top.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--db", help="database URL (default: SQLite in the data dir)")
        p.add_argument("--config", type=Path, help="YAML configuration (default: the example)")

    shell = sub.add_parser("shell", help="chat with the bot in the terminal")
    common(shell)
    shell.add_argument("--user", help="who you are (default: your login name)")
    shell.add_argument("--channel", help="where you start (default: war-room)")
    log_format(shell)
    shell.set_defaults(func=cmd_shell)
    web_flags(shell)

    run = sub.add_parser(
        "run",
        help="run the bot: on Slack when SLACK_BOT_TOKEN and SLACK_APP_TOKEN are set, on Matrix "
        "when MATRIX_HOMESERVER, MATRIX_USER_ID and MATRIX_ACCESS_TOKEN are, "
        "else the terminal chat",
    )
    common(run)
    run.add_argument(
        "--http",
        metavar="HOST:PORT",
        help="serve Slack's Events API over HTTP instead of Socket Mode, at "
        "/slack/events on the web server, which then listens here (needs SLACK_SIGNING_SECRET)",
    )
    log_format(run)
    run.set_defaults(func=cmd_run)
    web_flags(run)

    matrix = sub.add_parser("matrix", help="Matrix: log in once with a password")
    matrix_sub = matrix.add_subparsers(dest="matrix_command", required=True)
    login = matrix_sub.add_parser("login", help="store an access token and device for the bot")
    common(login)
    login.add_argument("--homeserver", required=True, help="e.g. https://matrix.example.org")
    login.add_argument("--user", required=True, help="the bot's Matrix ID: @warroom:example.org")
    login.add_argument("--password-env", help="read the password from this variable (else asked)")
    login.set_defaults(func=cmd_matrix_login)

    token = sub.add_parser("token", help="API tokens: create (shown once), list, revoke")
    token_sub = token.add_subparsers(dest="token_command", required=True)
    create = token_sub.add_parser("create", help="a new token, printed once")
    common(create)
    create.add_argument("name", help="who uses it, e.g. ci-deploy (shown on the timeline)")
    create.add_argument("--scope", choices=["read", "respond", "deploy", "admin"], required=True)
    listing = token_sub.add_parser("list", help="the tokens' names and scopes")
    common(listing)
    revoke = token_sub.add_parser("revoke", help="revoke a token by name")
    common(revoke)
    revoke.add_argument("name")
    for p in (create, listing, revoke):
        p.set_defaults(func=cmd_token)

    lock = sub.add_parser("lock", help="deploy locks, for pipelines")
    lock_sub = lock.add_subparsers(dest="lock_command", required=True)
    check = lock_sub.add_parser(
        "check", help="exit 0 when STACK is free, 1 when locked (printing why), 2 when unknown"
    )
    check.add_argument("stack")
    check.add_argument("--url", help="warroom's base URL (default: $WARROOM_URL or "
                       "http://127.0.0.1:8080)")  # fmt: skip
    check.add_argument(
        "--token-env", default="WARROOM_TOKEN", metavar="VAR",
        help="the environment variable holding the token (default WARROOM_TOKEN)",
    )  # fmt: skip
    check.add_argument("--timeout", type=float, default=10.0, help="seconds (default 10)")
    check.set_defaults(func=cmd_lock_check)

    roster = sub.add_parser("roster", help="the fair rotation's roster")
    roster_sub = roster.add_subparsers(dest="roster_command", required=True)
    imp = roster_sub.add_parser("import", help="merge (or --replace) the roster from a CSV")
    common(imp)
    imp.add_argument("csv", type=Path, help="columns: handle,name,email,tz,country,manager")
    imp.add_argument("--replace", action="store_true", help="remove people not in the file")
    imp.set_defaults(func=cmd_roster_import)

    stats = sub.add_parser("stats", help="rotation stats: time to ACK, pages, pings")
    common(stats)
    stats.add_argument("--csv", action="store_true", help="CSV (metric,key,value) for BI tools")
    stats.set_defaults(func=cmd_stats)

    plugins = sub.add_parser("plugins", help="command plugins: list them, or check them")
    plugins_sub = plugins.add_subparsers(dest="plugins_command", required=True)
    for name, text in (
        ("list", "each configured plugin's commands and events (runs its `describe`)"),
        ("check", "list, then a dry call of every command; exit 1 if one fails"),
    ):
        p = plugins_sub.add_parser(name, help=text)
        common(p)
        p.set_defaults(func=cmd_plugins)

    slo_cmd = sub.add_parser("slo", help="service levels: availability, error budget, SLA")
    common(slo_cmd)
    slo_cmd.add_argument("--csv", action="store_true", help="CSV, one row per service")
    slo_cmd.set_defaults(func=cmd_slo)

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    up = db_sub.add_parser("upgrade", help="apply the migrations")
    common(up)
    up.set_defaults(func=cmd_db_upgrade)

    oncall = sub.add_parser(
        "oncall", help="the builtin on-call roster (people and shift schedules)"
    )
    oncall_sub = oncall.add_subparsers(dest="oncall_command", required=True)
    imp = oncall_sub.add_parser(
        "import", help="people and shift schedules from CSV, printed as the YAML `oncall` section"
    )
    imp.add_argument("file", type=Path, help="CSV: handle,name,phone,email,timezone,schedules")
    imp.add_argument("--shift", choices=["daily", "weekly"], default="weekly")
    imp.add_argument("--start", help="first handover, ISO (default: the coming Monday 09:00 UTC)")
    imp.set_defaults(func=cmd_oncall_import)
    return top


def web_flags(p: argparse.ArgumentParser) -> None:
    group = p.add_mutually_exclusive_group()
    group.add_argument("--web", metavar="HOST:PORT", help="serve the HTTP API here "
                       "(default: web.listen, 127.0.0.1:8080)")  # fmt: skip
    group.add_argument("--no-web", action="store_true", help="do not serve the HTTP API")


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logs.configure(getattr(args, "log_format", None), level=args.log_level)
    try:
        code: int = args.func(args)
        return code
    except ConfigError as exc:
        print(f"warroom: {exc}", file=sys.stderr)
        return 2
    except DatabaseError as exc:
        print(f"warroom: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
