"""Process-wide counters that layers below the web server increment (app/: pages retried and
given up, tracker reads failed; chat/: chat API errors and 429s). Neutral: it imports no
warroom layer, so app/ and chat/ may count here; web/metrics.py serves `REGISTRY` at /metrics
with its own metrics."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter

REGISTRY = CollectorRegistry()

PAGE_RETRIES = Counter(
    "warroom_page_retries",
    "Tries of a page after the first (a page_retry timer sent the trigger again), by provider",
    ["provider"],
    registry=REGISTRY,
)
PAGES_GIVEN_UP = Counter(
    "warroom_pages_given_up",
    "Pages that failed for good after being retried (deadline, refusal, incident stopped)",
    ["provider"],
    registry=REGISTRY,
)
CHAT_API_ERRORS = Counter(
    "warroom_chat_api_errors",
    "Chat API calls that failed (the platform refused or gave up), by platform and method",
    ["platform", "method"],
    registry=REGISTRY,
)
CHAT_RATE_LIMITED = Counter(
    "warroom_chat_rate_limited",
    "Chat API answers of HTTP 429 (each one waited out and retried), by platform and method",
    ["platform", "method"],
    registry=REGISTRY,
)
TRACKER_READS_FAILED = Counter(
    "warroom_tracker_reads_failed",
    "Reads of action items' tracker issues that failed after their retries (nothing changed)",
    registry=REGISTRY,
)
