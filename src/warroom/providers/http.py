"""HTTP for the vendor clients: one place that turns transport errors and status codes into
`PagerError`s that say what happened without repeating anything secret."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from warroom.ports import PagerError


async def call(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    vendor: str,
    accept: Collection[int] = (),
    **kwargs: Any,
) -> httpx.Response:
    """Send one request. Timeouts, connection errors, 429 and 5xx are retryable errors; other
    4xx are not (a wrong key or schedule does not get better by trying again). Statuses in
    `accept` are returned for the caller to read."""
    try:
        response = await client.request(method, url, **kwargs)
    except httpx.TimeoutException:
        raise PagerError(f"{vendor} did not answer in time", retryable=True) from None
    except httpx.TransportError as exc:
        raise PagerError(f"cannot reach {vendor}: {type(exc).__name__}", retryable=True) from None
    status = response.status_code
    if status in accept:
        return response
    if status == 429:
        raise PagerError(
            f"{vendor} is rate limiting (429)", retryable=True, retry_after=retry_after(response)
        )
    if status >= 500:
        raise PagerError(
            f"{vendor} failed ({status})", retryable=True, retry_after=retry_after(response)
        )
    if status >= 400:
        raise PagerError(f"{vendor} refused the request ({status}{_reason(response)})")
    return response


MAX_RETRY_AFTER = 3600.0  # a vendor asking for more is waited on at most this long


def retry_after(response: httpx.Response) -> float | None:
    """Retry-After in seconds (RFC 9110: seconds, or an HTTP date), or None when absent or
    unreadable."""
    raw = response.headers.get("Retry-After", "").strip()
    if not raw:
        return None
    try:
        seconds = float(raw)
    except ValueError:
        try:
            when = parsedate_to_datetime(raw)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def _reason(response: httpx.Response) -> str:
    """The vendor's own short message, if it sent one (never the request, which has the key)."""
    said = vendor_says(response)
    return f": {said}" if said else ""


def vendor_says(response: httpx.Response) -> str:
    """What the vendor's error body says, in its own words: Opsgenie's `message`, PagerDuty's
    `error.message` and `error.errors`, the Events API's `message` and `errors`, Jira's
    `errorMessages` and `errors` (by field)."""
    try:
        data = response.json()
    except ValueError:
        return ""
    if not isinstance(data, dict):
        return ""
    error = data.get("error")
    body: dict[str, Any] = error if isinstance(error, dict) else data
    parts: list[str] = []
    message = body.get("message") or (error if isinstance(error, str) else None)
    if message:
        parts.append(str(message))
    for key in ("errors", "errorMessages"):
        found = body.get(key) or data.get(key)
        if isinstance(found, list):
            parts += [str(item) for item in found if item]
        elif isinstance(found, dict):
            parts += [f"{field}: {text}" for field, text in found.items()]
    said = "; ".join(dict.fromkeys(parts))
    return said[:200] + ("…" if len(said) > 200 else "")


def json_of(response: httpx.Response, *, vendor: str) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        raise PagerError(f"{vendor} answered with something that is not JSON") from None
    if not isinstance(data, dict):
        raise PagerError(f"{vendor} answered with unexpected JSON")
    return data
