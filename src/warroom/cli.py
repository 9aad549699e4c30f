"""The `warroom` command: shell, run, db upgrade."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from warroom import __version__
from warroom.config import ConfigError, Settings, load
from warroom.store.db import DatabaseError, connect, display_url, open_engine, upgrade

if TYPE_CHECKING:
    from warroom.app.service import App
    from warroom.chat.matrix import MatrixSettings
    from warroom.chat.slack import SlackTokens


def _settings(args: argparse.Namespace) -> tuple[Settings, Path]:
    settings, path = load(args.config)
    if args.db:
        settings.storage.url = args.db
    return settings, path


def cmd_shell(args: argparse.Namespace) -> int:
    from warroom.app.assembly import runtime_for
    from warroom.app.service import App
    from warroom.chat.shell import ShellChat, ShellSession, serve

    settings, path = _settings(args)
    url = settings.storage.resolved_url()
    sessions = connect(url)
    print(
        f"warroom {__version__}: database {display_url(url)}, config {path}; type `help`",
        file=sys.stderr,
    )
    app = App(sessions=sessions, settings=settings)
    seed_roster(app)
    chat = ShellChat(bot_name=settings.bot.name, out=sys.stdout)
    user = args.user or settings.shell.user or getpass.getuser()

    async def main() -> None:
        async with runtime_for(app, {chat.platform: chat}, presence=chat) as runtime:
            channel = args.channel or settings.shell.channel
            await serve(ShellSession(runtime, chat, user=user, channel=channel))

    asyncio.run(main())
    if chat.gone:  # the reader went away (`| head`): exit as a writer to a closed pipe does
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no flush error at exit
        return 1
    return 0


def seed_roster(app: App) -> None:
    """`rotation.members` from the configuration join the roster (merged, never replacing)."""
    from warroom.core.rotation import Member

    entries = app.settings.rotation.members
    if entries:
        app.import_roster([Member(**e.model_dump()) for e in entries], replace=False)


def cmd_roster_import(args: argparse.Namespace) -> int:
    from warroom.app.roster import RosterError, read_csv
    from warroom.app.service import App

    settings, _ = _settings(args)
    try:
        people = read_csv(args.csv)
    except RosterError as exc:
        print(f"warroom: {exc}", file=sys.stderr)
        return 2
    app = App(sessions=connect(settings.storage.resolved_url()), settings=settings)
    added, updated, removed = app.import_roster(people, replace=args.replace)
    print(
        f"roster: {len(people)} in {args.csv}; {added} added, {updated} updated, {removed} removed"
    )
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    from warroom.app.service import App
    from warroom.core.doc import render_plain
    from warroom.render.rotation import stats, stats_csv

    settings, _ = _settings(args)
    app = App(sessions=connect(settings.storage.resolved_url()), settings=settings)
    figures = app.rotation_stats()
    print(
        stats_csv(figures) if args.csv else render_plain(stats(figures)), end="\n" * (not args.csv)
    )
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """Slack when its tokens are in the environment, else the terminal chat."""
    from warroom.chat.slack import SlackTokens

    tokens = SlackTokens.from_env()
    if tokens is None and not args.http and (matrix := _matrix_env()) is not None:
        return _run_matrix(args, matrix)
    http = _host_port(args.http) if args.http else None
    if http is not None and (tokens is None or not tokens.signing_secret):
        raise ConfigError(
            "--http needs SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET in the environment"
        )
    if tokens is None or (http is None and not tokens.app):
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
    from warroom.app.service import App
    from warroom.chat import slack

    settings, path = _settings(args)
    url = settings.storage.resolved_url()
    app = App(sessions=connect(url), settings=settings)
    seed_roster(app)
    mode = f"HTTP on {http[0]}:{http[1]}" if http else "Socket Mode"
    print(
        f"warroom {__version__}: Slack ({mode}, {slack.api_url()}), database {display_url(url)}, "
        f"config {path}",
        file=sys.stderr,
    )
    asyncio.run(slack.run(app, tokens, http=http))
    return 0


def _matrix_env() -> MatrixSettings | None:
    from warroom.chat.matrix import MatrixSettings

    return MatrixSettings.from_env()


def _run_matrix(args: argparse.Namespace, matrix: MatrixSettings) -> int:
    from warroom.app.service import App
    from warroom.chat import matrix as matrix_chat

    settings, path = _settings(args)
    url = settings.storage.resolved_url()
    app = App(sessions=connect(url), settings=settings)
    seed_roster(app)
    print(
        f"warroom {__version__}: Matrix ({matrix.user_id} on {matrix.homeserver}), "
        f"database {display_url(url)}, config {path}",
        file=sys.stderr,
    )
    asyncio.run(matrix_chat.run(app, matrix))
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    settings, _ = _settings(args)
    url = settings.storage.resolved_url()
    upgrade(open_engine(url))
    print(f"database {display_url(url)} is at the current schema")
    return 0


def cmd_oncall_import(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime, timedelta

    from warroom.providers.roster_csv import RosterError, import_csv

    if args.start:
        start = datetime.fromisoformat(args.start.replace("Z", "+00:00"))
        if start.tzinfo is None:
            start = start.replace(tzinfo=UTC)
    else:  # the coming Monday, 09:00 UTC
        today = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0)
        start = today + timedelta(days=(7 - today.weekday()) % 7 or 7)
    try:
        text = args.file.read_text(encoding="utf-8")
        print(import_csv(text, shift=args.shift, start=start), end="")
    except OSError as exc:
        print(f"warroom: {args.file}: {exc.strerror}", file=sys.stderr)
        return 1
    except RosterError as exc:
        print(f"warroom: {args.file}: {exc}", file=sys.stderr)
        return 2
    return 0


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
    shell.set_defaults(func=cmd_shell)

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
        help="serve Slack's Events API over HTTP instead of Socket Mode "
        "(needs SLACK_SIGNING_SECRET)",
    )
    run.set_defaults(func=cmd_run)

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

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    up = db_sub.add_parser("upgrade", help="apply the migrations")
    common(up)
    up.set_defaults(func=cmd_db_upgrade)

    oncall = sub.add_parser("oncall", help="the builtin on-call roster (people and rotations)")
    oncall_sub = oncall.add_subparsers(dest="oncall_command", required=True)
    imp = oncall_sub.add_parser(
        "import", help="people and rotations from CSV, printed as the YAML `oncall` section"
    )
    imp.add_argument("file", type=Path, help="CSV: handle,name,phone,email,timezone,rotation")
    imp.add_argument("--shift", choices=["daily", "weekly"], default="weekly")
    imp.add_argument("--start", help="first handover, ISO (default: the coming Monday 09:00 UTC)")
    imp.set_defaults(func=cmd_oncall_import)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
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
