"""The Web API client: where it points, how it retries, and one place that calls it."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from warroom.chat.slack.errors import chat_error

PLATFORM = "slack"
DEFAULT_API_URL = "https://slack.com/api/"


def api_url(url: str | None = None) -> str:
    """The base of every Web API call (apps.connections.open included): `SLACK_API_URL` as
    the settings' secrets read it, else Slack's own."""
    url = url or DEFAULT_API_URL
    return url if url.endswith("/") else url + "/"


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
            AsyncRateLimitErrorRetryHandler(max_retry_count=5),
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
            place = where if isinstance(where, str) else await where()
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
            raise chat_error(method, exc, where="that listing", bot=self.bot_name) from None
