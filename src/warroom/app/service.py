"""The application: a message in, committed effects out.

`App` is the façade the adapters, the runtime and the timer worker call. It is composed of
parts, each on the one unit of work (`uow.UnitOfWork`: a transaction, its `Ctx`, the effects
written to the outbox in the same transaction):

- `messages.Messages`: messages and reactions; parsing; read-only commands on a read session;
- `outcomes.Outcomes`: what background work (status checks, pages, tickets, rotation picks,
  on-call refreshes) found out;
- `timer_work.TimerWork`: claiming and firing timers;
- `pending.Pending`: the outbox's undelivered rows and their delivery marks.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from warroom.app import paging
from warroom.app.messages import Messages
from warroom.app.outcomes import Outcomes
from warroom.app.pending import Pending
from warroom.app.timer_work import TimerWork
from warroom.app.uow import UnitOfWork
from warroom.config import Settings
from warroom.core.rotation import Member, Stats, stats
from warroom.ports import Clock, SystemClock
from warroom.store import matrix as matrix_store
from warroom.store import rotation as rotation_store


class App:
    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        settings: Settings,
        clock: Clock | None = None,
    ) -> None:
        self.sessions = sessions
        self.clock = clock or SystemClock()
        self.uow = UnitOfWork(sessions, settings, self.clock)
        self.messages = Messages(self.uow)
        self.outcomes = Outcomes(self.uow)
        self.timers = TimerWork(self.uow)
        self.outbox = Pending(self.uow)
        # Messages and reactions.
        self.handle_message = self.messages.handle
        self.handle_reaction = self.messages.handle_reaction
        self.execute = self.messages.execute
        # Outcomes of background work.
        self.status_checked = self.outcomes.status_checked
        self.page_outcome = self.outcomes.page_outcome
        self.page_slow = self.outcomes.page_slow
        self.ticket_outcome = self.outcomes.ticket_outcome
        self.issues_read = self.outcomes.issues_read
        self.rotation_candidates = self.outcomes.rotation_candidates
        self.rotation_presence = self.outcomes.rotation_presence
        self.message_posted = self.outcomes.message_posted
        self.store_oncall = self.outcomes.store_oncall
        # Timers.
        self.claim_due_timers = self.timers.claim_due_timers
        self.fire_timers = self.timers.fire_timers
        self.ensure_oncall_timers = self.timers.ensure_oncall_timers
        self.next_timer_due = self.timers.next_timer_due
        self.worker_beat, self.worker_stopped = self.timers.worker_beat, self.timers.worker_stopped
        # The outbox.
        self.pending_effects = self.outbox.pending_effects
        self.mark_delivered = self.outbox.mark_delivered
        self.mark_failed = self.outbox.mark_failed

    @property
    def settings(self) -> Settings:
        return self.uow.settings

    @settings.setter
    def settings(self, value: Settings) -> None:  # tests and start-up adjust it; parts share it
        self.uow.settings = value

    @property
    def timer_scheduled(self) -> list[Callable[[datetime], None]]:
        """Hooks called with a due time after each commit that scheduled timers."""
        return self.uow.timer_scheduled

    @property
    def PRUNE_EVERY(self) -> int:
        return self.messages.PRUNE_EVERY

    @PRUNE_EVERY.setter
    def PRUNE_EVERY(self, value: int) -> None:
        self.messages.PRUNE_EVERY = value

    def import_roster(self, people: list[Member], *, replace: bool) -> tuple[int, int, int]:
        """Merge or replace the roster; returns (added, updated, removed)."""
        return self.uow.query(
            lambda ctx: rotation_store.import_members(people, replace=replace, session=ctx.session)
        )

    def rotation_stats(self) -> Stats:
        with self.sessions() as session:
            return stats(rotation_store.facts(session=session))

    def is_snoozed(self, platform: str, user: str) -> bool:
        """`pager stfu`: reminders and rotation pings skip this person for now."""
        with self.sessions() as session:
            return paging.is_snoozed(platform, user, now=self.clock.now(), session=session)

    def sync_token(self, account: str) -> tuple[str, datetime] | None:
        """Where a chat account's event stream stopped (Matrix's /sync), and when it was
        stored: a restart goes on from there."""
        with self.sessions() as session:
            return matrix_store.sync_token(account, session=session)

    def save_sync_token(self, account: str, token: str) -> None:
        with self.sessions.begin() as session:
            matrix_store.save_sync_token(account, token, self.clock.now(), session=session)

    def save_matrix_login(self, user_id: str, homeserver: str, token: str, device_id: str) -> None:
        """`warroom matrix login`: the token and device a password login gave."""
        with self.sessions.begin() as session:
            matrix_store.save_account(
                user_id, homeserver, token, device_id, self.clock.now(), session=session
            )

    def matrix_logins(self) -> list[tuple[str, str, str, str]]:
        with self.sessions() as session:
            return matrix_store.accounts(session=session)
