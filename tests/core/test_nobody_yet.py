"""A team with no lead yet is said so in the language of the reply ("nobody yet" was English in every one), and
a ritual's next time is dated the language's way ("Mon 2026-11-23" was English in every one)."""

from __future__ import annotations

from sqlalchemy import delete, select, update

from storage.db import transaction
from storage.models import Person, TeamMember


def test_a_team_without_leads_and_its_next_rituals_speak_the_persons_language(chat, sessions):
    with transaction(sessions) as session:
        engineer = session.scalar(select(Person).where(Person.email == "engineer@example.com"))
        teams = session.scalars(select(TeamMember.team_id).where(TeamMember.person_id == engineer.id)).all()
        session.execute(delete(TeamMember).where(TeamMember.team_id.in_(teams), TeamMember.role == "lead"))
        session.execute(update(Person).where(Person.id == engineer.id).values(language="es"))
    text = chat.say("schedule").card.fallback
    assert "nadie todavía" in text, text
    assert "nobody yet" not in text
    assert "lun, 23 nov 2026 09:00 Asia/Shanghai" in text and "Mon 2026" not in text
