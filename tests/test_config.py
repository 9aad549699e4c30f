"""Configuration: the shipped example is valid, env overrides win, errors name key and reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from warroom import config
from warroom.config import ConfigError, env_overrides, load


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


def test_env_overrides_build_nested_keys() -> None:
    assert {"bot": {"name": "spy"}, "reports": {"dir": "/r"}} == env_overrides(
        {
            "WARROOM_BOT__NAME": "spy",
            "WARROOM_REPORTS__DIR": "/r",
            "WARROOM_CONFIG": "x",
            "HOME": "/",
        }
    )


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
