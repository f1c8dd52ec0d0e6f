from datetime import UTC, datetime

from sqlalchemy import event

from bot.services.trends import confidence_trends, week_end, week_start
from storage.db import transaction
from tests.conftest import card_text
from tests.core import builders as b

WEEKS = ["2026-W45", "2026-W46", "2026-W47"]


def _team_with_krs(session, count: int, prefix: str):
    o = b.org(session, timezone="Asia/Shanghai", name=f"org {prefix}")
    c = b.cycle(session, o)
    t = b.team(session, o, f"{prefix}-team")
    ob = b.objective(session, o, c, f"{prefix}-o1", owner=t)
    krs = [b.key_result(session, o, ob, f"{prefix}-kr{n}", position=n) for n in range(count)]
    for n, kr in enumerate(krs):
        b.checkin(session, kr, datetime(2026, 11, 3, 1, tzinfo=UTC), 5)
        b.checkin(session, kr, datetime(2026, 11, 10, 1, tzinfo=UTC), 6 + n % 3)
        b.checkin(session, kr, datetime(2026, 11, 17, 1, tzinfo=UTC), 4)
    return krs


def test_week_boundaries_are_local_midnights():
    assert week_start("2026-W47", "Asia/Shanghai") == datetime(2026, 11, 15, 16, tzinfo=UTC)
    assert week_end("2026-W47", "Asia/Shanghai") == datetime(2026, 11, 22, 16, tzinfo=UTC)
    # The week of the European DST change (Sunday 2026-10-25) ends at local midnight, 23 UTC, not 22.
    assert week_end("2026-W43", "Europe/Berlin") == datetime(2026, 10, 25, 23, tzinfo=UTC)


def test_a_week_is_the_last_checkin_before_its_local_end(sessions):
    with transaction(sessions) as s:
        o = b.org(s, timezone="Asia/Shanghai")
        c = b.cycle(s, o)
        t = b.team(s, o, "t")
        kr = b.key_result(s, o, b.objective(s, o, c, "o1", owner=t), "kr1")
        b.checkin(s, kr, datetime(2026, 11, 2, 3, tzinfo=UTC), 5)  # W45
        b.checkin(s, kr, datetime(2026, 11, 4, 3, tzinfo=UTC), 6)  # W45, later: wins
        # Sunday 23:30 in Shanghai is still W46 there (15:30 UTC).
        b.checkin(s, kr, datetime(2026, 11, 15, 15, 30, tzinfo=UTC), 8)
        # Monday 00:30 in Shanghai is W47 there, though still Sunday in UTC.
        b.checkin(s, kr, datetime(2026, 11, 15, 16, 30, tzinfo=UTC), 3)
        kr_id = kr.id
    with sessions() as s:
        assert confidence_trends(s, [kr_id], WEEKS, "Asia/Shanghai") == {kr_id: (6, 8, 3)}
        # The same moments read in UTC put both late check-ins in W46.
        assert confidence_trends(s, [kr_id], WEEKS, "UTC") == {kr_id: (6, 3, 3)}


def test_trends_carry_the_value_before_the_first_week_and_are_right_aligned(sessions):
    with transaction(sessions) as s:
        o = b.org(s)
        c = b.cycle(s, o)
        ob = b.objective(s, o, c, "o1", owner=b.team(s, o, "t"))
        old, late, silent = (b.key_result(s, o, ob, k) for k in ("old", "late", "silent"))
        b.checkin(s, old, datetime(2026, 10, 1, tzinfo=UTC), 7)  # weeks before W45: carried into it
        b.checkin(s, late, datetime(2026, 11, 12, tzinfo=UTC), 2)  # first check-in in W46
        ids = old.id, late.id, silent.id
    with sessions() as s:
        trends = confidence_trends(s, ids, WEEKS, "UTC")
    assert trends == {ids[0]: (7, 7, 7), ids[1]: (2, 2), ids[2]: ()}


def test_check_ins_at_the_same_instant_count_in_the_order_written(sessions):
    """An import and a check-in in the same second: the later row is the week's value, whatever the numbers."""
    with transaction(sessions) as s:
        o = b.org(s)
        kr = b.key_result(s, o, b.objective(s, o, b.cycle(s, o), "o1", owner=b.team(s, o, "t")), "kr1")
        b.checkin(s, kr, datetime(2026, 10, 1, tzinfo=UTC), 9)  # before the weeks: the value W45 starts with
        b.checkin(s, kr, datetime(2026, 10, 1, tzinfo=UTC), 3)
        b.checkin(s, kr, datetime(2026, 11, 18, tzinfo=UTC), 5)  # W47
        b.checkin(s, kr, datetime(2026, 11, 18, tzinfo=UTC), 2)
        kr_id = kr.id
    with sessions() as s:
        assert confidence_trends(s, [kr_id], WEEKS, "UTC") == {kr_id: (3, 3, 2)}


