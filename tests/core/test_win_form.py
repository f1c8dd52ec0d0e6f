"""The "Add a win" button opens a form; a submitted win is posted for the team, an empty one is refused."""

from __future__ import annotations

from sqlalchemy import func, select

from storage.models import Team, Win
from tests.conftest import card_text


def _team_id(sessions, key: str) -> int:
    with sessions() as session:
        return session.scalar(select(Team.id).where(Team.key == key))


def test_win_button_opens_a_form_for_the_team_of_the_post(chat, sessions):
    team_id = _team_id(sessions, "rd-efficiency")
    reply = chat.click("win_open", str(team_id))
    assert reply.form is not None and reply.form.form_id == "win"
    assert reply.form.metadata == f"{team_id}:2026-W47"
    assert "R&D Efficiency" in (reply.form.intro or "")


def test_submitted_win_is_stored_once_and_posted_in_the_channel(chat, sessions):
    team_id = _team_id(sessions, "rd-efficiency")
    reply = chat.submit("win", {"text": "Release 2.0 shipped <!here>"}, metadata=str(team_id))
    assert reply.visibility == "channel"
    assert "Release 2.0 shipped" in card_text(reply)
    with sessions() as session:
        wins = session.scalars(select(Win)).all()
        assert [(w.text, w.team_id) for w in wins] == [("Release 2.0 shipped <!here>", team_id)]


def test_empty_or_overlong_win_comes_back_with_a_field_error_and_writes_nothing(chat, sessions):
    team_id = str(_team_id(sessions, "rd-efficiency"))
    for text in ("   ", "x" * 2001):
        reply = chat.submit("win", {"text": text}, metadata=team_id)
        assert reply.errors and "text" in reply.errors, reply
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Win)) == 0


def test_a_win_from_last_weeks_post_counts_for_that_week(chat, sessions):
    team_id = _team_id(sessions, "rd-efficiency")
    chat.submit("win", {"text": "Late but real"}, metadata=f"{team_id}:2026-W46")
    chat.submit("win", {"text": "Not from the future"}, metadata=f"{team_id}:2027-W10")
    with sessions() as session:
        assert sorted(session.execute(select(Win.text, Win.week)).all()) == [
            ("Late but real", "2026-W46"), ("Not from the future", "2026-W47")]


def test_the_friday_post_offers_the_win_form_for_its_own_week(sessions, org_id, clock):
    from bot.model import Actions
    from bot.rituals.content import friday_card

    with sessions() as session:
        team = session.scalar(select(Team).where(Team.key == "rd-efficiency"))
        card = friday_card(session, team, "2026-W47", clock.now())
        buttons = [b for e in card.elements if isinstance(e, Actions) for b in e.buttons]
        assert [(b.action_id, b.value) for b in buttons if b.action_id == "win_open"] == [
            ("win_open", f"{team.id}:2026-W47")]
