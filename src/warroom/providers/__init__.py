"""Clients of the outside world behind the ports: status sources, pagers (builtin roster,
PagerDuty, Opsgenie) and trackers (Jira)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from warroom.config import ConfigError, Secrets, Settings, reveal
from warroom.ports import Chat, Clock, Pager, Tracker

if TYPE_CHECKING:
    from warroom.providers.pagerduty import PagerDutyPager


def make_pagers(
    settings: Settings,
    chats: Mapping[str, Chat],
    secrets: Secrets,
    clock: Clock,
) -> dict[str, Pager]:
    """The builtin roster always; PagerDuty when a team pages through it or its token is set;
    Opsgenie when its key is set. A PagerDuty route whose key or token is missing from the
    environment is a ConfigError naming the team: nothing starts that cannot page it."""
    from warroom.providers.builtin import builtin_pagers

    pagers: dict[str, Pager] = {**builtin_pagers(settings, chats, clock, secrets)}
    timeout = settings.paging.timeout_seconds
    if secrets.pagerduty_api_token or settings.pagerduty_targets():
        pagers["pagerduty"] = make_pagerduty(settings, secrets)
    api_key = reveal(secrets.opsgenie_api_key)
    if api_key:
        from warroom.providers.opsgenie import OpsgeniePager

        pagers["opsgenie"] = OpsgeniePager(
            api_url=settings.opsgenie.api_url,
            api_key=api_key,
            timeout=timeout,
            confirm_seconds=settings.opsgenie.confirm_seconds,
        )
    return pagers


def make_pagerduty(settings: Settings, secrets: Secrets) -> PagerDutyPager:
    """The PagerDuty client with each paged schedule's route, its keys read from `secrets`."""
    from warroom.providers.pagerduty import PagerDutyPager, Route

    token = reveal(secrets.pagerduty_api_token)
    routes: dict[str, Route] = {}
    for key, who, schedules, config in settings.pagerduty_targets():
        assert config is not None  # Settings refuses a PagerDuty target without a route
        if config.routing_key_env:
            routing_key = reveal(secrets.named(config.routing_key_env))
            if not routing_key:
                raise ConfigError(
                    f"{key}.pagerduty.routing_key_env: {config.routing_key_env} is not set in "
                    f"the environment, so PagerDuty cannot page {who}"
                )
            route = Route(routing_key=routing_key)
        else:
            if not token:
                raise ConfigError(
                    f"{key}.pagerduty.service: PAGERDUTY_API_TOKEN is not set in the "
                    f"environment, so PagerDuty cannot page {who}"
                )
            route = Route(service=config.service, escalation_policy=config.escalation_policy)
        routes.update((schedule, route) for schedule in schedules)
    return PagerDutyPager(
        api_url=settings.pagerduty.api_url,
        events_url=settings.pagerduty.events_url,
        api_token=token,
        routes=routes,
        from_email=settings.pagerduty.from_email,
        person_service=settings.pagerduty.person_service,
        timeout=settings.paging.timeout_seconds,
        contacts_ttl=settings.oncall.refresh_seconds / 2,
    )


def make_tracker(settings: Settings, secrets: Secrets) -> Tracker | None:
    """Jira when `jira.url` and `jira.project` are configured and its credentials are set."""
    jira = settings.jira
    email, token = secrets.jira_email, reveal(secrets.jira_api_token)
    if not (jira.url and jira.project and email and token):
        return None
    from warroom.providers.jira import JiraTracker

    return JiraTracker(
        url=jira.url,
        project=jira.project,
        issue_type=jira.issue_type,
        email=email,
        api_token=token,
        timeout=settings.paging.timeout_seconds,
    )
