"""The words of service levels: `slo`, `slo <service>`, the CSV, the report's budget lines,
burn-rate alerts."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from warroom.core.doc import Doc, Line, bold, line
from warroom.core.slo import BurnRule, Detail, ServiceLevel
from warroom.core.timeref import format_duration, format_utc

STATE_ICON = {
    "met": "🟢",
    "objective missed": "🟠",
    "SLA at risk": "🟠",
    "SLA breached": "🔴",
    "unknown": "⚪",
}


def pct(value: float | None, digits: int = 3) -> str:
    return "unknown" if value is None else f"{value:.{digits}f}%"


def minutes(value: float) -> str:
    sign = "-" if value < 0 else ""
    return (
        f"{sign}{format_duration(timedelta(minutes=abs(value)))}"
        if abs(value) >= 1
        else f"{value:.1f} min"
    )


def days(window: timedelta) -> str:
    return f"{window.days}d" if window.seconds == 0 else format_duration(window)


def _level_line(level: ServiceLevel) -> Line:
    budget = level.budget
    head = (
        f"{STATE_ICON[level.state]} {level.service}: {pct(level.availability)} over "
        f"{days(level.window)} (objective {level.objective:g}%"
        + (f", SLA {level.sla:g}%" if level.sla is not None else "")
        + ")"
    )
    if budget is None:
        return line(head + ": nothing known yet (no probe sample in the window).")
    if budget.left_minutes < 0:  # said as what it is, not as a negative amount left
        left = f"budget overspent by {minutes(-budget.left_minutes)}"
        left += (
            f" ({budget.spent_percent:.1f}% of {minutes(budget.minutes)} spent)"
            if (budget.spent_percent is not None)
            else f" (of {minutes(budget.minutes)})"
        )
    else:
        left = f"budget left {minutes(budget.left_minutes)} of {minutes(budget.minutes)}"
        if budget.left_percent is not None:
            left += f" ({budget.left_percent:.1f}%)"
    tail = "" if level.state == "met" else f"; {level.state}"
    measure = level.measure
    unknown = ""
    if measure is not None and measure.unknown_minutes >= 1:
        share = 100 * measure.unknown_minutes / measure.span_minutes
        unknown = f"; {share:.1f}% of the window unknown (no probe samples)"
    return line(f"{head}: {left}{tail}{unknown}")


def overview(levels: list[ServiceLevel]) -> Doc:
    return Doc((line(bold("Service levels")), *(_level_line(level) for level in levels)))


def detail(found: Detail) -> Doc:
    level = found.level
    lines: list[Line] = [line(bold(f"Service level of {level.service}")), _level_line(level)]
    for measure in level.measures:
        lines.append(
            line(
                f"  {measure.source}: {pct(measure.availability)}, {measure.bad_minutes:.1f} bad "
                f"minutes of {measure.known_minutes:.0f} known"
                + (
                    f", {measure.unknown_minutes:.0f} unknown"
                    if measure.unknown_minutes >= 1
                    else ""
                )
            )
        )
    rates = ", ".join(
        f"{name} {'unknown' if rate is None else f'{rate:.1f}×'}"
        for name, rate in found.burn.items()
    )
    lines.append(line(f"Burn rate: {rates} (1× spends the budget exactly over the window)."))
    if found.spent:
        lines.append(line("Incidents that spent its budget:"))
        budget = level.budget
        for span, spent in found.spent:
            share = ""
            if budget is not None and budget.minutes > 0:
                share = f" ({100 * spent / budget.minutes:.1f}% of the budget)"
            lines.append(
                line(
                    f"  INC-{span.incident_id} {span.summary}: {minutes(spent)}{share}, "
                    f"{span.level} impact since {format_utc(span.start)}"
                    + ("" if span.end else ", not mitigated yet")
                )
            )
    elif not found.counts_incidents:
        lines.append(line(f"Its error budget {PROBES_ONLY} (`incidents: false`)."))
    else:
        lines.append(line("No incident spent its budget in the window."))
    return Doc(tuple(lines))


CSV_HEADER = (
    "service", "objective", "sla", "window_days", "availability", "state", "budget_minutes",
    "budget_left_minutes", "budget_left_percent", "unknown_minutes",
)  # fmt: skip


def to_csv(levels: list[ServiceLevel]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for level in levels:
        budget = level.budget
        measure = level.measure

        def num(value: float | None, digits: int = 4) -> str:
            return "" if value is None else f"{value:.{digits}f}"

        writer.writerow(
            (
                level.service, f"{level.objective:g}",
                "" if level.sla is None else f"{level.sla:g}",
                f"{level.window.total_seconds() / 86400:g}", num(level.availability), level.state,
                num(budget.minutes if budget else None, 2),
                num(budget.left_minutes if budget else None, 2),
                num(budget.left_percent if budget else None, 2),
                num(measure.unknown_minutes if measure else None, 0),
            )
        )  # fmt: skip
    return out.getvalue()


PROBES_ONLY = "counts probes, not incidents"


def impact_recorded(incident_id: int, service: str, level: str, *, counted: bool) -> Doc:
    told = (
        "its error budget counts the failures."
        if counted
        else f"recorded for the report; its error budget {PROBES_ONLY}."
    )
    return Doc.of(f"💥 INC-{incident_id} hurts {service} ({level} impact): {told}")


def probes_only_line(service: str, level: str) -> str:
    """The report's line for a service with `incidents: false`: the incident spent nothing of
    a budget that only probes spend (`slo <service>` shows what they say)."""
    return f"{service}: {level} impact; its error budget {PROBES_ONLY} (`slo {service}`)"


def spent_line(service: str, level: str, spent: float, budget: float, objective: float) -> str:
    share = (
        f" ({100 * spent / budget:.1f}% of its {minutes(budget)} budget at {objective:g}%)"
        if budget > 0
        else ""
    )
    return f"{service}: {level} impact, spent {minutes(spent)} of error budget{share}"


def burn_alert(service: str, rule: BurnRule, burn: float, objective: float) -> Doc:
    return Doc.of(
        f"🔥 {service} is burning its error budget {burn:.1f}× too fast "
        f"({rule.name} burn: ≥ {rule.factor:g}× over {format_duration(rule.long)} and "
        f"{format_duration(rule.short)}; objective {objective:g}%). "
        f"`slo {service}` shows the detail."
    )


def burn_resolved(service: str, rule: str) -> Doc:
    return Doc.of(f"✅ {service} no longer burns its error budget too fast ({rule} burn stopped).")
