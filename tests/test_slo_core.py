"""The service-level arithmetic, with fixed clocks and answers worked out by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from warroom.core import slo
from warroom.core.slo import Counts, Impact

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
MIN = timedelta(minutes=1)


def at(minutes_ago: float) -> datetime:
    return NOW - timedelta(minutes=minutes_ago)


def test_overlapping_incidents_on_one_service_count_once() -> None:
    """Two incidents at 60→30 and 45→0 minutes ago cover 60 minutes, not 75."""
    impacts = [Impact(1, at(60), at(30)), Impact(2, at(45), at(0))]
    measure = slo.incident_measure(impacts, start=NOW - DAY, end=NOW)
    assert 60.0 == measure.bad_minutes
    assert 1440.0 == measure.known_minutes
    # 1 - 60/1440 = 95.8333...%
    assert pytest.approx(95.83333, abs=1e-4) == measure.availability


def test_an_unmitigated_incident_counts_up_to_now() -> None:
    measure = slo.incident_measure([Impact(1, at(90), None)], start=NOW - DAY, end=NOW)
    assert 90.0 == measure.bad_minutes


def test_window_edges_clip_impacts() -> None:
    """An incident from 25 h ago to 23 h ago: only its last hour is inside a 1-day window; one
    that ended exactly at the window's start counts nothing."""
    inside = Impact(1, NOW - timedelta(hours=25), NOW - timedelta(hours=23))
    edge = Impact(2, NOW - timedelta(hours=30), NOW - DAY)
    measure = slo.incident_measure([inside, edge], start=NOW - DAY, end=NOW)
    assert 60.0 == measure.bad_minutes
    assert 0.0 == slo.spent_by(edge, start=NOW - DAY, end=NOW)


def test_partial_impact_counts_its_fraction_and_a_full_overlap_wins() -> None:
    """Partial (0.5) for 40 minutes, of which 10 overlap a full impact: 30 × 0.5 + 10 = 25."""
    partial = Impact(1, at(40), at(0), 0.5)
    full = Impact(2, at(40), at(30), 1.0)
    assert 20.0 == slo.incident_measure([partial], start=NOW - DAY, end=NOW).bad_minutes
    assert 25.0 == slo.incident_measure([partial, full], start=NOW - DAY, end=NOW).bad_minutes


def test_missing_probes_are_unknown_not_good() -> None:
    """A day with probes in 600 of 1440 minutes, 1,150 good samples of 1,200: availability is
    over the 600 known minutes (95.8333%), and 840 minutes are unknown."""
    measure = slo.probe_measure(Counts(1150, 1200, 600), span_minutes=1440)
    assert 840.0 == measure.unknown_minutes
    assert pytest.approx(95.83333, abs=1e-4) == measure.availability
    assert pytest.approx(25.0) == measure.bad_minutes
    nothing = slo.probe_measure(slo.NO_COUNTS, span_minutes=1440)
    assert nothing.availability is None
    assert 1440.0 == nothing.unknown_minutes


def test_minute_counts_treat_a_zero_total_as_unknown() -> None:
    good = bytes([2, 0, 1, 0])
    total = bytes([2, 2, 2, 0])
    assert Counts(3, 6, 3) == slo.minute_counts(good, total)


def test_budget_of_a_30_day_999_objective_is_43_minutes_12_seconds() -> None:
    """30 days = 43,200 minutes; 0.1% of that is 43.2 minutes. An hour of full impact spends
    60 / 43.2 = 138.9% of it."""
    measure = slo.incident_measure([Impact(1, at(60), at(0))], start=NOW - 30 * DAY, end=NOW)
    budget = slo.budget(99.9, measure)
    assert pytest.approx(43.2) == budget.minutes
    assert pytest.approx(-16.8) == budget.left_minutes
    assert pytest.approx(138.8889, abs=1e-3) == budget.spent_percent


def test_the_worse_source_decides() -> None:
    probes = slo.probe_measure(Counts(99, 100, 50), span_minutes=100)
    incidents = slo.incident_measure([], start=NOW - 100 * MIN, end=NOW)
    assert probes == slo.worst([probes, incidents])
    blind = slo.probe_measure(slo.NO_COUNTS, span_minutes=100)
    assert incidents == slo.worst([blind, incidents])


def test_burn_rate_and_the_multi_window_rule() -> None:
    """5 bad minutes in the last hour at 99.9: (5/60) / 0.001 = 83.3×, over 14.4; the last 5
    minutes all good: 0×, so the fast rule does not fire (the burn stopped)."""
    impact = [Impact(1, at(20), at(15))]
    hour = slo.incident_measure(impact, start=at(60), end=NOW)
    five = slo.incident_measure(impact, start=at(5), end=NOW)
    fast = slo.DEFAULT_BURN_RULES[0]
    assert pytest.approx(83.333, abs=1e-3) == slo.burn_rate(hour, 99.9)
    assert 0.0 == slo.burn_rate(five, 99.9)
    assert not slo.firing(fast, slo.burn_rate(hour, 99.9), slo.burn_rate(five, 99.9))
    assert slo.firing(fast, 83.3, 14.4)
    assert (["fast"], ["slow"]) == slo.alert_changes({"slow"}, {"fast"})


impacts = st.lists(
    st.tuples(
        st.integers(0, 3000), st.integers(0, 600), st.sampled_from([1.0, 0.5, 0.25, 0.0])
    ).map(lambda t: Impact(1, at(t[0]), at(max(0, t[0] - t[1])), t[2])),
    max_size=8,
)


@given(impacts)
def test_availability_stays_within_0_and_100(found: list[Impact]) -> None:
    measure = slo.incident_measure(found, start=NOW - DAY, end=NOW)
    assert measure.availability is not None
    assert 0.0 <= measure.availability <= 100.0


