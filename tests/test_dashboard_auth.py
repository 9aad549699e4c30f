"""Signing in to the dashboard: OpenID Connect against a provider the tests run (authorization
code flow, RS256 id_token checked against its JWKS), roles, CSRF, logout, a refused login, an
expired session; and a trusted auth-proxy header."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from api_helpers import Api
from oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider
from paging_config import with_roster
from warroom.app.service import App
from warroom.config import Settings
from warroom.store.db import connect
from warroom.testing import Conversation, FixedClock

ALICE = {"sub": "u-alice", "email": "alice@example.com", "name": "Alice Archer",
         "preferred_username": "alice", "groups": ["sre"]}  # fmt: skip
VICTOR = {"sub": "u-victor", "email": "victor@example.com", "name": "Victor Viewer",
          "preferred_username": "victor", "groups": ["staff"]}  # fmt: skip
MALLORY = {"sub": "u-mallory", "email": "mallory@elsewhere.example", "name": "Mallory",
           "preferred_username": "mallory"}  # fmt: skip


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    started = Provider().start()
    yield started
    started.stop()


@pytest.fixture
def web(
    tmp_path: Path, settings: Settings, clock: FixedClock, provider: Provider,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Api]:  # fmt: skip
    monkeypatch.setenv("OIDC_CLIENT_SECRET", CLIENT_SECRET)
    provider.refuse = False
    sessions = connect(f"sqlite:///{tmp_path / 'w.db'}")
    config = with_roster(settings)
    auth = config.web.auth
    auth.oidc_issuer = provider.url
    auth.oidc_client_id = CLIENT_ID
    auth.role_claim = "groups"
    auth.responders = ["sre"]
    auth.viewers = ["staff", "bob@example.com"]
    conv = Conversation(App(sessions=sessions, settings=config, clock=clock))
    made = Api(conv)
    yield made
    made.close()
    conv.close()
    sessions.kw["bind"].dispose()


def sign_in(
    web: Api, provider: Provider, user: dict[str, object], next_url: str = "/"
) -> httpx.Response:
    """The browser's round trip: dashboard → provider → dashboard's callback."""
    provider.user = user
    start = web.call("GET", f"/login/start?next={next_url}")
    assert 302 == start.status_code, start.text
    assert start.headers["location"].startswith(f"{provider.url}/authorize?")
    at_provider = httpx.get(start.headers["location"], timeout=10)
    assert 302 == at_provider.status_code, at_provider.text
    back = urlsplit(at_provider.headers["location"])
    assert "warroom.test" == back.hostname
    return web.call("GET", f"{back.path}?{back.query}")


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found
    return found[1]


def test_a_responder_signs_in_sees_phones_acts_and_signs_out(web: Api, provider: Provider) -> None:
    web.conv.say('spy page datastores "disk full"', user="daniella", channel="war-room")
    first = web.call("GET", "/history?q=disk")
    assert (303, "/login?next=%2Fhistory%3Fq%3Ddisk") == (
        first.status_code,
        first.headers["location"],
    )
    assert "Sign in with " + provider.url in web.call("GET", "/login?next=/history").text
    back = sign_in(web, provider, ALICE, next_url="/history")
    assert (303, "/history") == (back.status_code, back.headers["location"])
    cookie = back.headers["set-cookie"]
    assert "warroom_session=" in cookie
    assert "httponly" in cookie.lower()
    assert "samesite=lax" in cookie.lower()
    now = web.call("GET", "/").text
    assert "Alice Archer · responder" in now
    assert "No sign-in is configured" not in now
    assert "+1 555 0102" in now, "a signed-in responder sees phone numbers"
    token = csrf_of(now)
    start = len(web.conv.chat.sent)
    acked = web.call("POST", "/pages/1/ack", data={"csrf": token})
    assert 303 == acked.status_code
    assert "Acknowledging page #1 (datastores) in the builtin roster…" in web.call("GET", "/").text
    assert ["[#war-room] bot: ✅ Page #1 (datastores) acknowledged in the builtin roster."] == (
        web.conv.chat.lines(start)
    )
    assert 403 == web.call("POST", "/logout", data={"csrf": "nope"}).status_code
    out = web.call("POST", "/logout", data={"csrf": token})
    assert 303 == out.status_code
    assert 303 == web.call("GET", "/").status_code, "signed out: back to the sign-in page"


def test_a_viewer_reads_without_phones_or_buttons(web: Api, provider: Provider) -> None:
    web.conv.say('spy page datastores "disk full"', user="daniella", channel="war-room")
    assert 303 == sign_in(web, provider, VICTOR).status_code
    now = web.call("GET", "/").text
    assert "Victor Viewer · viewer" in now
    assert "Page 1 → datastores" in now
    assert "Acknowledge page 1" not in now
    assert "+1 555 0102" not in now
    refused = web.call("POST", "/pages/1/ack", data={"csrf": csrf_of(now)})
    assert 403 == refused.status_code
    assert "need the responder role" in refused.text
    assert "Acknowledge page 1" not in web.call("GET", "/").text


def test_a_refused_login_and_a_person_not_allowed(web: Api, provider: Provider) -> None:
    provider.refuse = True
    refused = sign_in(web, provider, ALICE)
    assert 303 == refused.status_code
    page = web.call("GET", refused.headers["location"]).text
    assert "The identity provider refused the sign-in: the user said no" in page
    assert 303 == web.call("GET", "/").status_code
    provider.refuse = False
    stranger = sign_in(web, provider, MALLORY)
    assert 403 == stranger.status_code
    assert "mallory@elsewhere.example may not use this dashboard" in stranger.text
    assert 303 == web.call("GET", "/").status_code


def test_after_sign_in_only_paths_on_this_site(web: Api, provider: Provider) -> None:
    """`next` sends the browser back only to a path here, never to another host."""
    for evil in ("//evil.example/", "/%5Cevil.example/", "https://evil.example/"):
        back = sign_in(web, provider, ALICE, next_url=evil)
        assert (303, "/") == (back.status_code, back.headers["location"]), evil


def test_a_forged_or_replayed_callback_signs_nobody_in(web: Api, provider: Provider) -> None:
    provider.user = ALICE
    forged = web.call("GET", "/auth/callback?code=made-up&state=made-up")
    assert 303 == forged.status_code
    assert "could not be completed" in web.call("GET", forged.headers["location"]).text
    web.client.cookies.set("warroom_session", "eyJoYW5kbGUiOiAiYWxpY2UifQ==.forged.sig")
    assert 303 == web.call("GET", "/").status_code


def test_an_expired_session_asks_to_sign_in_again(
    web: Api, provider: Provider, clock: FixedClock
) -> None:
    assert 303 == sign_in(web, provider, ALICE).status_code
    assert 200 == web.call("GET", "/rotation").status_code
    clock.advance(minutes=721)  # web.auth.session_minutes is 720
    gone = web.call("GET", "/rotation")
    assert (303, "/login?next=%2Frotation&expired=1") == (
        gone.status_code,
        gone.headers["location"],
    )
    assert "Your session expired; sign in again." in web.call("GET", gone.headers["location"]).text
    assert 303 == sign_in(web, provider, ALICE).status_code
    assert 200 == web.call("GET", "/rotation").status_code


def test_a_trusted_header_only_from_the_proxy(
    tmp_path: Path, settings: Settings, clock: FixedClock
) -> None:
    sessions = connect(f"sqlite:///{tmp_path / 'h.db'}")
    config = with_roster(settings)
    config.web.auth.trusted_header = "X-Forwarded-Email"
    config.web.auth.trusted_proxies = ["10.0.0.0/24"]
    config.web.auth.responders = ["alice@example.com"]
    conv = Conversation(App(sessions=sessions, settings=config, clock=clock))
    web = Api(conv)
    try:

        def get(client_host: str, email: str) -> httpx.Response:
            client = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=web.asgi, client=(client_host, 5000)),
                base_url="http://warroom.test",
            )
            try:
                return conv.loop.run_until_complete(
                    client.get("/", headers={"X-Forwarded-Email": email})
                )
            finally:
                conv.loop.run_until_complete(client.aclose())

        ok = get("10.0.0.7", "alice@example.com")
        assert 200 == ok.status_code
        assert "alice@example.com · responder" in ok.text
        assert "+1 555 0102" in ok.text
        spoofed = get("192.0.2.9", "alice@example.com")
        assert 401 == spoofed.status_code
        assert "Sign in through the auth proxy (it sets X-Forwarded-Email)." in spoofed.text
        stranger = get("10.0.0.7", "mallory@example.com")
        assert 403 == stranger.status_code
    finally:
        web.close()
        conv.close()
        sessions.kw["bind"].dispose()
