"""The Web API client: where it points, how it retries, and one place that calls it."""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from warroom.chat.slack.errors import chat_error, names_where
from warroom.telemetry import CHAT_API_ERRORS, CHAT_RATE_LIMITED

PLATFORM = "slack"
DEFAULT_API_URL = "https://slack.com/api/"


def api_url(url: str | None = None) -> str:
    """The base of every Web API call (apps.connections.open included): `SLACK_API_URL` as
    the settings' secrets read it, else Slack's own."""
    url = url or DEFAULT_API_URL
    return url if url.endswith("/") else url + "/"


RATE_LIMIT_PATIENCE = 300.0  # seconds of consecutive 429s a call waits out before it reports


class PatientRateLimitHandler(AsyncRateLimitErrorRetryHandler):
    """HTTP 429: wait Retry-After and try again, for as long as `patience` lasts (not a count:
    Slack may ask for 7 waits in a row). The wait holds only its channel's queue, so the
    channel's messages keep their order and other channels go on."""

    def __init__(self, patience: float | None = None) -> None:
        super().__init__(max_retry_count=1_000_000)
        self.patience = patience

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        CHAT_RATE_LIMITED.labels(PLATFORM, _method_of(request.url)).inc()
        values = state.custom_values if state.custom_values is not None else {}
        state.custom_values = values
        first = values.setdefault("first_429", time.monotonic())
        patience = RATE_LIMIT_PATIENCE if self.patience is None else self.patience
        wait = _retry_after(response)
        return bool(time.monotonic() + wait - first <= patience)


def _method_of(url: str) -> str:
    """`chat.postMessage` from `https://slack.com/api/chat.postMessage?...`."""
    return url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1] or "unknown"


def _retry_after(response: HttpResponse) -> float:
    for key, values in response.headers.items():
        if key.lower() == "retry-after" and values:
            try:
                return float(values[0] if isinstance(values, list) else values)
            except ValueError:
                break
    return 1.0


def make_client(
    token: str | None, *, base_url: str, session: aiohttp.ClientSession | None = None
) -> AsyncWebClient:
    """A Web API client that waits out HTTP 429 (Retry-After) and retries lost connections."""
    return AsyncWebClient(
        token=token,
        base_url=base_url,
        session=session,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
            PatientRateLimitHandler(),
            AsyncServerErrorRetryHandler(max_retry_count=2),
        ],
    )


Where = Callable[[], Awaitable[str]]


class SlackApi:
    """Web API calls by method name, Slack's refusals raised as `ChatError`."""

    def __init__(self, client: AsyncWebClient, *, bot_name: str) -> None:
        self.client = client
        self.bot_name = bot_name

    def _method(self, method: str) -> Callable[..., Awaitable[Any]]:
        found: Callable[..., Awaitable[Any]] = getattr(self.client, method.replace(".", "_"))
        return found

    async def call(self, method: str, *, where: str | Where = "", **args: Any) -> dict[str, Any]:
        """One call; `where` names the channel in the error message people read (or looks its
        name up, only when there is an error to word)."""
        try:
            response = await self._method(method)(**args)
        except SlackApiError as exc:
            CHAT_API_ERRORS.labels(PLATFORM, method).inc()
            place = where
            if not isinstance(place, str):  # the name is looked up only when the words use it
                place = await place() if names_where(exc) else ""
            raise chat_error(
                method, exc, where=place or "that channel", bot=self.bot_name
            ) from None
        data: dict[str, Any] = response.data if isinstance(response.data, dict) else {}
        return data

    async def pages(self, method: str, **args: Any) -> AsyncGenerator[dict[str, Any], None]:
        """Every page of a listing: slack_sdk follows `response_metadata.next_cursor`."""
        try:
            async for page in await self._method(method)(**args):
                yield page.data if isinstance(page.data, dict) else {}
        except SlackApiError as exc:
            CHAT_API_ERRORS.labels(PLATFORM, method).inc()
            raise chat_error(method, exc, where="that listing", bot=self.bot_name) from None
