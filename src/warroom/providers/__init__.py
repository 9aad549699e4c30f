"""Clients of the outside world behind the ports: status sources, pagers (builtin roster,
PagerDuty, Opsgenie) and trackers (Jira)."""

from __future__ import annotations

from collections.abc import Mapping

from warroom.config import Secrets, Settings, reveal
from warroom.ports import Chat, Clock, Pager, Tracker


def make_pagers(
    settings: Settings,
    chats: Mapping[str, Chat],
    secrets: Secrets,
    clock: Clock,
) -> dict[str, Pager]:
    """The builtin roster always; PagerDuty and Opsgenie when their keys are in `secrets`."""
    from warroom.providers.builtin import builtin_pagers

    pagers: dict[str, Pager] = {**builtin_pagers(settings, chats, clock, secrets)}
    timeout = settings.paging.timeout_seconds
    if secrets.pagerduty_api_token or secrets.pagerduty_routing_key:
        from warroom.providers.pagerduty import PagerDutyPager

        pagers["pagerduty"] = PagerDutyPager(
            api_url=settings.pagerduty.api_url,
            events_url=settings.pagerduty.events_url,
            api_token=reveal(secrets.pagerduty_api_token),
            routing_key=reveal(secrets.pagerduty_routing_key),
            timeout=timeout,
        )
    api_key = reveal(secrets.opsgenie_api_key)
    if api_key:
        from warroom.providers.opsgenie import OpsgeniePager

        pagers["opsgenie"] = OpsgeniePager(
            api_url=settings.opsgenie.api_url, api_key=api_key, timeout=timeout
        )
    return pagers


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
