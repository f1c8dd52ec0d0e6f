"""`/okr source KR …`: the owner sets, shows and removes a key result's connector in chat; nobody else can."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import Connector, KeyResult
from tests.conftest import card_text


def connector(sessions, code: str = "rd-o1-kr3"):
    with sessions() as s:
        return s.scalar(select(Connector).join(KeyResult, KeyResult.id == Connector.key_result_id)
                        .where(KeyResult.key == code))


def test_the_owner_sets_shows_and_removes_a_source(chat, sessions):
    assert "has no source" in card_text(chat.say("source rd-o1-kr3"))
    # Slack wraps links in <…>; the address is what counts.
    reply = card_text(chat.say("source rd-o1-kr3 {kind: http, url: <https://api.github.com/search/issues?q=x>, "
                               "pointer: /total_count, headers: {Authorization: GH_AUTH}, schedule: MON 07:00}"))
    assert "will be read from http https://api.github.com/search/issues?q=x at /total_count" in reply
    assert "weekly, MON 07:00" in reply and "confidence stays yours" in reply
    row = connector(sessions)
    assert (row.kind, row.spec["headers"], row.schedule) == ("http", {"Authorization": "GH_AUTH"}, "MON 07:00")
    assert "It has not run yet" in card_text(chat.say("source rd-o1-kr3"))
    assert "no source any more" in card_text(chat.say("source rd-o1-kr3 off"))
    assert connector(sessions) is None


def test_only_the_owner_and_only_a_working_source(chat, sessions):
    reply = card_text(chat.say("source rd-o1-kr3 {kind: csv, file: /srv/kpi.csv, cell: B2}",
                               actor="director.rd@example.com"))
    assert "Only the owner of *rd-o1-kr3*" in reply and connector(sessions) is None
    reply = card_text(chat.say("source rd-o1-kr3 {kind: sql, url: postgresql://me:pw@db/x, query: SELECT 1}"))
    assert "never put a database URL" in reply and "url_env" in reply and connector(sessions) is None
    assert "not valid YAML" in card_text(chat.say("source rd-o1-kr3 {kind: http, url: ["))
    assert connector(sessions) is None
    assert "Usage" in card_text(chat.say("source"))
