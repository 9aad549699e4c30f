"""The installation ID: one per database, created with it, part of every dedup key (issue 15),
so two databases or a reset never fold a new page into an old open alert at a vendor."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import delete

from warroom.store.db import connect
from warroom.store.installation import InstallationRow, installation_id


def _read(url: str) -> str:
    sessions = connect(url)
    try:
        with sessions.begin() as session:
            return installation_id(session)
    finally:
        sessions.kw["bind"].dispose()


def test_the_installation_id_is_made_once_and_kept_across_restarts(db_url: str) -> None:
    first = _read(db_url)
    assert re.fullmatch(r"[0-9a-f]{12}", first)
    assert first == _read(db_url)  # a restart: the same database, the same installation


def test_two_databases_are_two_installations(tmp_path: Path) -> None:
    one = _read(f"sqlite:///{tmp_path / 'one.db'}")
    other = _read(f"sqlite:///{tmp_path / 'other.db'}")  # another install, or a reset
    assert one != other


def test_a_lost_installation_row_is_made_again_once(db_url: str) -> None:
    sessions = connect(db_url)
    try:
        with sessions.begin() as session:
            old = installation_id(session)
            session.execute(delete(InstallationRow))
        with sessions.begin() as session:
            new = installation_id(session)
            assert new == installation_id(session)
        assert old != new
        with sessions.begin() as session:
            assert 1 == len(session.scalars(InstallationRow.__table__.select()).all())
    finally:
        sessions.kw["bind"].dispose()
