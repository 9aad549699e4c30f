"""What every `warroom` subcommand shares: settings from the flags, the roster seed, flags."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from warroom import logs
from warroom.config import ConfigError, Settings, load

if TYPE_CHECKING:
    from warroom.app.service import App


def settings_from(args: argparse.Namespace) -> tuple[Settings, Path]:
    settings, path = load(args.config)
    if args.db:
        settings.storage.url = args.db
    return settings, path


def say_warnings(settings: Settings) -> None:
    """At start, one line each for what the configuration allows but will not work."""
    for warning in settings.warnings():
        print(f"warroom: warning: {warning}", file=sys.stderr)


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


def log_format(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--log-format", choices=logs.FORMATS, help="json or console (default: console on a TTY)"
    )


def web_flags(p: argparse.ArgumentParser) -> None:
    group = p.add_mutually_exclusive_group()
    group.add_argument("--web", metavar="HOST:PORT", help="serve the HTTP API here "
                       "(default: web.listen, 127.0.0.1:8080)")  # fmt: skip
    group.add_argument("--no-web", action="store_true", help="do not serve the HTTP API")


def host_port(raw: str) -> tuple[str, int]:
    host, _, port = raw.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"--http {raw}: expected HOST:PORT, e.g. 0.0.0.0:3000")
    return host, int(port)
