"""Help texts: one entry per command, used by `help` and by usage errors."""

from __future__ import annotations

from dataclasses import dataclass

from warroom.commands.deploy import HELP as DEPLOY_HELP


@dataclass(frozen=True)
class Entry:
    path: tuple[str, ...]
    usage: str
    summary: str


ENTRIES: tuple[Entry, ...] = (
    Entry(
        ("incident", "start"),
        "incident start [me|@user] <summary>",
        "Start an incident bound to this channel; the IMOC is you (`me`, the default) or @user.",
    ),
    Entry(
        ("incident", "channel"),
        "incident channel #channel",
        "Rebind the incident to another channel.",
    ),
    Entry(("incident", "imoc"), "incident imoc @user", "Make @user the IMOC."),
    Entry(
        ("incident", "handoff"),
        "incident handoff @user",
        "Hand the IMOC role over to @user (recorded as a handoff).",
    ),
    Entry(("incident", "srm"), "incident srm @user", "Make @user the Support Response Manager."),
    Entry(
        ("incident", "failures"),
        "incident failures started [TIME]",
        "Record when failures started. TIME: `14:05`, `14:05 UTC`, `10m ago`, ISO; default now.",
    ),
    Entry(
        ("incident", "mitigated"),
        "incident mitigated [TIME]",
        "Record when failures were mitigated. TIME as for `failures started`.",
    ),
    Entry(
        ("incident", "note"),
        "incident note <text>",
        "Add a note to the timeline; notes go into the report.",
    ),
    Entry(("incident", "tldr"), "incident tldr", "Summary, timeline, roles and milestones."),
    Entry(
        ("incident", "tell"),
        "incident tell <team> <message>",
        "Post a message to a team's channel with a link to the incident channel.",
    ),
    Entry(
        ("incident", "stop"),
        "incident stop",
        "Stop the incident, clear the topic and write the service-disruption report.",
    ),
    Entry(
        ("incident", "report"),
        "incident report [ID]",
        "The service-disruption report of a running or stopped incident.",
    ),
    Entry(
        ("incidents",),
        "incidents [all]",
        "Active incidents; `all` adds the recent history with durations.",
    ),
    Entry(
        ("status",),
        "status",
        "The components report and the overall word: NORMAL, DEGRADED or DOWN.",
    ),
    Entry(
        ("status", "incidents"), "status incidents", "Unresolved incidents from the status page."
    ),
    Entry(
        ("status", "stalk"),
        "status stalk [INTERVAL]",
        "Check the status every INTERVAL (default 30s) and post here only what changed.",
    ),
    Entry(("status", "unstalk"), "status unstalk", "Stop stalking the status in this channel."),
    Entry(
        ("status", "<provider>"),
        "status <provider> <status> for <feature>",
        "Record a third party's status, e.g. `status stripe degraded for payments`.",
    ),
    Entry(
        ("ir",),
        "ir",
        "The incident commanders on call (primary, backup, trainees), their phones, how to page.",
    ),
    Entry(("ir", "responders"), "ir responders", "Who is on call for every team."),
    Entry(("ir", "who"), "ir who <user>", "Contact details of one person."),
    Entry(
        ("ir", "page"),
        "ir page [responders|@user] [message]",
        "Page the commanders (or every team, or one person); opens a war room and an incident.",
    ),
    Entry(("oncall",), "oncall", "The same as `ir`: the incident commanders on call."),
    Entry(
        ("page",),
        'page <team|imoc|@user> "<message>"',
        "Page a team's on-call (`imoc`: the incident commanders) or one person.",
    ),
    Entry(
        ("pager", "ack"),
        "pager [team] ack <page>",
        "Acknowledge a page (`pager list` shows their numbers).",
    ),
    Entry(("pager", "res"), "pager [team] res <page>", "Resolve a page."),
    Entry(("pager", "list"), "pager list", "Open pages."),
    Entry(
        ("pager", "stfu"),
        "pager stfu [duration]",
        "I stop pinging you (reminders, rotation pings) for the duration (default 1h).",
    ),
    Entry(("pager", "unstfu"), "pager unstfu", "I may ping you again."),
    Entry(
        ("cmd",),
        "cmd #channel <command>",
        "In a DM: run a command as if typed in #channel, e.g. `cmd #war-room incident note ...`.",
    ),
    Entry(
        ("devoncall",),
        "devoncall <incident URL or text>",
        "Ping the least-pinged online engineer of the rotation in a thread; 👀 acknowledges.",
    ),
    Entry(("roster",), "roster", "The rotation's roster, and who may not be paged now."),
    Entry(("top",), "top", "The next 25 in the rotation queue (best in a DM)."),
    Entry(("position",), "position", "Your place in the queue: higher = less likely next."),
    Entry(("stats",), "stats", "Rotation stats: time to ACK, pages, pings per person."),
    *(Entry(*row) for row in DEPLOY_HELP),
    Entry(("help",), "help [command]", "This list, or the details of one command."),
)

ID_NOTE = (
    "In an incident's channel, commands apply to its incident. Elsewhere give the ID first: "
    "`incident 12 tldr`, `incident INC-12 note ...`."
)


def usage_of(*path: str) -> str:
    for entry in ENTRIES:
        if entry.path == path:
            return entry.usage
    raise KeyError(path)


def lookup(topic: tuple[str, ...]) -> list[Entry]:
    """Entries whose path starts with `topic` (`help incident` lists every incident command)."""
    topic = tuple(word.lower() for word in topic)
    return [e for e in ENTRIES if e.path[: len(topic)] == topic]
