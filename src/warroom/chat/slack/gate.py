"""Before bolt sees an Events API request: its signature verified on the raw bytes, then its
body checked to be what Slack sends. Pure: the web server's `/slack/events` route asks `check`
and answers the refusal itself, one log line each, never a traceback (bolt would parse the
body and read the timestamp as a number first)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs

SIGNATURE_WINDOW = 5 * 60  # seconds: Slack's own limit on a request's age
BAD_SIGNATURE = (
    "bad or stale Slack signature "
    "(X-Slack-Signature, X-Slack-Request-Timestamp older than 5 minutes?)"
)


@dataclass(frozen=True)
class Refusal:
    """Why a request is refused: 401 (signature) or 400 (body), and the words to log."""

    status: int
    reason: str

    def log_line(self, remote: str | None) -> str:
        signed = "a request" if self.status == 401 else "a signed request"
        return f"refused {signed} from {remote or 'an unknown address'}: {self.reason}"


def check(
    secret: str,
    body: bytes,
    headers: Mapping[str, str],
    content_type: str,
    *,
    now: float | None = None,
) -> Refusal | None:
    """None when the request is signed with `secret`, recent, and its body is an event, an
    interaction's payload or a slash command's form; else why not."""
    if not signed(secret, body, headers, now=time.time() if now is None else now):
        return Refusal(401, BAD_SIGNATURE)
    problem = malformed(body, content_type)
    return Refusal(400, problem) if problem is not None else None


def signed(secret: str, body: bytes, headers: Mapping[str, str], *, now: float) -> bool:
    stamp = headers.get("X-Slack-Request-Timestamp", "")
    signature = headers.get("X-Slack-Signature", "")
    if not stamp.isascii() or not stamp.isdigit() or len(stamp) > 12:
        return False
    if abs(now - int(stamp)) > SIGNATURE_WINDOW:
        return False
    base = b"v0:" + stamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))


def malformed(body: bytes, content_type: str) -> str | None:
    """Why the body is not an event or a form Slack would send, or None."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "the body is not UTF-8"
    media = content_type.split(";", 1)[0].strip().lower()
    if media == "application/x-www-form-urlencoded" and not text.lstrip().startswith("{"):
        form = parse_qs(text)
        if "payload" not in form:
            return None  # a slash command: plain fields
        text = form["payload"][0]
    try:
        parsed = json.loads(text)
    except ValueError:
        return "the body is not valid JSON"
    if not isinstance(parsed, dict):
        return "the body is JSON but not an object"
    return None
