"""`Secrets`: every token and key, read from the environment in one place, under the vendors'
usual names, and never from the configuration file.

    secrets = Secrets.load(settings)   # once, at start; then passed down
    reveal(secrets.pagerduty_api_token)  # -> str | None, where a client needs the value

`SecretStr` keeps the values out of reprs, logs and tracebacks.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

from pydantic import PrivateAttr, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from warroom.config.settings import Settings

# `${VAR}` in an Apprise URL (config `oncall.people.<handle>.apprise`).
APPRISE_VARIABLE = re.compile(r"\$\{([A-Z0-9_]+)\}")


class Secrets(BaseSettings):
    """SLACK_*, PAGERDUTY_*, OPSGENIE_*, JIRA_*, MATRIX_* from the environment; an empty value
    is unset."""

    model_config = SettingsConfigDict(extra="ignore", env_ignore_empty=True, frozen=True)

    slack_bot_token: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    # Not a secret, but where the Slack tokens are sent (the fake Slack in tests).
    slack_api_url: str | None = None
    pagerduty_api_token: SecretStr | None = None
    opsgenie_api_key: SecretStr | None = None
    jira_email: str | None = None
    jira_api_token: SecretStr | None = None
    # Matrix: where, who, and the access token; which servers' users may invite the bot.
    matrix_homeserver: str | None = None
    matrix_user_id: str | None = None
    matrix_access_token: SecretStr | None = None
    matrix_device_id: str | None = None
    matrix_invites_from: str | None = None
    oidc_client_secret: SecretStr | None = None  # the dashboard's sign-in
    warroom_session_secret: SecretStr | None = None  # signs dashboard cookies; random if unset
    # The variables the configuration names: `${VAR}` in Apprise URLs, each PagerDuty route's
    # `routing_key_env`; by name (not a field: no variable of its own fills it).
    _named: dict[str, SecretStr] = PrivateAttr(default_factory=dict)

    @classmethod
    def load(cls, settings: Settings | None = None) -> Secrets:
        """The vendors' variables, and those that `settings` names."""
        names: set[str] = set()
        if settings is not None:
            for person in settings.oncall.people.values():
                for url in person.apprise:
                    names.update(APPRISE_VARIABLE.findall(url))
            for route in settings.pagerduty_routes().values():
                if route.routing_key_env:
                    names.add(route.routing_key_env)
        secrets = cls()
        secrets._named = {n: SecretStr(os.environ[n]) for n in sorted(names) if os.environ.get(n)}
        return secrets

    def named(self, name: str) -> SecretStr | None:
        """The value of a variable the configuration names (None when unset or empty)."""
        return self._named.get(name)

    def expand(self, url: str) -> str:
        """`url` with each `${VAR}` replaced by its value (empty when unset)."""
        return APPRISE_VARIABLE.sub(lambda m: reveal(self._named.get(m[1])) or "", url)


def reveal(secret: SecretStr | None) -> str | None:
    """The plain value, for the one call that sends it; None when unset."""
    return secret.get_secret_value() if secret is not None else None
