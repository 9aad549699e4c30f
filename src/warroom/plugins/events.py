"""Events for plugins, taken from what a transaction writes (timeline rows, pages, alerts) and
promised in the same transaction: one `RunPlugin` outbox row per subscribed plugin, delivered
at least once after the commit, off the command's path. Nothing in app/ calls this: the
session's own events feed it, so every use case that writes a timeline line, a page or an
alert is covered."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

from warroom.app import effects as fx
from warroom.app.uow import UnitOfWork, to_outbox
from warroom.plugins.documents import event_doc, incident_doc, new_key
from warroom.store import incidents as repo
from warroom.store.tables import AlertRow, EventRow, PageRow

log = logging.getLogger(__name__)
SEEN = "warroom_plugin_events"
OUT = "warroom_plugin_deliveries"
TIMELINE = {
    "started": "incident.started",
    "stopped": "incident.stopped",
    "note": "incident.note",
    "mitigated": "incident.mitigated",
}
PAGE_STATUS = {"triggered": "page.triggered", "acknowledged": "page.acknowledged"}
Found = tuple[str, int | None, dict[str, Any], str | None]  # event, incident, data, platform


class EventTap:
    """Listens on a sessionmaker while plugins subscribe; `committed` gets the deliveries
    (with their outbox IDs) of each commit that promised some, in the committing thread."""

    def __init__(
        self,
        uow: UnitOfWork,
        subscribers: Mapping[str, list[str]],
        committed: Callable[[list[fx.Delivery]], None],
        default_platform: Callable[[], str],
    ) -> None:
        self.uow = uow
        self.sessions: sessionmaker[Session] = uow.sessions
        self.subscribers = {k: list(v) for k, v in subscribers.items() if v}
        self.committed = committed
        self.platform = default_platform
        self._hooks: list[tuple[str, Callable[..., None]]] = [
            ("do_orm_execute", self._executed),
            ("before_flush", self._flushing),
            ("before_commit", self._before_commit),
            ("after_commit", self._after_commit),
            ("after_rollback", self._after_rollback),
        ]

    def install(self) -> None:
        for name, fn in self._hooks:
            event.listen(self.sessions, name, fn)

    def remove(self) -> None:
        for name, fn in self._hooks:
            if event.contains(self.sessions, name, fn):
                event.remove(self.sessions, name, fn)

    def _found(self, session: Session) -> list[Found]:
        found: list[Found] = session.info.setdefault(SEEN, [])
        return found

    def _executed(self, state: ORMExecuteState) -> None:
        if not state.is_insert or getattr(state.statement, "table", None) is not EventRow.__table__:
            return
        params: Any = state.parameters
        rows: list[Mapping[str, Any]] = (
            list(params) if isinstance(params, list) else [params] if params else []
        )
        for row in rows:
            name = TIMELINE.get(str(row.get("kind")))
            if name is None or name not in self.subscribers:
                continue
            if str(row.get("subject") or "").startswith("plugin:"):
                continue  # a plugin's own note: no event, or two plugins could loop forever
            data = {"actor": row.get("actor"), "text": row.get("text")}
            self._found(state.session).append((name, row.get("incident_id"), data, None))

    def _flushing(self, session: Session, *_: object) -> None:
        for obj in list(session.new) + list(session.dirty):
            if isinstance(obj, PageRow):
                status = inspect(obj).attrs.status.history.added
                name = PAGE_STATUS.get(str(status[0])) if status else None
                if name is not None and name in self.subscribers:
                    data = {"page": {"target": obj.target, "provider": obj.provider,
                                     "summary": obj.summary, "status": obj.status}}  # fmt: skip
                    self._found(session).append((name, obj.incident_id, data, obj.platform))
            elif (
                isinstance(obj, AlertRow)
                and obj in session.new
                and "alert.received" in self.subscribers
            ):
                data = {"alert": {"source": obj.source, "title": obj.title,
                                  "team": obj.team, "status": obj.status}}  # fmt: skip
                self._found(session).append(("alert.received", obj.incident_id, data, None))

    def _before_commit(self, session: Session) -> None:
        found = session.info.pop(SEEN, None)
        if not found:
            return
        now = self.uow.clock.now()
        link = self.uow.settings.plugins.incident_link
        deliveries = []
        for name, incident_id, data, platform in found:
            incident = repo.get(incident_id, session=session) if incident_id else None
            where = incident.platform if incident else platform or self.platform()
            for plugin in self.subscribers[name]:
                deliveries.append(self._promise(plugin, name, now, data, incident, link, where))
        session.info[OUT] = to_outbox(deliveries, now, session)

    def _promise(
        self, plugin: str, name: str, now: datetime, data: dict[str, Any], incident: Any,
        link: str | None, platform: str,
    ) -> fx.Delivery:  # fmt: skip
        key = new_key(plugin)
        doc = event_doc(key=key, event=name, at=now, data=data,
                        incident=incident_doc(incident, link))  # fmt: skip
        run = fx.RunPlugin(
            plugin, key, json.dumps(doc, ensure_ascii=False),
            incident_id=incident.id if incident else None,
        )  # fmt: skip
        return fx.Delivery(platform, run)

    def _after_commit(self, session: Session) -> None:
        out = session.info.pop(OUT, None)
        if out:
            try:
                self.committed(out)
            except Exception:  # never turn a commit into an error: the sweep delivers them
                log.exception("could not hand plugin events over")

    def _after_rollback(self, session: Session) -> None:
        session.info.pop(SEEN, None)
        session.info.pop(OUT, None)