def test_nothing_asked_nothing_read(sessions, statements):
    with sessions() as s, statements.counting() as seen:
        assert confidence_trends(s, [], WEEKS, "UTC") == {}
        assert confidence_trends(s, [1, 2], [], "UTC") == {1: (), 2: ()}
    assert seen == []


def test_statement_count_does_not_grow_with_key_results(sessions, statements):
    """No N+1: 2 key results and 40 key results cost the same number of statements."""
    with transaction(sessions) as s:
        few = [kr.id for kr in _team_with_krs(s, 2, "few")]
        many = [kr.id for kr in _team_with_krs(s, 40, "many")]
    counts = []
    for ids in (few, many):
        with sessions() as s, statements.counting() as seen:
            trends = confidence_trends(s, ids, WEEKS, "Asia/Shanghai")
        counts.append(len(seen))
        assert all(len(trend) == 3 for trend in trends.values())
    assert counts[0] == counts[1], counts
    assert counts[0] <= 2  # the latest before and the rows inside in one statement (plus BEGIN on SQLite)


def _kr_line(reply, code):
    from bot.model import KeyResultLine

    return next(e for e in reply.card.elements if isinstance(e, KeyResultLine) and e.code == code)


def test_the_checkin_reply_and_the_monday_post_agree_on_since_last_week(chat, clock):
    """Issue 9, finding 4: a reply said "▲ +1 since last week" (against the previous check-in) while the
    Monday post showed the same key result at "▼ -2 since last week". Both now count from the end of the
    previous ISO week in the team's zone; the reply names the previous check-in in its words."""
    clock.advance(days=7)  # the week after the import: last week ended at the imported 5
    chat.say("confidence rd-o1-kr3 2")
    reply = chat.say("confidence rd-o1-kr3 3 one vendor is back")
    words = card_text(reply)
    assert "Confidence 2 → *3*/10 since the previous check-in" in words
    line = _kr_line(reply, "rd-o1-kr3")
    assert (line.delta, line.flagged) == (-2, True)  # 5 at the end of last week, 3 now
    board = _kr_line(chat.say("okrs rd-efficiency"), "rd-o1-kr3")
    assert (board.delta, board.flagged, board.confidence) == (line.delta, line.flagged, 3)
    home_line = next(e for e in chat.core.home("sandbox", str(chat.org_id), "engineer@example.com").elements
                     if getattr(e, "code", None) == "rd-o1-kr3")
    assert home_line.delta == line.delta


def _rows_read(engine, say) -> tuple[object, int]:
    """The reply to `say()`, and how many rows its reads return (each SELECT run again on a raw cursor)."""
    seen: list[tuple[str, object]] = []

    def listener(_conn, _cursor, statement, parameters, _context, _executemany) -> None:
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", listener)
    try:
        reply = say()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        total = 0
        for statement, parameters in seen:
            if statement.lstrip().upper().startswith(("SELECT", "WITH")):
                cursor.execute(statement, parameters)
                total += len(cursor.fetchall())
        return reply, total
    finally:
        raw.close()


def test_the_checkin_reply_reads_last_weeks_value_not_the_weeks_history(chat, clock, engine):
    """bench/slack_ack.py: the reply's "since last week" read every check-in of this week and the last, so a busy
    key result made every `/okr confidence` slower; two index seeks give the same value whatever the history."""
    clock.advance(days=7)  # last week ended at the imported 5
    chat.say("confidence rd-o1-kr3 5")  # the first request links the sandbox account by email
    _, few = _rows_read(engine, lambda: chat.say("confidence rd-o1-kr3 6"))
    for n in range(30):
        chat.say(f"confidence rd-o1-kr3 {4 + n % 3}")
    # 6 -> 7, like 5 -> 6 above: neither is a drop, so neither adds the early warning's reads (#13)
    reply, many = _rows_read(engine, lambda: chat.say("confidence rd-o1-kr3 7"))
    assert many == few
    line = _kr_line(reply, "rd-o1-kr3")
    assert line.delta == 2  # 5 at the end of last week, 7 now
