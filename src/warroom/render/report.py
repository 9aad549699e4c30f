"""The service-disruption report in Markdown."""

from __future__ import annotations

from warroom.core.doc import render_line
from warroom.core.report import ReportData
from warroom.core.timeref import format_duration, format_utc
from warroom.render.incident import event_line, inc


def markdown(
    report: ReportData, *, impact: list[str] | None = None, actions: list[str] | None = None
) -> str:
    """`impact`: what the incident spent of each service's error budget; `actions`: its action
    items (`- [ ] ...`), instead of the blank template."""
    incident = report.incident
    draft = " (draft: the incident is still running)" if report.draft else ""
    start = format_utc(report.impact_start) if report.impact_start else "not recorded"
    end = format_utc(report.impact_end) if report.impact_end else "not recorded"
    ttm = format_duration(report.time_to_mitigate) if report.time_to_mitigate else "unknown"
    out = [
        f"# Service disruption: {incident.summary}",
        "",
        f"{inc(incident)}{draft}. Generated {format_utc(report.generated_at)}.",
        "",
        "## Summary",
        "",
        f"- **Impact window:** {start} → {end}",
        f"- **Time to mitigate:** {ttm}",
        f"- **Incident started:** {format_utc(incident.started_at)}",
        "- **Incident stopped:** "
        + (format_utc(incident.stopped_at) if incident.stopped_at else "still running"),
        f"- **Total duration:** {format_duration(report.duration)}",
        f"- **Channel:** #{incident.channel}",
        *([f"- **Severity:** {incident.severity}"] if incident.severity else []),
        *([f"- **Impact:** {i}" for i in impact] if impact else []),
        "",
        "## Roles and handoffs",
        "",
        f"- **IMOC:** @{incident.imoc}",
        "- **SRM:** " + (f"@{incident.srm}" if incident.srm else "none"),
        "",
    ]
    out += [f"- {render_line(event_line(e))}" for e in report.roles]
    out += ["", "## Timeline", ""]
    out += [f"- {render_line(event_line(e))}" for e in report.timeline]
    out += ["", "## Notes", ""]
    out += [f"- {format_utc(n.at)} @{n.actor}: {n.text}" for n in report.notes] or ["None."]
    out += ["", "## People involved", ""]
    out += [", ".join(f"@{p}" for p in report.people)]
    out += ["", "## Action items", ""]
    out += actions or ["- [ ] Root cause analysis", "- [ ] "]
    out += [""]
    return "\n".join(out)
