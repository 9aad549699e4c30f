"""A crashed replica hands its work over in seconds: two processes on one PostgreSQL database,
one killed -9 while it fires a batch; the other fires and delivers every timer the dead one had
claimed within 5 s of the kill (its missed heartbeats give it away; the lease is 60 s)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fault_helpers import kill_one_replica

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def test_a_replica_killed_mid_batch_hands_its_timers_over_within_5_s(
    pg_url: str, tmp_path: Path
) -> None:
    figures = kill_one_replica(pg_url, tmp_path, n=400, spread=3.0, kill_at=1.0, post_ms=30)
    assert 0 == figures["lost"], figures
    assert figures["taken_over"] > 0, figures  # the kill stranded some work
    assert figures["takeover_max"] <= 5.0, figures
    assert figures["due_after_kill_late_max"] <= 5.0, figures
    # At least once: at most the last message of each of the 10 channels is posted again.
    assert figures["posted_twice"] <= 10, figures
