"""What every chat adapter is given to build its runtime: the composition root provides it
(`functools.partial(wiring.runtime_for, app)`), so chat/ builds no runtime of its own."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from warroom.app.runtime import Runtime
from warroom.ports import Chat, Presence


class RuntimeFactory(Protocol):
    """Builds the runtime around the adapter's chats. Not started on entry; on exit its timers
    stop, work in hand finishes and its clients close."""

    def __call__(
        self, chats: Mapping[str, Chat], *, presence: Presence | None
    ) -> AbstractAsyncContextManager[Runtime]: ...
