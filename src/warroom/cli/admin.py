"""The operator's subcommands: tokens, lock checks, roster and on-call imports, stats, SLOs,
plugins, database upgrades."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from warroom.cli.common import settings_from
from warroom.store.db import connect, display_url, open_engine, upgrade


def cmd_token(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from warroom.store import tokens

    settings, _ = settings_from(args)
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


def cmd_roster_import(args: argparse.Namespace) -> int:
    from warroom.app.roster import RosterError, read_csv
    from warroom.wiring import open_app

    settings, _ = settings_from(args)
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

    settings, _ = settings_from(args)
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

    settings, _ = settings_from(args)
    if not settings.services:
        print("warroom: no services are configured (`services:`, docs/slo.md)", file=sys.stderr)
        return 2
    app = open_app(settings)
    with app.uow.sessions() as session:
        levels, _ = slo.levels(settings, app.clock.now(), session=session)
    print(to_csv(levels) if args.csv else render_plain(overview(levels)), end="\n" * (not args.csv))
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    settings, _ = settings_from(args)
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

    settings, _ = settings_from(args)
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
