"""The `warroom` command: its parser and `main`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from warroom import __version__, logs
from warroom.cli.admin import (
    cmd_db_upgrade,
    cmd_lock_check,
    cmd_oncall_import,
    cmd_plugins,
    cmd_roster_import,
    cmd_slo,
    cmd_stats,
    cmd_token,
)
from warroom.cli.chat import cmd_matrix_login, cmd_run, cmd_shell
from warroom.cli.common import log_format, web_flags
from warroom.config import ConfigError
from warroom.store.db import DatabaseError


def parser() -> argparse.ArgumentParser:
    """The whole command line: `warroom <subcommand> ...`."""
    top = argparse.ArgumentParser(prog="warroom", description="ChatOps incident response.")
    top.add_argument("--version", action="version", version=f"warroom {__version__}")
    top.add_argument("--log-level", default="WARNING", help="DEBUG, INFO, WARNING (default)")
    sub = top.add_subparsers(dest="command", required=True)

    _chat(sub)
    _access(sub)
    _operations(sub)
    return top


def common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", help="database URL (default: SQLite in the data dir)")
    p.add_argument("--config", type=Path, help="YAML configuration (default: the example)")


def _chat(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """shell, run, matrix login."""
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


def _access(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """API tokens and the pipelines' lock check."""
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


def _operations(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """roster, stats, plugins, slo, db, oncall."""
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
