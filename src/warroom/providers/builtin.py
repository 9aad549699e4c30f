"""The builtin roster: people and rotations from the configuration; pages by chat DM, and by
Apprise URLs (SMS, e-mail, push) where a person has them and the `apprise` extra is installed.

For teams with no vendor account at all. A page reaches whoever it can; it fails (and the bot
shows the phone numbers to call) only when it reached nobody.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from warroom.config import Secrets, Settings
from warroom.core import oncall as core
from warroom.core.oncall import Contact
from warroom.ports import Chat, ChatError, Clock, PagerError, SystemClock
from warroom.render.paging import page_dm

log = logging.getLogger(__name__)


class BuiltinPager:
    name = "builtin"

    def __init__(
        self,
        settings: Settings,
        chat: Chat | None,
        clock: Clock | None = None,
        secrets: Secrets | None = None,
    ) -> None:
        self.settings = settings
        self.chat = chat
        self.clock = clock or SystemClock()
        # The `${VAR}`s of the Apprise URLs; read at start when not given.
        self.secrets = secrets or Secrets.load(settings)

    async def on_call(self, *, schedule: str) -> list[Contact]:
        shifts = self.settings.oncall.schedules.get(schedule)
        if shifts is None:
            raise PagerError(f"no schedule {schedule!r}")
        handle = core.on_call(shifts.schedule(), self.clock.now())
        if handle is None:
            return []
        person = self.settings.oncall.people[handle]
        return [Contact(person.name, handle, person.phone, person.email, person.timezone)]

    async def trigger(
        self,
        *,
        key: str,
        summary: str,
        schedules: list[str],
        people: list[Contact],
        war_room: str | None = None,
    ) -> None:
        if not people:
            raise PagerError("nobody is on call")
        doc = page_dm(summary, war_room=war_room)
        reached, failures = 0, []
        for person in people:
            if person.handle and self.chat is not None:
                try:
                    await self.chat.direct(user=person.handle, doc=doc)
                    reached += 1
                except ChatError as exc:  # its words name the person and why
                    failures.append(str(exc))
                except Exception:
                    log.exception("DM to @%s failed", person.handle)
                    failures.append(f"my DM to @{person.handle} failed (see the bot's log)")
            urls = self._apprise_urls(person)
            if urls:
                try:
                    sent = await _apprise(urls, title="warroom page", body=summary)
                except Exception:  # a broken plugin must not lose the DMs that went out
                    log.exception("Apprise failed for %s", person.name)
                    sent = False
                if sent:
                    reached += 1
                else:
                    failures.append(f"Apprise for {person.name}")
        if not reached:
            raise PagerError("; ".join(failures) or "nobody has a chat handle or Apprise URL")

    async def acknowledge(self, *, key: str) -> None:
        """The roster keeps no alert of its own: the page's status is warroom's record."""

    async def resolve(self, *, key: str) -> None:
        """As for acknowledge."""

    def _apprise_urls(self, person: Contact) -> list[str]:
        if not person.handle or person.handle not in self.settings.oncall.people:
            return []
        urls = self.settings.oncall.people[person.handle].apprise
        return [self.secrets.expand(url) for url in urls]


async def _apprise(urls: list[str], *, title: str, body: str) -> bool:
    try:
        import apprise  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        log.warning("Apprise URLs are configured but apprise is not installed: pip install "
                    "'warroom[apprise]'")  # fmt: skip
        return False
    notifier = apprise.Apprise()
    for url in urls:
        notifier.add(url)
    result = await asyncio.to_thread(notifier.notify, body=body, title=title)
    return bool(result)


def builtin_pagers(
    settings: Settings,
    chats: Mapping[str, Chat],
    clock: Clock | None = None,
    secrets: Secrets | None = None,
) -> dict[str, BuiltinPager]:
    """The builtin pager DMs on the first chat platform configured."""
    chat = next(iter(chats.values()), None)
    return {"builtin": BuiltinPager(settings, chat, clock, secrets)}
