"""The incident lifecycle in the core, with fixed times and no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from warroom.core import incident as core
from warroom.core import report
from warroom.core.incident import EventKind, Incident, IncidentError

T0 = datetime(2017, 2, 23, 22, 42, 36, tzinfo=UTC)


def started(summary: str = "checkout is down") -> Incident:
    incident, _ = core.start(
        platform="shell",
        channel="war-room",
        summary=summary,
        imoc="daniella",
        reporter="daniella",
        now=T0,
    )
    return incident


def test_start_records_imoc_summary_and_time() -> None:
    """Starting binds the incident to its channel with the IMOC and the summary, whitespace tidied."""
    incident, event = core.start(
        platform="shell",
        channel="war-room",
        summary="  checkout   is down ",
        imoc="hormoz",
        reporter="daniella",
        now=T0,
    )
    assert ("checkout is down", "hormoz", "war-room", T0) == (
        incident.summary,
        incident.imoc,
        incident.channel,
        incident.started_at,
    )
    assert incident.active
    assert (EventKind.STARTED, "daniella", "hormoz") == (event.kind, event.actor, event.subject)


@pytest.mark.parametrize("summary", ["", "   ", "x" * (core.MAX_SUMMARY + 1)])
def test_start_refuses_empty_or_huge_summary(summary: str) -> None:
    with pytest.raises(IncidentError):
        core.start(platform="shell", channel="c", summary=summary, imoc="a", reporter="a", now=T0)


def test_stopping_a_stopped_incident_raises_and_leaves_it_as_it_was() -> None:
    """An illegal transition raises one named error; the incident value is unchanged."""
    stopped, _ = core.stop(started(), actor="daniella", now=T0 + timedelta(hours=1))
    with pytest.raises(IncidentError, match="stopped already"):
        core.stop(stopped, actor="daniella", now=T0 + timedelta(hours=2))
    assert T0 + timedelta(hours=1) == stopped.stopped_at


@pytest.mark.parametrize(
    "change",
    [
        lambda i: core.assign_imoc(i, user="x", actor="a", now=T0, handoff=True),
        lambda i: core.assign_srm(i, user="x", actor="a", now=T0),
        lambda i: core.rebind(i, channel="elsewhere", actor="a", now=T0),
        lambda i: core.tell(i, team="support", message="hi", actor="a", now=T0),
    ],
)
def test_a_stopped_incident_refuses_role_and_channel_changes(change: object) -> None:
    stopped, _ = core.stop(started(), actor="a", now=T0)
    before = stopped
    with pytest.raises(IncidentError):
        change(stopped)  # type: ignore[operator]
    assert before == stopped


def test_notes_and_milestones_are_allowed_after_stop_for_the_report() -> None:
    stopped, _ = core.stop(started(), actor="a", now=T0 + timedelta(hours=1))
    later = T0 + timedelta(hours=2)
    mitigated, _ = core.mark_mitigated(stopped, at=T0 + timedelta(minutes=30), actor="a", now=later)
    assert T0 + timedelta(minutes=30) == mitigated.mitigated_at
    assert "late note" == core.add_note(mitigated, text=" late note ", actor="a", now=later).text


def test_handoff_to_the_current_imoc_is_refused() -> None:
    incident = started()
    with pytest.raises(IncidentError, match="IMOC already"):
        core.assign_imoc(incident, user="daniella", actor="daniella", now=T0, handoff=True)


def test_handoff_moves_the_role_and_records_a_handoff_event() -> None:
    incident, event = core.assign_imoc(
        started(), user="bob", actor="daniella", now=T0, handoff=True
    )
    assert "bob" == incident.imoc
    assert (EventKind.HANDOFF, "bob") == (event.kind, event.subject)


def test_milestones_must_be_in_order_and_not_in_the_future() -> None:
    incident = started()
    with pytest.raises(IncidentError, match="future"):
        core.mark_failures_started(incident, at=T0 + timedelta(seconds=1), actor="a", now=T0)
    failing, _ = core.mark_failures_started(
        incident, at=T0 - timedelta(minutes=10), actor="a", now=T0
    )
    with pytest.raises(IncidentError, match="before they started"):
        core.mark_mitigated(failing, at=T0 - timedelta(minutes=20), actor="a", now=T0)
    mitigated, _ = core.mark_mitigated(failing, at=T0 - timedelta(minutes=5), actor="a", now=T0)
    with pytest.raises(IncidentError, match="after they were mitigated"):
        core.mark_failures_started(mitigated, at=T0 - timedelta(minutes=1), actor="a", now=T0)


def test_people_involved_are_actors_and_role_holders_in_order_of_appearance() -> None:
    incident = started()
    events = [
        core.start(
            platform="shell", channel="c", summary="s", imoc="daniella", reporter="camilo", now=T0
        )[1],
        core.add_note(incident, text="n", actor="felix", now=T0),
        core.assign_srm(incident, user="charlie", actor="daniella", now=T0)[1],
    ]
    assert ["daniella", "camilo", "felix", "charlie"] == core.people_involved(incident, events)


def test_report_computes_impact_window_time_to_mitigate_and_duration() -> None:
    incident = started()
    incident, e1 = core.mark_failures_started(
        incident, at=T0 - timedelta(minutes=10), actor="a", now=T0
    )
    incident, e2 = core.mark_mitigated(
        incident, at=T0 + timedelta(minutes=20), actor="a", now=T0 + timedelta(minutes=25)
    )
    incident, e3 = core.stop(incident, actor="a", now=T0 + timedelta(hours=1))
    data = report.build(incident, [e1, e2, e3], now=T0 + timedelta(hours=2))
    assert timedelta(minutes=30) == data.time_to_mitigate
    assert timedelta(hours=1) == data.duration
    assert not data.draft
