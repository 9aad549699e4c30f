"""The built-in commands: every word users type and every command help shows, in one table.

A new built-in command is one `Entry` here (with its parser, or covered by its word's parser),
its type in commands/types.py and its handler in app/handlers.py.
"""

from __future__ import annotations

from warroom.commands import deploy, slo
from warroom.commands import grammar as g
from warroom.commands import types as t
from warroom.commands.registry import REGISTRY, Entry, Word

ENTRIES: tuple[Entry, ...] = (
    Entry(
        ("incident", "start"),
        "incident start [me|@user] <summary>",
        "Start an incident bound to this channel; the IMOC is you (`me`, the default) or @user. "
        "`sev1` before the summary sets its severity, `--service NAME` a service it hurts.",
        types=(t.StartIncident,),
        parser=g._start,
    ),
    Entry(
        ("incident", "channel"),
        "incident channel #channel",
        "Rebind the incident to another channel.",
        types=(t.Rebind,),
        parser=g._channel,
    ),
    Entry(
        ("incident", "imoc"),
        "incident imoc @user",
        "Make @user the IMOC.",
        types=(t.SetImoc,),
        parser=g._role(handoff=False),
    ),
    Entry(
        ("incident", "handoff"),
        "incident handoff @user",
        "Hand the IMOC role over to @user (recorded as a handoff).",
        parser=g._role(handoff=True),
    ),
    Entry(
        ("incident", "srm"),
        "incident srm @user",
        "Make @user the Support Response Manager.",
        types=(t.SetSrm,),
        parser=g._role(handoff=False, srm=True),
    ),
    Entry(
        ("incident", "failures"),
        "incident failures started [TIME]",
        "Record when failures started. TIME: `14:05`, `14:05 UTC`, `10m ago`, ISO; default now.",
        types=(t.Milestone,),
        parser=g._failures,
    ),
    Entry(
        ("incident", "mitigated"),
        "incident mitigated [TIME]",
        "Record when failures were mitigated. TIME as for `failures started`.",
        parser=g._mitigated,
    ),
    Entry(
        ("incident", "note"),
        "incident note <text>",
        "Add a note to the timeline; notes go into the report.",
        types=(t.Note,),
        parser=g._note,
    ),
    Entry(
        ("incident", "tldr"),
        "incident tldr",
        "Summary, timeline, roles and milestones.",
        types=(t.Tldr,),
        read_only=True,
        parser=g._bare(lambda i: t.Tldr(i), "tldr"),
    ),
    Entry(
        ("incident", "tell"),
        "incident tell <team> <message>",
        "Post a message to a team's channel with a link to the incident channel.",
        types=(t.Tell,),
        parser=g._tell,
    ),
    Entry(
        ("incident", "stop"),
        "incident stop",
        "Stop the incident, clear the topic and write the service-disruption report.",
        types=(t.Stop,),
        parser=g._bare(lambda i: t.Stop(i), "stop"),
    ),
    Entry(
        ("incident", "report"),
        "incident report [ID]",
        "The service-disruption report of a running or stopped incident.",
        types=(t.Report,),
        parser=g._bare(lambda i: t.Report(i), "report"),
    ),
    Entry(
        ("incidents",),
        "incidents [all]",
        "Active incidents; `all` adds the recent history with durations.",
        types=(t.ListIncidents,),
        read_only=True,
    ),
    Entry(
        ("status",),
        "status",
        "The components report and the overall word: NORMAL, DEGRADED or DOWN.",
        types=(t.StatusReport,),
        read_only=True,
    ),
    Entry(
        ("status", "incidents"),
        "status incidents",
        "Unresolved incidents from the status page.",
        types=(t.StatusIncidents,),
        read_only=True,
    ),
    Entry(
        ("status", "stalk"),
        "status stalk [INTERVAL]",
        "Check the status every INTERVAL (default 30s) and post here only what changed.",
        types=(t.Stalk,),
    ),
    Entry(
        ("status", "unstalk"),
        "status unstalk",
        "Stop stalking the status in this channel.",
        types=(t.Unstalk,),
    ),
    Entry(
        ("status", "<provider>"),
        "status <provider> <status> for <feature>",
        "Record a third party's status, e.g. `status stripe degraded for payments`.",
        types=(t.ProviderStatus,),
    ),
    Entry(
        ("ir",),
        "ir",
        "The incident commanders on call (primary, backup, trainees), their phones, how to page.",
        types=(t.ShowOnCall,),
        read_only=True,
    ),
    Entry(("ir", "responders"), "ir responders", "Who is on call for every team.", read_only=True),
    Entry(
        ("ir", "who"),
        "ir who <user>",
        "Contact details of one person.",
        types=(t.Who,),
        read_only=True,
    ),
    Entry(
        ("ir", "page"),
        "ir page [responders|@user] [message]",
        "Page the commanders (or every team, or one person); opens a war room and an incident.",
        types=(t.PageSomeone,),
    ),
    Entry(
        ("oncall",), "oncall", "The same as `ir`: the incident commanders on call.", read_only=True
    ),
    Entry(
        ("page",),
        'page [team|imoc|@user] "<message>"',
        "Page a team's on-call (`imoc`, or nothing: the incident commanders) or one person.",
    ),
    Entry(
        ("pager", "ack"),
        "pager [team] ack <page>",
        "Acknowledge a page (`pager list` shows their numbers).",
        types=(t.PagerUpdate,),
    ),
    Entry(("pager", "res"), "pager [team] res <page>", "Resolve a page."),
    Entry(("pager", "list"), "pager list", "Open pages.", types=(t.PagerList,), read_only=True),
    Entry(
        ("pager", "stfu"),
        "pager stfu [duration]",
        "I stop pinging you (reminders, rotation pings) for the duration (default 1h).",
        types=(t.Snooze,),
    ),
    Entry(("pager", "unstfu"), "pager unstfu", "I may ping you again."),
    Entry(
        ("cmd",),
        "cmd #channel <command>",
        "In a DM: run a command as if typed in #channel, e.g. `cmd #war-room incident note ...`.",
        where="dm",
    ),
    Entry(
        ("devoncall",),
        "devoncall <incident URL or text>",
        "Ping the least-pinged online engineer of the rotation in a thread; 👀 acknowledges.",
        types=(t.DevOnCall,),
    ),
    Entry(
        ("roster",),
        "roster",
        "The rotation's roster, and who may not be paged now.",
        types=(t.ShowRoster,),
        read_only=True,
    ),
    Entry(
        ("top",),
        "top",
        "The next 25 in the rotation queue (best in a DM).",
        types=(t.Top,),
        read_only=True,
    ),
    Entry(
        ("position",),
        "position",
        "Your place in the queue: higher = less likely next.",
        types=(t.Position,),
        read_only=True,
    ),
    Entry(
        ("stats",),
        "stats",
        "Rotation stats: time to ACK, pages, pings per person.",
        types=(t.RotationStats,),
        read_only=True,
    ),
    Entry(
        ("help",),
        "help [command]",
        "This list, or the details of one command.",
        types=(t.Help,),
        read_only=True,
    ),
    *(
        Entry(path, usage, summary, types=(kind,), read_only=kind is deploy.ListLocks)
        for (path, usage, summary), kind in zip(
            deploy.HELP, (deploy.LockStack, deploy.UnlockStack, deploy.ListLocks), strict=True
        )
    ),
)

WORDS: tuple[Word, ...] = (
    Word(("incident", "inc", "i"), g._incident, bang=("incident", "inc")),
    Word(("incidents",), g._incidents, bang=("incidents",)),
    Word(("status",), g._status, bang=("status",)),
    Word(("ir", "oncall"), g._ir, bang=("ir", "oncall")),
    Word(("page",), g._page, bang=("page",)),
    Word(("pager",), g._pager, bang=("pager",)),
    Word(("cmd",), g._cmd),
    Word(("devoncall",), g._devoncall, bang=("devoncall",)),
    Word(("roster",), g._rotation, bang=("roster",)),
    Word(("top", "position", "stats"), g._rotation),
    Word(("help", "?"), g._help, bang=("help",)),
    Word(("shipit",), lambda cur, args: deploy.parse_shipit(cur.rest), bang=("shipit",)),
)


def install() -> None:
    for entry in ENTRIES:
        REGISTRY.add(entry)
    for word in WORDS:
        REGISTRY.add_word(word)
    slo.install()


install()