@given(impacts, st.integers(0, 1439))
def test_a_bad_minute_never_raises_availability(found: list[Impact], minute: int) -> None:
    before = slo.incident_measure(found, start=NOW - DAY, end=NOW).availability
    bad = Impact(9, at(minute + 1), at(minute))
    after = slo.incident_measure([*found, bad], start=NOW - DAY, end=NOW).availability
    assert before is not None
    assert after is not None
    assert after <= before + 1e-9


@given(st.integers(0, 10_000), st.integers(0, 10_000), st.integers(1, 1440))
def test_a_failed_probe_never_raises_availability(good: int, bad: int, minutes: int) -> None:
    before = slo.probe_measure(Counts(good, good + bad, minutes), span_minutes=1440)
    after = slo.probe_measure(Counts(good, good + bad + 1, minutes), span_minutes=1440)
    assert after.availability is not None
    assert before.availability is None or after.availability <= before.availability + 1e-9
    assert 0.0 <= after.availability <= 100.0


def brute_bad(impacts: list[Impact], *, start: datetime, end: datetime, step: timedelta) -> float:
    """Bad time of [start, end) in `step`s, cell by cell: each cell counts the highest weight
    (at most 1) of the impacts covering it; an impact without an end covers up to `end`. Exact
    when every edge falls on a step."""
    total = 0.0
    for k in range(int((end - start) / step)):
        at_ = start + k * step
        covering = [
            min(1.0, i.weight) for i in impacts if i.start <= at_ < (i.end or end) and i.weight > 0
        ]
        total += max(covering, default=0.0) * step.total_seconds()
    return total


SEC = timedelta(seconds=1)
ORIGIN = datetime(2026, 12, 1, tzinfo=UTC)
WEIGHTS = [1.0, 0.5, 0.25, 0.0]

second_spans = st.lists(
    st.tuples(
        st.integers(-60, 300),  # start, seconds from the origin: before, in and after windows
        st.integers(0, 200),  # length
        st.sampled_from(WEIGHTS),
        st.booleans(),  # open: not mitigated yet
    ).map(
        lambda t: Impact(
            1, ORIGIN + t[0] * SEC, None if t[3] else ORIGIN + (t[0] + t[1]) * SEC, t[2]
        )
    ),
    max_size=8,
)


@given(second_spans, st.integers(0, 100), st.integers(0, 240))
def test_merged_bad_time_matches_a_second_by_second_count(
    found: list[Impact], offset: int, length: int
) -> None:
    """Overlapping, partial (the highest weight wins), open and out-of-window spans, against
    a count of every second of the window; never more than the window, before any clamping."""
    start = ORIGIN + offset * SEC
    end = start + length * SEC
    bad = slo.merged_bad_seconds(found, start=start, end=end)
    assert pytest.approx(brute_bad(found, start=start, end=end, step=SEC), abs=1e-6) == bad
    assert 0.0 <= bad <= length + 1e-9


@given(impacts, st.sampled_from([99.0, 99.5, 99.9, 99.95]))
def test_the_budget_spent_is_the_bad_minutes_and_left_is_the_rest(
    found: list[Impact], objective: float
) -> None:
    """Over a day, the budget is (100 - objective)% of 1,440 minutes; spent is the bad minutes
    counted minute by minute; budget left + spent = budget, in minutes and in percent."""
    measure = slo.incident_measure(found, start=NOW - DAY, end=NOW)
    level = slo.ServiceLevel("s", objective, None, DAY, (measure,))
    budget = level.budget
    assert budget is not None
    bad = brute_bad(found, start=NOW - DAY, end=NOW, step=MIN) / 60
    assert pytest.approx((100 - objective) / 100 * 1440) == budget.minutes
    assert pytest.approx(bad, abs=1e-6) == budget.spent_minutes
    assert pytest.approx(budget.minutes) == budget.left_minutes + bad
    assert budget.left_percent is not None
    assert budget.spent_percent is not None
    assert pytest.approx(100 * bad / budget.minutes) == budget.spent_percent
    assert pytest.approx(100.0) == budget.left_percent + budget.spent_percent


minutes_of_samples = st.lists(
    st.integers(0, 4).flatmap(lambda total: st.tuples(st.integers(0, total), st.just(total))),
    min_size=1,
    max_size=60,
)


@given(minutes_of_samples, st.data())
def test_a_bad_probe_sample_never_raises_availability(
    samples: list[tuple[int, int]], data: st.DataObject
) -> None:
    """Per-minute good/total counts, as stored: availability is good samples over samples
    (minutes without any are unknown, not good). One more failed sample in any minute, known
    or not, never raises it. The budget is a share of the known minutes."""
    minute = data.draw(st.integers(0, len(samples) - 1))
    good = bytes(g for g, _ in samples)
    total = bytes(t for _, t in samples)
    before = slo.probe_measure(slo.minute_counts(good, total), span_minutes=len(samples))
    worse = bytearray(total)
    worse[minute] += 1
    after = slo.probe_measure(slo.minute_counts(good, bytes(worse)), span_minutes=len(samples))
    if sum(total) == 0:
        assert before.availability is None
    else:
        assert pytest.approx(100 * sum(good) / sum(total)) == before.availability
        assert before.known_minutes == sum(1 for t in total if t)
    assert after.availability is not None
    assert before.availability is None or after.availability < before.availability + 1e-9
    assert 0.0 <= after.availability <= 100.0
    # The budget is over the known minutes only: unknown ones neither earn nor spend it.
    budget = slo.budget(99.0, after)
    assert pytest.approx(0.01 * sum(1 for t in worse if t)) == budget.minutes
    assert 0.0 <= budget.spent_minutes <= after.known_minutes
