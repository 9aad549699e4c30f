"""The dashboard in a real browser (Playwright driving Debian's chromium), as a person uses it:
sign in at the test OIDC provider, open Now, follow an incident while the chat (the terminal
chat of a real `warroom shell`) adds notes and milestones, acknowledge a page, unlock a stack,
see severity, action items and service levels, open the charts, and read it all on a
phone-sized screen.

Outside CI these tests skip with the reason when no browser is found; under CI=true they run.
DASHBOARD_SCREENSHOTS=docs/dashboard saves the screenshots docs/dashboard.md shows."""

from __future__ import annotations

import os
import queue
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from helpers import start_warroom
from oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider
from paging_config import with_roster
from warroom.config import Settings

pytestmark = pytest.mark.slow
CHROMIUM = os.environ.get("DASHBOARD_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
ALICE = {"sub": "u-alice", "email": "alice@example.com", "name": "Alice Archer",
         "preferred_username": "alice", "groups": ["sre"]}  # fmt: skip
PHONE = {"width": 390, "height": 844}


def _browser_missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[test]')"
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        return f"no browser at {CHROMIUM} (apt-get install chromium)"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    reason = _browser_missing()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI=true: the browser tests must run)")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield launched
        launched.close()


class Shell:
    """`warroom shell` with the dashboard on a free port; lines typed into its chat."""

    def __init__(self, tmp: Path, provider: Provider) -> None:
        settings = Settings()
        settings.reports.dir = tmp / "reports"
        settings.teams = {}
        data = with_roster(_teams(settings)).model_dump(mode="json", exclude_none=True)
        data["services"] = {"checkout": {"objective": 99.9, "window": "30d", "team": "support"}}
        data["web"]["auth"] = {
            "oidc_issuer": provider.url, "oidc_client_id": CLIENT_ID, "role_claim": "groups",
            "responders": ["sre"], "viewers": ["*"],
        }  # fmt: skip
        config = tmp / "warroom.yml"
        config.write_text(yaml.safe_dump(data))
        self.proc = start_warroom(
            "shell", "--db", f"sqlite:///{tmp / 'w.db'}", "--config", str(config),
            "--user", "daniella", "--channel", "war-room", "--web", "127.0.0.1:0",
            tmp_path=tmp, env={"OIDC_CLIENT_SECRET": CLIENT_SECRET},
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        self.out: queue.Queue[str] = queue.Queue()
        self.url = ""
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            found = re.search(r"dashboard on (http://127\.0\.0\.1:\d+)/$", line.strip())
            if found:
                self.url = found[1]
                break
        assert self.url, "the shell did not say where it serves"
        threading.Thread(target=self._drain, daemon=True).start()
        threading.Thread(target=self._drain_err, daemon=True).start()

    def _drain(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.out.put(line.rstrip("\n"))

    def _drain_err(self) -> None:
        assert self.proc.stderr is not None
        for _ in self.proc.stderr:
            pass

    def say(self, text: str, expect: str) -> str:
        """Type a line into the chat; the first line the bot says containing `expect`."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()
        while True:
            line = self.out.get(timeout=15)
            if expect in line:
                return line

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=20)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
            for stream in (self.proc.stdout, self.proc.stderr):
                if stream is not None:
                    stream.close()


def _teams(settings: Settings) -> Settings:
    from warroom.config import TeamSettings

    settings.teams = {"support": TeamSettings(channel="support"),
                      "datastores": TeamSettings(channel="datastores")}  # fmt: skip
    return settings


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory, browser: Any
) -> Iterator[tuple[Shell, Provider]]:
    provider = Provider().start()
    provider.user = ALICE
    shell = Shell(tmp_path_factory.mktemp("browser"), provider)
    try:
        yield shell, provider
    finally:
        shell.close()
        provider.stop()


@pytest.fixture(scope="module")
def page(world: tuple[Shell, Provider], browser: Any) -> Iterator[Any]:
    """One signed-in browser tab for the module's tests, in their order."""
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    yield tab
    context.close()


def shot(tab: Any, name: str, tmp: Path) -> None:
    where = os.environ.get("DASHBOARD_SCREENSHOTS")
    folder = Path(where) if where else tmp
    folder.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_sign_in_and_open_now(world: tuple[Shell, Provider], page: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    shell, _ = world
    shell.say("warroom incident start me checkout is down", "(INC-1)")
    page.goto(shell.url + "/")
    expect(page).to_have_url(re.compile(r"/login\?next=%2F$"))
    page.get_by_role("link", name=re.compile("Sign in with")).click()
    expect(page.get_by_text("Alice Archer · responder")).to_be_visible()
    expect(page.get_by_role("heading", name="INC-1: checkout is down")).to_be_visible()
    expect(page.get_by_text("IMOC @daniella")).to_be_visible()


def test_follow_an_incident_while_chat_adds_notes_and_milestones(
    world: tuple[Shell, Provider], page: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    shell, _ = world
    page.get_by_role("link", name="INC-1: checkout is down").click()
    expect(page.locator("#h-timeline")).to_be_visible()
    timeline = page.locator("#timeline")
    shell.say("warroom incident note rolled back deploy 1234", "Noted")
    expect(timeline).to_contain_text("rolled back deploy 1234", timeout=2_000)
    expect(page.locator("#notes")).to_contain_text("daniella: rolled back deploy 1234")
    shell.say("warroom incident srm @sam", "SRM")
    shell.say("warroom incident mitigated", "mitigated")
    expect(page.locator("#header")).to_contain_text("@sam", timeout=2_000)
    expect(timeline).to_contain_text("mitigated", timeout=2_000)
    assert "/incidents/1" in page.url, "no reload, no navigation"
    expect(page.get_by_role("link", name="Download the report (.md)")).to_be_visible()


def test_acknowledge_a_page_and_unlock_a_stack(
    world: tuple[Shell, Provider], page: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    shell, _ = world
    shell.say('warroom page datastores "disk full"', "Paging datastores")
    shell.say("warroom shipit lock shopify/web release freeze", "locked")
    page.get_by_role("link", name="Now").click()
    expect(page.get_by_text("+1 555 0102")).to_be_visible()
    shot(page, "now", tmp_path)
    page.get_by_role("button", name="Acknowledge page 1").click()
    expect(page.get_by_role("status")).to_contain_text("Acknowledging page #1 (datastores)")
    said = ""
    while "acknowledged" not in said:
        said = shell.out.get(timeout=15)
    page.get_by_role("button", name="Unlock shopify/web").click()
    expect(page.get_by_role("status")).to_contain_text("🔓 shopify/web unlocked")
    expect(page.get_by_text("No stack is locked.")).to_be_visible()


def test_severity_action_items_and_service_levels(
    world: tuple[Shell, Provider], page: Any, tmp_path: Path
) -> None:
    """What the chat said about severity, impact and follow-up is on the incident page; the
    service it hurt is on the Service levels page, with its budget."""
    from playwright.sync_api import expect

    shell, _ = world
    shell.say("warroom incident severity sev2", "is now sev2")
    shell.say("warroom incident impact checkout", "checkout")
    shell.say("warroom incident action add a disk-full alert @sam", "Action item 1")
    page.get_by_role("link", name="Now").click()
    page.get_by_role("link", name="INC-1: checkout is down").click()
    expect(page.locator("#header")).to_contain_text("sev2")
    expect(page.locator("#actions")).to_contain_text("add a disk-full alert")
    shot(page, "incident", tmp_path)
    page.get_by_role("link", name="Service levels").click()
    row = page.locator("#service-checkout")
    expect(row).to_contain_text("99.9%")
    expect(row.locator("meter")).to_have_count(1)
    shot(page, "slo", tmp_path)
    row.get_by_role("link", name="checkout").click()
    expect(page).to_have_url(re.compile(r"/slo/checkout$"))
    expect(page.get_by_text("INC-1")).not_to_have_count(0)


def test_charts_and_the_phone_sized_layout(
    world: tuple[Shell, Provider], page: Any, browser: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    shell, _ = world
    page.get_by_role("link", name="Charts").click()
    expect(page.locator("svg.chart")).to_have_count(5)
    page.get_by_text("The numbers (incidents)").click()
    expect(page.locator("#chart-incidents table")).to_contain_text("1")
    shot(page, "charts", tmp_path)
    state = page.context.storage_state()
    for scheme in ("light", "dark"):
        phone = browser.new_context(viewport=PHONE, storage_state=state, color_scheme=scheme,
                                    is_mobile=True, has_touch=True)  # fmt: skip
        tab = phone.new_page()
        for path in ("/", "/incidents/1", "/history", "/rotation", "/charts", "/slo"):
            tab.goto(shell.url + path)
            wide = tab.evaluate("document.documentElement.scrollWidth")
            assert wide <= PHONE["width"], f"{path} scrolls sideways on a phone ({wide}px)"
        tab.goto(shell.url + "/")
        shot(tab, f"now-phone-{scheme}", tmp_path)
        tab.keyboard.press("Tab")
        expect(tab.get_by_role("link", name="Skip to content")).to_be_focused()
        tab.keyboard.press("Enter")
        for _ in range(6):  # on through the header to the first incident, by keyboard only
            tab.keyboard.press("Tab")
            if tab.evaluate("document.activeElement.textContent").startswith("INC-1"):
                break
        tab.keyboard.press("Enter")
        expect(tab).to_have_url(re.compile(r"/incidents/1$"))
        phone.close()
