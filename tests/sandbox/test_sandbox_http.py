"""The sandbox over HTTP, as a browser without JavaScript uses it: forms, redirects, cookies."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from adapters.sandbox.messenger import SandboxMessenger
from bot.model import Card, Conversation, DeliveryError, Text
from storage.models import CheckIn, KeyResult, SandboxMessage, Win
from tests.sandbox.conftest import person_id, say, sign_in_as, visible_text


def _checkins(sessions, code: str) -> list[CheckIn]:
    with sessions() as s:
        return list(s.scalars(select(CheckIn).join(KeyResult, KeyResult.id == CheckIn.key_result_id)
                              .where(KeyResult.key == code, CheckIn.source == "sandbox")))


async def test_first_page_asks_who_you_are(client):
    response = await client.get("/sandbox")
    text = visible_text(await response.text())
    assert response.status == 200
    assert "Sign in as" in text and "Zhou Qiang · engineer@example.com" in text


async def test_typed_command_goes_through_the_core_and_the_reply_is_only_for_me(client, sessions):
    await sign_in_as(client, sessions, "engineer@example.com")
    response = await say(client, "rd-efficiency", "/okr confidence 1 7 vendor signed")
    text = visible_text(await response.text())
    assert response.status == 200 and str(response.url).endswith("/sandbox/c/rd-efficiency")
    assert "Confidence 5 → 7 /10" in text and "Only visible to you" in text
    [checkin] = _checkins(sessions, "rd-o1-kr3")
    assert (checkin.confidence, checkin.note) == (7, "vendor signed")

    await sign_in_as(client, sessions, "liu.liu@example.com")
    other = visible_text(await (await client.get("/sandbox/c/rd-efficiency")).text())
    assert "vendor signed" not in other and "Confidence 5 → 7" not in other


async def test_bad_command_gets_the_usage_and_writes_nothing(client, sessions):
    await sign_in_as(client, sessions, "engineer@example.com")
    text = visible_text(await (await say(client, "rd-efficiency", "/okr confidence 1 11")).text())
    assert "`11` is not a confidence" in text or "11 is not a confidence" in text
    assert "Usage" in text
    assert _checkins(sessions, "rd-o1-kr3") == []


async def test_button_opens_the_form_and_errors_come_back_by_the_field(client, sessions):
    await sign_in_as(client, sessions, "engineer@example.com")
    await say(client, "rd-efficiency", "/okr mine")
    with sessions() as s:
        card = s.scalar(select(SandboxMessage).where(SandboxMessage.card.is_not(None))
                        .order_by(SandboxMessage.id.desc()))
    response = await client.post("/sandbox/c/rd-efficiency/actions",
                                 data={"action_id": "checkin_open", "value": "", "message_id": str(card.id)})
    html = await response.text()
    assert response.status == 200 and "<dialog" in html and "Weekly check-in" in html
    action = re.search(r'<form method="post" action="(/sandbox/forms/\d+)"', html).group(1)
    field = re.search(r'name="(confidence:\d+)"', html).group(1)

    response = await client.post(action, data={field: "11"})
    html = await response.text()
    assert response.status == 422
    error = re.search(r'<p class="field-error" id="(f-\d+)-error">(.*?)</p>', html)
    assert "11 is not a confidence" in visible_text(error.group(2))
    assert re.search(rf'id="{error.group(1)}" name="{field}"[^>]*aria-invalid="true"', html)
    assert 'value="11"' in html  # what was typed is kept
    assert _checkins(sessions, "rd-o1-kr3") == []

    response = await client.post(action, data={field: "8"})
    assert response.status == 200
    assert [c.confidence for c in _checkins(sessions, "rd-o1-kr3")] == [8]
    again = await client.post(action, data={field: "3"})  # a form is sent once
    assert "already sent" in visible_text(await again.text())
    assert [c.confidence for c in _checkins(sessions, "rd-o1-kr3")] == [8]


async def test_someone_elses_form_cannot_be_sent(client, sessions):
    await sign_in_as(client, sessions, "engineer@example.com")
    html = await (await say(client, "rd-efficiency", "/okr checkin")).text()
    action = re.search(r'action="(/sandbox/forms/\d+)"', html).group(1)
    await sign_in_as(client, sessions, "director.rd@example.com")
    response = await client.post(action, data={"confidence:1": "9"})
    assert response.status == 404


async def test_monday_ritual_posts_the_four_square_in_the_team_channel(client, sessions):
    await sign_in_as(client, sessions, "director.rd@example.com")  # the team's lead runs its rituals
    response = await client.post("/sandbox/c/rd-efficiency/rituals", data={"ritual": "monday"})
    text = visible_text(await response.text())
    assert response.status == 200
    assert "four-square of 2026-W47" in text and "Only visible to you" not in text.split("four-square")[0][-60:]
    assert "Update my confidence" in text  # the four-square's buttons


async def test_reply_in_friday_thread_is_a_win_once(client, sessions):
    await sign_in_as(client, sessions, "director.rd@example.com")
    await client.post("/sandbox/c/rd-efficiency/rituals", data={"ritual": "friday"})
    await sign_in_as(client, sessions, "engineer@example.com")
    with sessions() as s:
        root = s.scalar(select(SandboxMessage.id).where(SandboxMessage.channel_id == "rd-efficiency",
                                                         SandboxMessage.thread_id.is_(None)))
    response = await client.post(f"/sandbox/c/rd-efficiency/threads/{root}",
                                 data={"text": "win: Shipped the <b>API</b>"})
    assert response.status == 200
    assert "win: Shipped the &lt;b&gt;API&lt;/b&gt;" in await response.text()
    with sessions() as s:
        wins = s.scalars(select(Win)).all()
        assert [(w.text, w.platform) for w in wins] == [("Shipped the <b>API</b>", "sandbox")]
        reply = s.scalar(select(SandboxMessage).where(SandboxMessage.thread_id == root))
        assert wins[0].message_id == str(reply.id)
    dashboard = visible_text(await (await client.get("/?team=rd-efficiency")).text())
    assert "Wins this week (1)" in dashboard and "Shipped the <b>API</b>" in dashboard


async def test_plain_reply_outside_a_wins_thread_is_just_a_message(client, sessions):
    await sign_in_as(client, sessions, "director.rd@example.com")
    await client.post("/sandbox/c/rd-efficiency/rituals", data={"ritual": "monday"})
    await sign_in_as(client, sessions, "engineer@example.com")
    with sessions() as s:
        root = s.scalar(select(SandboxMessage.id).where(SandboxMessage.thread_id.is_(None)))
    await client.post(f"/sandbox/c/rd-efficiency/threads/{root}", data={"text": "looks good"})
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Win)) == 0


async def test_unknown_channel_is_a_friendly_404(client, sessions):
    await sign_in_as(client, sessions, "engineer@example.com")
    response = await client.get("/sandbox/c/no-such-team")
    assert response.status == 404
    assert "There is no team channel no-such-team" in visible_text(await response.text())


async def test_messenger_posts_replies_updates_and_sends_direct(app, sessions, org_id):
    ctx, client = app
    messenger: SandboxMessenger = ctx.messengers["sandbox"]
    where = Conversation("sandbox", str(org_id), "rd-efficiency")
    root = await messenger.post(where, Card("Hello", (Text("first"),), fallback="hello"))
    reply = await messenger.reply(where, root, Card(None, (Text("a reply: *bold* <script>"),)))
    await messenger.update(where, root, Card("Hello again", (Text("updated"),)))
    engineer = person_id(sessions, "engineer@example.com")
    dm = await messenger.send_direct("engineer@example.com", str(org_id), Card(None, (Text("just for you"),)))
    assert dm.channel_id == f"dm:{engineer}"
    with sessions() as s:
        row = s.get(SandboxMessage, int(dm.message_id))
        assert row.visible_to_person_id == engineer
        assert s.get(SandboxMessage, int(reply.message_id)).thread_id == int(root.message_id)
    await sign_in_as(client, sessions, "engineer@example.com")
    html = await (await client.get("/sandbox/c/rd-efficiency")).text()
    assert "Hello again" in html and "updated" in html and "first" not in html
    assert "a reply: <strong>bold</strong> &lt;script&gt;" in html
    assert "just for you" in await (await client.get("/sandbox/c/dm")).text()
    await sign_in_as(client, sessions, "liu.liu@example.com")
    assert "just for you" not in await (await client.get("/sandbox/c/dm")).text()
    for bad in (Conversation("sandbox", "999999", "x"), Conversation("sandbox", "nope", "x")):
        try:
            await messenger.post(bad, Card(None))
        except DeliveryError as error:
            assert error.permanent
        else:
            raise AssertionError("posting to a missing organization must fail permanently")


async def test_a_failure_behind_a_page_is_a_friendly_page_not_a_trace(app, client, sessions):
    ctx, _ = app
    if ctx.engine.dialect.name != "sqlite":
        pytest.skip("drops a table: only on the per-test SQLite copy, never the shared PostgreSQL database")
    await sign_in_as(client, sessions, "engineer@example.com")
    with ctx.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE sandbox_messages")
    response = await client.get("/sandbox/c/rd-efficiency")
    text = visible_text(await response.text())
    assert response.status == 500
    assert "something went wrong on our side and nothing was changed" in text and "Traceback" not in text


async def test_direct_messages_take_commands_too(client, sessions):
    await sign_in_as(client, sessions, "engineer@example.com")
    response = await say(client, "dm", "/okr mine")
    text = visible_text(await response.text())
    assert response.status == 200 and str(response.url).endswith("/sandbox/c/dm")
    assert "Average delivery time for requests" in text
    with sessions() as s:
        channels = set(s.scalars(select(SandboxMessage.channel_id)))
    assert channels == {f"dm:{person_id(sessions, 'engineer@example.com')}"}


async def test_four_square_button_sets_priorities_through_a_form(client, sessions):
    from storage.models import Priority

    await sign_in_as(client, sessions, "director.rd@example.com")
    html = await (await client.post("/sandbox/c/rd-efficiency/rituals", data={"ritual": "monday"})).text()
    button = re.search(r'name="action_id" value="priorities_open">\s*<input type="hidden" name="value" value="(\d+)">'
                       r'\s*<input type="hidden" name="message_id" value="(\d+)">', html)
    response = await client.post("/sandbox/c/rd-efficiency/actions", data={
        "action_id": "priorities_open", "value": button.group(1), "message_id": button.group(2)})
    html = await response.text()
    assert "<dialog" in html and "This week&#39;s priorities" in html
    assert '<select id="f-1" name="level:1"' in html  # P1/P2 is a real select
    action = re.search(r'action="(/sandbox/forms/\d+)"', html).group(1)
    response = await client.post(action, data={"level:1": "P1", "text:1": "Ship the <API>"})
    assert response.status == 200
    assert "Ship the &lt;API&gt;" in await response.text()
    with sessions() as s:
        assert [(p.level, p.text) for p in s.scalars(select(Priority))] == [("P1", "Ship the <API>")]


async def test_status_report_reaches_the_lead_in_direct_messages_only(client, sessions):
    await sign_in_as(client, sessions, "director.rd@example.com")
    response = await client.post("/sandbox/c/rd-efficiency/rituals", data={"ritual": "report"})
    assert "posted report" in visible_text(await response.text())
    await sign_in_as(client, sessions, "engineer@example.com")
    assert "status report" not in visible_text(await (await client.get("/sandbox/c/dm")).text()).lower()
    await sign_in_as(client, sessions, "director.rd@example.com")
    text = visible_text(await (await client.get("/sandbox/c/dm")).text())
    assert "okrbot APP" in text and "R&D Efficiency" in text, text
    assert "Only visible to you" not in text  # a direct message is private anyway


async def test_a_team_channel_is_about_its_team_without_any_binding(client, sessions):
    from storage.models import ChannelBinding, Priority, Team

    await sign_in_as(client, sessions, "director.rd@example.com")  # in ecology and rd-efficiency
    await say(client, "rd-efficiency", "/okr priority add P1 Unblock the release train")
    await say(client, "ecology", "/okr priority add P2 Survey the merchants")
    with sessions() as s:
        rows = s.execute(select(Team.key, Priority.text).join(Team, Team.id == Priority.team_id)).all()
        assert sorted(rows) == [("ecology", "Survey the merchants"), ("rd-efficiency", "Unblock the release train")]
        assert s.scalar(select(func.count()).select_from(ChannelBinding).where(
            ChannelBinding.platform == "sandbox")) == 0  # an export stays importable
