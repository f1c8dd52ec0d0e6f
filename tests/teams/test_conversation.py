"""Commands, replies, references and bindings through the real /api/messages route."""

from __future__ import annotations

from sqlalchemy import func, select

from storage.models import ChannelBinding, CheckIn, ConversationRef, KeyResult
from tests.conftest import Chat, card_text
from tests.teams.conftest import CHANNEL, TEAM, TENANT


async def test_personal_chat_command_gets_an_adaptive_card_and_the_person_is_remembered(teams, sessions):
    response = await teams.say("mine")
    assert response.status == 201
    [reply] = teams.connector.of("reply")
    assert reply.conversation == "a:personal-engineer"
    assert reply.card["type"] == "AdaptiveCard" and reply.card["version"] == "1.5"
    assert "Average delivery time for requests" in reply.text
    with sessions() as s:
        ref = s.scalar(select(ConversationRef).where(ConversationRef.kind == "person"))
        assert ref.key == "aad-engineer" and ref.platform == "teams"
        assert ref.reference["conversation"]["id"] == "a:personal-engineer"
        assert ref.reference["serviceUrl"] == teams.connector.url


async def test_channel_mention_checks_in_and_replies_in_the_thread(teams, sessions):
    await teams.say("confidence rd-o1-kr3 7 vendor signed", where="channel")
    [reply] = teams.connector.of("reply")
    assert reply.conversation.startswith(f"{CHANNEL};messageid=")
    assert "7" in reply.text and "Average delivery time" in reply.text
    with sessions() as s:
        kr = s.scalar(select(KeyResult).where(KeyResult.key == "rd-o1-kr3"))
        assert kr.confidence == 7
        checkin = s.scalar(select(CheckIn).where(CheckIn.source == "teams"))
        assert checkin.note == "vendor signed"
        channel = s.scalar(select(ConversationRef).where(ConversationRef.kind == "channel"))
        assert channel.key == CHANNEL and channel.reference["conversation"]["id"] == CHANNEL


async def test_channel_messages_without_a_mention_are_not_commands(teams, sessions):
    await teams.say("confidence rd-o1-kr3 2", where="channel", mention=False)
    assert teams.connector.of("reply") == []
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(CheckIn).where(CheckIn.source == "teams")) == 0


async def test_bad_command_gets_usage_help(teams, sessions):
    await teams.say("confidence rd-o1-kr3 eleven")
    [reply] = teams.connector.of("reply")
    assert "@okrbot confidence" in reply.text
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(CheckIn).where(CheckIn.source == "teams")) == 0


async def test_user_text_renders_literally(teams):
    await teams.say("plan [click](http://evil.example) # not a heading *really*", where="channel")
    [reply] = teams.connector.of("reply")
    assert "\\[click\\](http://evil.example)" in reply.text  # no link; parentheses as typed, no backslash
    assert " # not a heading" in reply.text  # TextBlocks have no headings: nothing to escape


async def test_lead_binds_the_channel_and_a_member_cannot(teams, sessions):
    await teams.say("bind rd-efficiency", "engineer", where="channel")
    assert "lead" in teams.connector.of("reply")[-1].text.lower()
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(ChannelBinding).where(ChannelBinding.platform == "teams")) == 0
    await teams.say("bind rd-efficiency", "director", where="channel")
    assert "R&D Efficiency" in teams.connector.of("reply")[-1].text
    with sessions() as s:
        binding = s.scalar(select(ChannelBinding).where(ChannelBinding.platform == "teams"))
        assert (binding.platform, binding.channel_id) == ("teams", CHANNEL)


async def test_installation_in_a_team_stores_the_channel_reference(teams, sessions):
    activity = teams.activity("director", where="channel", type="installationUpdate", action="add")
    activity["conversation"]["id"] = CHANNEL
    assert (await teams.post(activity)).status in (200, 201)
    added = teams.activity("director", where="channel", type="conversationUpdate",
                           membersAdded=[{"id": "28:okrbot-app-id"}])
    added["conversation"]["id"] = TEAM
    added["channelData"] = {"tenant": {"id": TENANT}, "team": {"id": TEAM}, "eventType": "teamMemberAdded"}
    assert (await teams.post(added)).status in (200, 201)
    created = teams.activity("director", where="channel", type="conversationUpdate")
    created["channelData"] = {"tenant": {"id": TENANT}, "team": {"id": TEAM}, "eventType": "channelCreated",
                              "channel": {"id": "19:new-channel@thread.tacv2", "name": "New"}}
    assert (await teams.post(created)).status in (200, 201)
    with sessions() as s:
        keys = set(s.scalars(select(ConversationRef.key).where(ConversationRef.kind == "channel")))
    assert keys == {CHANNEL, TEAM, "19:new-channel@thread.tacv2"}
    assert teams.connector.delivered() == []  # installing is silent


async def test_a_stranger_is_told_who_to_ask(teams, sessions):
    await teams.say("mine", "stranger")
    [reply] = teams.connector.of("reply")
    assert "know you" in reply.text


async def test_not_an_activity_is_400_and_wrong_type_415(teams):
    response = await teams.client.post("/api/messages", data="{not json", headers={"Content-Type": "application/json"})
    assert response.status == 400
    response = await teams.client.post("/api/messages", json={"hello": "world"})
    assert response.status == 400
    response = await teams.client.post("/api/messages", data="text", headers={"Content-Type": "text/plain"})
    assert response.status == 415


async def test_nul_and_lone_surrogates_are_dropped_from_what_teams_sends(teams, sessions):
    """A NUL (PostgreSQL refuses it) or a lone surrogate (JSON "\\ud800"; no driver encodes it) in what a person
    typed never reaches a query: bot.model.Interaction drops them (tests/robustness/test_unstorable)."""
    activity = teams.message("confidence 1 7 vendor\x00 signed\ud800")
    response = await teams.post(activity)
    assert response.status in (200, 201), await response.text()
    [reply] = teams.connector.of("reply")
    assert "something went wrong" not in reply.text.lower() and "7" in reply.text
    with sessions() as s:
        assert s.scalar(select(CheckIn.note).where(CheckIn.source != "import")) == "vendor signed"


async def test_a_removed_key_result_is_refused_with_when_and_why(teams, sessions, org_id):
    """A key result removed by an honest change: a check-in on it by its code is refused kindly, nothing stored."""
    removed = Chat(teams.ctx.core, org_id).say("change rd-o1-kr4 remove because the vendor dropped the product",
                                               actor="director.rd@example.com")
    assert "rd-o1-kr4: removed" in card_text(removed)
    await teams.say("progress rd-o1-kr4 55")
    [reply] = teams.connector.of("reply")
    assert "rd-o1-kr4" in reply.text and "was removed from its objective on" in reply.text, reply.text
    assert "the vendor dropped the product" in reply.text
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(CheckIn).where(CheckIn.source == "teams")) == 0
