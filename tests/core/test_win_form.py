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
    assert reply.form.metadata == str(team_id)
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
