"""Command type -> use case: the app's half of the command registry (commands/registry.py
names the types; this table runs them). `check` holds the two tables to each other: every
registered command type has a handler. A command registered at run time brings its handler
through `register`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from warroom.app import actions, incidents, locks, oncall, paging, rotation, severity, slo, status
from warroom.app.context import Ctx
from warroom.commands import slo as slo_cmds
from warroom.commands import types as t
from warroom.commands.registry import REGISTRY, Registry
from warroom.render.help import help_doc

Handler = Callable[[Any, Ctx], None]


def show_help(cmd: t.Help, ctx: Ctx) -> None:
    entries = REGISTRY.lookup(cmd.topic) if cmd.topic else None
    ctx.reply(help_doc(entries, bot_name=ctx.settings.bot.name))


HANDLERS: dict[type[Any], Handler] = {
    t.Help: show_help,
    t.StartIncident: incidents.start,
    t.Rebind: incidents.rebind,
    t.SetImoc: incidents.set_imoc,
    t.SetSrm: incidents.set_srm,
    t.Milestone: incidents.milestone,
    t.Note: incidents.note,
    t.Tldr: incidents.tldr,
    t.Tell: incidents.tell,
    t.Stop: incidents.stop,
    t.Report: incidents.report,
    t.ListIncidents: incidents.list_incidents,
    t.StatusReport: status.report,
    t.StatusIncidents: status.incidents,
    t.Stalk: status.stalk,
    t.Unstalk: status.unstalk,
    t.ProviderStatus: status.provider_status,
    t.ShowOnCall: oncall.show_oncall,
    t.Who: oncall.who,
    t.PageSomeone: paging.page,
    t.PagerUpdate: paging.update,
    t.PagerList: paging.list_pages,
    t.Snooze: paging.snooze,
    t.DevOnCall: rotation.devoncall,
    t.ShowRoster: rotation.show_roster,
    t.Top: rotation.top,
    t.Position: rotation.position,
    t.RotationStats: rotation.show_stats,
    **locks.HANDLERS,
    slo_cmds.SetSeverity: severity.set_severity,
    slo_cmds.SetImpact: slo.set_impact,
    slo_cmds.AddAction: actions.add,
    slo_cmds.ActionDone: actions.done,
    slo_cmds.ListActions: actions.listing,
    slo_cmds.ShowSlo: slo.show,
}


class MissingHandler(RuntimeError):
    """A registered command type that no handler runs."""


def check(registry: Registry = REGISTRY) -> None:
    missing = sorted(k.__name__ for k in registry.command_types() - set(HANDLERS))
    if missing:
        raise MissingHandler(f"commands without a handler: {', '.join(missing)}")


def register(kind: type[Any], handler: Handler) -> None:
    """The handler of a command type registered at run time (before its first use)."""
    if kind in HANDLERS:
        raise ValueError(f"{kind.__name__} has a handler already")
    HANDLERS[kind] = handler


def handler_for(command: object) -> Handler:
    return HANDLERS[type(command)]


check()
