"""Clients of the outside world behind the ports: status sources, pagers (builtin roster,
PagerDuty, Opsgenie) and trackers (Jira)."""

from __future__ import annotations

from collections.abc import Mapping

from warroom.config import Settings
from warroom.ports import Chat, Clock, Pager, Tracker


def make_pagers(
    settings: Settings, chats: Mapping[str, Chat], environ: Mapping[str, str], clock: Clock
) -> dict[str, Pager]:
    """The builtin roster always; PagerDuty and Opsgenie when their keys are in `environ`."""
    from warroom.providers.builtin import builtin_pagers

    pagers: dict[str, Pager] = {**builtin_pagers(settings, chats, clock)}
    timeout = settings.paging.timeout_seconds
    if environ.get("PAGERDUTY_API_TOKEN") or environ.get("PAGERDUTY_ROUTING_KEY"):
        from warroom.providers.pagerduty import PagerDutyPager

        pagers["pagerduty"] = PagerDutyPager(
            api_url=settings.pagerduty.api_url,
            events_url=settings.pagerduty.events_url,
            api_token=environ.get("PAGERDUTY_API_TOKEN"),
            routing_key=environ.get("PAGERDUTY_ROUTING_KEY"),
            timeout=timeout,
        )
    if environ.get("OPSGENIE_API_KEY"):
        from warroom.providers.opsgenie import OpsgeniePager

        pagers["opsgenie"] = OpsgeniePager(
            api_url=settings.opsgenie.api_url, api_key=environ["OPSGENIE_API_KEY"], timeout=timeout
        )
    return pagers


def make_tracker(settings: Settings, environ: Mapping[str, str]) -> Tracker | None:
    """Jira when `jira.url` and `jira.project` are configured and its credentials are set."""
    jira = settings.jira
    email, token = environ.get("JIRA_EMAIL"), environ.get("JIRA_API_TOKEN")
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
