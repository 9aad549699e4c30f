"""The Matrix adapter against a real Synapse on 127.0.0.1, with the people as real nio clients.

One homeserver per test session (tests/matrix_helpers.py); each test runs its own bot on its own
SQLite database, in rooms of its own.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest

from matrix_helpers import matrix_bot, people
from warroom.app.service import App
from warroom.testing.synapse import Account, Synapse

pytestmark = pytest.mark.slow


def fresh(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:6]}"


def test_the_spy_conversation_on_matrix(
    synapse: Synapse, accounts: dict[str, Account], matrix_app: App
) -> None:
    """Start, topic, note, handoff, tldr, stop and report, with pills and m.mentions."""

    async def scenario() -> None:
        async with (
            people(synapse, accounts) as p,
            matrix_bot(matrix_app, synapse, accounts["warroom"]),
        ):
            alice, bob = p["alice"], p["bob"]
            room = await alice.create_room(fresh("checkout"))
            await alice.wait_for_member(room, accounts["warroom"].user_id)
            await bob.join(room)

            await alice.say(room, "warroom incident start me checkout is down")
            (started,) = await alice.from_bot(room)
            body = started["content"]["body"]
            assert body.startswith("🔥 An incident was reported at ")
            assert "@alice is the IMOC. (INC-1)\nStatus summary: checkout is down" in body
            html = started["content"]["formatted_body"]
            assert (
                '<a href="https://matrix.to/#/@alice:warroom.test">@alice</a> is the IMOC' in html
            )
            assert {"user_ids": ["@alice:warroom.test"]} == started["content"]["m.mentions"]
            topic = await alice.wait_for("m.room.topic", room)
            assert "🔥 @alice is IMOC for incident: checkout is down" == topic["content"]["topic"]

            await bob.say(room, "warroom incident note @room rolled back <b>deploy</b> 1234")
            (noted,) = await alice.from_bot(room)
            assert "📝 Noted on INC-1." == noted["content"]["body"]

            pill = '<a href="https://matrix.to/#/@bob:warroom.test">Bob</a>'
            await alice.say(
                room, "warroom incident handoff Bob", html=f"warroom incident handoff {pill}"
            )
            (handed,) = await alice.bodies(room)
            assert "🤝 @alice handed off the IMOC role to @bob. INC-1: checkout is down" == handed

            await bob.say(room, "!incident tldr")
            (tldr,) = await alice.from_bot(room)
            assert tldr["content"]["body"].startswith('*INC-1 "checkout is down"*\nTimeline:\n')
            # Users' text stays text: no pill, no markup, no @room mention.
            assert (
                "Note: @room rolled back &lt;b&gt;deploy&lt;/b&gt; 1234"
                in tldr["content"]["formatted_body"]
            )
            assert "room" not in tldr["content"]["m.mentions"]

            await bob.say(room, "warroom incident stop")
            (stopped,) = await alice.bodies(room)
            assert stopped.startswith("✅ Incident stopped at ")
            await bob.say(room, "warroom incident report 1")
            (report,) = await alice.bodies(room)
            assert "# Service disruption: checkout is down" in report
            assert "Handed off the IMOC role to @bob" in report

    asyncio.run(scenario())
