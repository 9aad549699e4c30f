"""HTTP for the vendor clients: one place that turns transport errors and status codes into
`PagerError`s that say what happened without repeating anything secret."""

from __future__ import annotations

from typing import Any

import httpx

from warroom.ports import PagerError


async def call(
    client: httpx.AsyncClient, method: str, url: str, *, vendor: str, **kwargs: Any
) -> httpx.Response:
    """Send one request. Timeouts, connection errors, 429 and 5xx are retryable errors; other
    4xx are not (a wrong key or schedule does not get better by trying again)."""
    try:
        response = await client.request(method, url, **kwargs)
    except httpx.TimeoutException:
        raise PagerError(f"{vendor} did not answer in time", retryable=True) from None
    except httpx.TransportError as exc:
        raise PagerError(f"cannot reach {vendor}: {type(exc).__name__}", retryable=True) from None
    status = response.status_code
    if status == 429:
        raise PagerError(f"{vendor} is rate limiting (429)", retryable=True)
    if status >= 500:
        raise PagerError(f"{vendor} failed ({status})", retryable=True)
    if status >= 400:
        raise PagerError(f"{vendor} refused the request ({status}{_reason(response)})")
    return response


def _reason(response: httpx.Response) -> str:
    """The vendor's own short message, if it sent one (never the request, which has the key)."""
    try:
        data = response.json()
    except ValueError:
        return ""
    if not isinstance(data, dict):
        return ""
    message = data.get("message") or (data.get("error") or {})
    if isinstance(message, dict):
        message = message.get("message", "")
    return f": {str(message)[:120]}" if message else ""


def json_of(response: httpx.Response, *, vendor: str) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        raise PagerError(f"{vendor} answered with something that is not JSON") from None
    if not isinstance(data, dict):
        raise PagerError(f"{vendor} answered with unexpected JSON")
    return data
