"""Configuration: the shipped example is valid, env overrides win, errors name key and reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from warroom import config
from warroom.config import ConfigError, Secrets, Settings, TeamSettings, load, overrides, reveal


def test_the_shipped_example_is_valid_and_complete() -> None:
    settings, path = load(config.EXAMPLE_CONFIG)
    assert config.EXAMPLE_CONFIG == path
    assert ["warroom", "spy"] == settings.bot.names
    assert "support" == settings.teams["support"].channel
    documented = Path(__file__).parents[1].joinpath("docs", "configuration.md").read_text()
    for section, model in config.Settings.model_fields.items():
        assert f"`{section}`" in documented, f"section {section} is not documented"
        annotation = model.annotation
        for key in getattr(annotation, "model_fields", {}):
            assert f"`{section}.{key}`" in documented, f"{section}.{key} is not documented"


def test_environment_overrides_any_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    file = tmp_path / "c.yml"
    file.write_text("bot:\n  name: warroom\nteams:\n  support:\n    channel: support\n")
    monkeypatch.setenv("WARROOM_BOT__NAME", "spy")
    monkeypatch.setenv("WARROOM_BOT__ALIASES", '["oncall"]')
    monkeypatch.setenv("WARROOM_TEAMS__SUPPORT__CHANNEL", "#support-ops")
    monkeypatch.setenv("WARROOM_STORAGE__URL", "sqlite:///x.db")
    settings, _ = load(file)
    assert ["spy", "oncall"] == settings.bot.names
    assert "support-ops" == settings.teams["support"].channel
    assert "sqlite:///x.db" == settings.storage.resolved_url()


def test_env_overrides_build_nested_keys(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """`WARROOM_<SECTION>__<KEY>` reaches a nested key; WARROOM_CONFIG and others are not keys."""
    file = tmp_path / "c.yml"
    file.write_text("reports:\n  dir: /from-file\n")
    monkeypatch.setenv("WARROOM_BOT__NAME", "spy")
    monkeypatch.setenv("WARROOM_REPORTS__DIR", "/r")
    monkeypatch.setenv("WARROOM_CONFIG", "x")
    monkeypatch.setenv("HOME", "/")
    settings, _ = load(file)
    assert "spy" == settings.bot.name
    assert Path("/r") == settings.reports.dir
    assert {"bot.name": "WARROOM_BOT__NAME", "reports.dir": "WARROOM_REPORTS__DIR"} == (
        overrides({"WARROOM_BOT__NAME": "x", "WARROOM_REPORTS__DIR": "/r", "WARROOM_CONFIG": "x"})
    )


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("WARROOM_NOPE", "nope (WARROOM_NOPE): unknown key"),
        ("WARROOM_BOT__NICK", "bot.nick (WARROOM_BOT__NICK): unknown key"),
    ],
)
def test_an_unknown_variable_is_named(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str, says: str
) -> None:
    file = tmp_path / "c.yml"
    file.write_text("bot:\n  name: warroom\n")
    monkeypatch.setenv(name, "x")
    with pytest.raises(ConfigError) as caught:
        load(file)
    assert f"{file} (with WARROOM_* environment overrides): invalid configuration" in str(
        caught.value
    )
    assert says in str(caught.value)


def test_the_message_mentions_overrides_only_when_one_is_set(tmp_path: Path) -> None:
    file = tmp_path / "c.yml"
    file.write_text("bot:\n  name: Not A Word\n")
    with pytest.raises(ConfigError) as caught:
        load(file)
    assert f"{file}: invalid configuration:\n  bot.name: Value error" in str(caught.value)
    assert "WARROOM_*" not in str(caught.value)


def test_oncall_rotations_is_still_read_as_the_shift_schedules(tmp_path: Path) -> None:
    """`oncall.schedules` was `oncall.rotations` before; configurations still say that."""
    file = tmp_path / "c.yml"
    file.write_text(
        "oncall:\n  people:\n    a: {name: A}\n  rotations:\n"
        "    imoc: {start: 2026-01-05T09:00:00Z, people: [a]}\n"
    )
    settings, _ = load(file)
    assert ["a"] == settings.oncall.schedules["imoc"].people


def test_secrets_come_from_the_environment_only_and_stay_hidden(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PAGERDUTY_API_TOKEN", "pd-token")
    monkeypatch.setenv("OPSGENIE_API_KEY", "")
    monkeypatch.setenv("HOOK_PORT", "8080")
    settings = config.Settings()
    settings.oncall.people["a"] = config.PersonSettings(
        name="A", apprise=["json://127.0.0.1:${HOOK_PORT}/${UNSET}"]
    )
    secrets = Secrets.load(settings)
    assert "pd-token" == reveal(secrets.pagerduty_api_token)
    assert None is secrets.opsgenie_api_key
    assert "pd-token" not in repr(secrets)
    assert "json://127.0.0.1:8080/" == secrets.expand(settings.oncall.people["a"].apprise[0])


@pytest.mark.parametrize(
    ("yaml_text", "says"),
    [
        ("bot: [1, 2]", "bot: Input should be a valid dictionary"),
        ("teams:\n  Support Team:\n    channel: x", "teams: Value error, team name 'Support Team'"),
        (
            "storage:\n  password: hunter2",
            "storage.password: unknown key (secrets belong in the environment",
        ),
        ("- a\n- b", "must be a mapping of sections"),
        ("bot: {name: [", "not valid YAML"),
    ],
)
def test_errors_name_the_key_and_the_reason(tmp_path: Path, yaml_text: str, says: str) -> None:
    file = tmp_path / "c.yml"
    file.write_text(yaml_text)
    with pytest.raises(ConfigError) as caught:
        load(file)
    assert says in str(caught.value)
    assert str(file) in str(caught.value)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load(tmp_path / "nope.yml")


def test_default_storage_is_sqlite_in_the_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    settings = config.Settings()
    assert f"sqlite:///{tmp_path}/warroom/warroom.db" == settings.storage.resolved_url()
    assert tmp_path / "warroom" / "reports" == settings.reports.resolved_dir()


def test_every_error_the_bot_reports_derives_from_one_base() -> None:
    from warroom.app.people import RosterError
    from warroom.commands.types import UsageError
    from warroom.core.errors import WarroomError
    from warroom.core.incident import IncidentError
    from warroom.ports import ChatError, ChatGone, PagerError
    from warroom.store.db import DatabaseError

    errors = [ConfigError, RosterError, UsageError, IncidentError, ChatError, ChatGone, PagerError]
    for error in [*errors, DatabaseError]:
        assert issubclass(error, WarroomError), error


def test_a_notify_reminder_without_its_team_is_a_warning_at_start(tmp_path: Path) -> None:
    """Spy's schedule tells `support` at 2 min: without that team the start says, once, that
    the reminder will tell nobody (it is allowed: the reminder then says so in the channel)."""
    settings = Settings()
    assert [
        "reminders.1 (notify_support) will tell nobody: no `support` team is configured "
        "(teams.support.channel)",
        "reminders.5 (notify_imoc_team) will tell nobody: no `imoc` team is configured "
        "(teams.imoc.channel)",
    ] == settings.warnings()
    settings.teams = {"support": TeamSettings(channel="support"), "imoc": TeamSettings(channel="i")}
    assert [] == settings.warnings()


SLO_BASE = (
    "teams:\n  payments:\n    channel: payments\n"
    "status:\n  sources:\n"
    "    - {name: checkout-health, url: 'http://127.0.0.1:1/h'}\n"
    "    - {name: vendor, kind: statuspage, url: 'https://status.example'}\n"
    "services:\n  checkout:\n    objective: 99.9\n"
)


@pytest.mark.parametrize(
    ("yaml_text", "says"),
    [
        (
            "    burn: [{name: fast, factor: 14.4, long: 5m, short: 1h}]\n",
            "services.checkout.burn.0: Value error, `short` must be shorter than `long`",
        ),
        (
            "    burn: [{name: fast, factor: 14.4, long: 1h, short: 1h}]\n",
            "`short` must be shorter than `long`, both positive",
        ),
        (
            "    burn: [{name: fast, factor: 14.4, long: 1h, short: 5m, action: email}]\n",
            "services.checkout.burn.0.action: Value error, `page` (the service's team) or `post`",
        ),
        (
            "    burn: [{name: fast, factor: 0, long: 1h, short: 5m}]\n",
            "services.checkout.burn.0.factor: Input should be greater than 0",
        ),
        (
            "    burn:\n      - {name: fast, factor: 14.4, long: 1h, short: 5m}\n"
            "      - {name: fast, factor: 6, long: 6h, short: 30m}\n",
            "services.checkout.burn: Value error, burn rule `fast` twice: each rule name once",
        ),
        (
            "    probes: [nope]\n",
            "services.checkout.probes: 'nope' is not an HTTP check in status.sources "
            "(checkout-health)",
        ),
        (
            "    probes: [vendor]\n",  # a Statuspage source has no health check of ours
            "services.checkout.probes: 'vendor' is not an HTTP check in status.sources",
        ),
        (
            "    team: payment\n",
            "services.checkout.team: unknown team 'payment'; teams: payments",
        ),
        (
            "    incidents: false\n",
            "a service needs an SLI source: `probes`, `incidents: true`, or both",
        ),
        ("    sla: 99.9\n", "an SLA should be less than the SLO so you have space"),
    ],
)
def test_service_levels_are_checked_at_start(tmp_path: Path, yaml_text: str, says: str) -> None:
    """Burn rules (short shorter than long, a known action, a positive factor, a name once),
    probes naming an HTTP source, a known team, at least one SLI source: each refused with the
    key and the reason."""
    file = tmp_path / "c.yml"
    file.write_text(SLO_BASE + yaml_text)
    with pytest.raises(ConfigError) as caught:
        load(file)
    assert says in str(caught.value)
    assert "Traceback" not in str(caught.value)


def test_a_custom_burn_rule_is_read() -> None:
    """`services.<name>.burn` replaces the default rules (fast and slow) with the ones given."""
    settings = Settings.model_validate(
        {
            "services": {
                "checkout": {
                    "objective": 99,
                    "burn": [{"name": "gentle", "factor": 2, "long": "2h", "short": "10m"}],
                }
            }
        }
    )
    [rule] = settings.services["checkout"].rules()
    assert ("gentle", 2.0, 7200.0, 600.0, "post") == (
        rule.name,
        rule.factor,
        rule.long.total_seconds(),
        rule.short.total_seconds(),
        rule.action,
    )
