"""A new workspace's first two commands arriving at once: both claim the organization, one links the workspace
first, and the other must still get its answer (found by bench/slack_ack.py's warm-up on PostgreSQL, where the
loser hit uq_workspaces_org_id_platform and the person got an apology).

PostgreSQL only: SQLite takes one write transaction at a time, so the two never overlap there."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select, text

from bot.core import Core
from bot.model import Interaction
from storage.db import transaction
from storage.models import Organization, Workspace
from tests.conftest import card_text


def _waiting_on_a_lock(engine, deadline: float) -> bool:
    """True once some other backend waits on a row lock (the core's insert behind the open one)."""
    while time.monotonic() < deadline:
        with engine.connect() as connection:
            waiting = connection.scalar(text(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()"))
        if waiting:
            return True
    return False


def test_the_second_of_two_first_commands_is_answered_not_apologised(engine, sessions, clock):
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one write transaction at a time: two first commands never overlap")
    with transaction(sessions) as session:
        session.add(Organization(name="Acme", created_at=clock.now()))
    with transaction(sessions) as session:
        org_id = session.scalar(select(Organization.id))
    core = Core(sessions, clock)
    first = engine.connect()
    opened = first.begin()  # the first command's transaction: the workspace linked, not yet committed
    first.execute(Workspace.__table__.insert().values(org_id=org_id, platform="slack", workspace_id="T1"))
    replies = []
    second = threading.Thread(target=lambda: replies.append(core.handle(Interaction(
        platform="slack", workspace="T1", actor="U1", actor_email=None, kind="command", text="help"))))
    second.start()
    try:
        assert _waiting_on_a_lock(engine, time.monotonic() + 30), "the second command never reached the link"
    finally:
        opened.commit()
        first.close()
    second.join(30)
    assert len(replies) == 1
    assert "went wrong" not in card_text(replies[0]).lower(), card_text(replies[0])
    assert card_text(replies[0]), "an empty answer"
    with transaction(sessions) as session:
        assert session.scalars(select(Workspace.workspace_id)).all() == ["T1"]
        assert session.scalar(select(Organization.id).where(Organization.id != org_id)) is None  # no second org
