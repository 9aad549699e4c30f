"""Every documented endpoint without a token, with a token of too small a scope, and with the
right one; the OpenAPI document is valid and documents exactly these endpoints."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate

from api_helpers import Api
from warroom.testing import Conversation

# (method, path, the scope it needs, a body, a scope too small or None when `read` is enough)
ENDPOINTS: list[tuple[str, str, str, Any, str | None]] = [
    ("GET", "/api/v1/incidents", "read", None, None),
    ("POST", "/api/v1/incidents", "respond", {"channel": "c", "summary": "s", "imoc": "a"}, "read"),
    ("GET", "/api/v1/incidents/{incident_id}", "read", None, None),
    ("GET", "/api/v1/incidents/{incident_id}/report", "read", None, None),
    ("POST", "/api/v1/incidents/{incident_id}/notes", "respond", {"text": "x"}, "deploy"),
    ("POST", "/api/v1/incidents/{incident_id}/milestones", "respond", {"kind": "mitigated"},
     "read"),
    ("POST", "/api/v1/incidents/{incident_id}/stop", "respond", None, "deploy"),
    ("GET", "/api/v1/pages", "read", None, None),
    ("POST", "/api/v1/pages", "respond", {"kind": "commanders"}, "read"),
    ("POST", "/api/v1/pages/{page_id}/ack", "respond", None, "read"),
    ("POST", "/api/v1/pages/{page_id}/resolve", "respond", None, "deploy"),
    ("GET", "/api/v1/oncall", "read", None, None),
    ("GET", "/api/v1/rotation/queue", "read", None, None),
    ("GET", "/api/v1/rotation/stats", "read", None, None),
    ("GET", "/api/v1/slo", "read", None, None),
    ("GET", "/api/v1/slo/{service}", "read", None, None),
    ("GET", "/api/v1/locks", "read", None, None),
    ("GET", "/api/v1/locks/{stack}", "read", None, None),
    ("POST", "/api/v1/locks/{stack}", "deploy", {"reason": "r"}, "respond"),
    ("DELETE", "/api/v1/locks/{stack}", "deploy", None, "respond"),
    ("POST", "/api/v1/alerts/alertmanager", "respond", {"version": "4"}, "deploy"),
    ("POST", "/api/v1/alerts/webhook/{source}", "respond", {"title": "t"}, "read"),
]  # fmt: skip
OPEN = [("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/metrics")]
VALUES = {"incident_id": "1", "page_id": "1", "stack": "shopify/web", "source": "grafana",
          "service": "checkout"}  # fmt: skip


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """Scopes are the web layer's business: SQLite is enough (test_api.py runs both)."""
    return f"sqlite:///{tmp_path / 'warroom.db'}"


@pytest.fixture
def api(conv: Conversation) -> Iterator[Api]:
    made = Api(conv)
    for scope in ("read", "respond", "deploy", "admin"):
        made.token(scope, scope)
    conv.say("spy incident start me checkout is down", user="daniella")
    yield made
    made.close()


def _path(template: str) -> str:
    for key, value in VALUES.items():
        template = template.replace("{" + key + "}", value)
    return template


def test_the_openapi_document_is_valid_and_lists_exactly_these_endpoints(api: Api) -> None:
    document = api.call("GET", "/api/v1/openapi.json").json()
    validate(document)
    documented = {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in ("get", "post", "delete", "put", "patch")
    }
    listed = {(m, p) for m, p, *_ in ENDPOINTS} | set(OPEN)
    assert listed == {(m, p.replace("{stack:path}", "{stack}")) for m, p in documented}


def test_each_endpoint_without_token_wrong_scope_and_right_scope(api: Api) -> None:
    for method, template, scope, body, small in ENDPOINTS:
        path = _path(template)
        kwargs: dict[str, Any] = {"json": body} if body is not None else {}
        assert 401 == api.call(method, path, **kwargs).status_code, (method, path)
        if small is not None:
            refused = api.call(method, path, token=small, **kwargs)
            assert 403 == refused.status_code, (method, path, refused.text)
        for allowed in sorted({scope, "admin"}):
            answer = api.call(method, path, token=allowed, **kwargs)
            assert answer.status_code not in (401, 403), (method, path, answer.text)
            if method == "DELETE" or (method == "POST" and "locks" in path):
                api.call("DELETE", path, token="admin")  # the next scope starts from a free stack
