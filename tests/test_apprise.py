"""Builtin pages also go to a person's Apprise URLs (SMS, e-mail, push): here a JSON webhook on
127.0.0.1, with the port read from the environment as `${VAR}` so secrets stay out of the file."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from helpers import MakeConversation
from paging_config import with_roster
from warroom.app.service import App
from warroom.testing import Conversation
from warroom.testing.vendors import Answer, FakeVendor, Request


class Webhook(FakeVendor):
    def handle(self, request: Request) -> Answer:
        return 200, {}


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    with Webhook() as hook:
        yield hook


@pytest.fixture
def conv(
    app: App,
    webhook: Webhook,
    monkeypatch: pytest.MonkeyPatch,
    make_conversation: MakeConversation,
) -> Conversation:
    monkeypatch.setenv("WARROOM_TEST_HOOK_PORT", webhook.url.rsplit(":", 1)[1])
    app.settings = with_roster(app.settings)
    app.settings.oncall.people["carol"].apprise = [
        "json://127.0.0.1:${WARROOM_TEST_HOOK_PORT}/page"
    ]
    return make_conversation(app)


def test_a_builtin_page_reaches_the_apprise_urls_too(conv: Conversation, webhook: Webhook) -> None:
    lines = conv.say('spy page datastores "disk full"', user="d")
    assert "[dm @carol] bot: 📟 You are paged: disk full" in lines
    [posted] = webhook.calls("POST", "/page")
    assert "disk full" == posted.body["message"]
    assert "warroom page" == posted.body["title"]


def test_a_page_that_reaches_someone_is_sent_even_if_apprise_fails(
    conv: Conversation, webhook: Webhook
) -> None:
    webhook.faults = [500]
    lines = conv.say('spy page datastores "disk full"', user="d")
    assert "[dm @carol] bot: 📟 You are paged: disk full" in lines
    assert not any("Could not page" in line for line in lines)
