"""What every request handler reaches: the app, the runtime's deliver, the metrics."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request

from warroom.app import effects as fx
from warroom.app.service import App

Deliver = Callable[[list[fx.Delivery]], Awaitable[Any]]


@dataclass
class WebState:
    app: App
    platform: str
    deliver: Deliver | None = None  # the runtime's: effects of API calls go the same way
    ready: Callable[[], bool] = lambda: True  # chat connected
    # Per platform, connected now (the runtime's, set by the chat adapters); /readyz reads it.
    connected: Mapping[str, bool] = field(default_factory=dict)
    metrics: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


def state(request: Request) -> WebState:
    found: WebState = request.app.state.warroom
    return found
