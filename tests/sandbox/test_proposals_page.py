"""The organizers' proposals page (#12 item 1): every proposal of the cycle being planned with its votes; the
company's leads shortlist and merge duplicates on it through the same core as chat; anyone else reads it
without the controls and a forged merge is refused kindly, over the real app on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import Proposal
from tests.rituals.test_proposals import CEO, ENGINEER, HR, VP, plan_q1
from tests.sandbox.conftest import sign_in_as, visible_text


def proposals(sessions) -> list[tuple[str, bool, bool]]:
    with sessions() as s:
        return [(p.text, p.shortlisted, p.merged_into_id is not None) for p in s.scalars(select(Proposal)
                                                                                          .order_by(Proposal.id))]


async def test_organizers_shortlist_and_merge_on_the_dashboard(client, chat, sessions, org_id):
    assert "No cycle is being planned now" in visible_text(await (await client.get("/proposals")).text())
    plan_q1(sessions, org_id)
    for who, text in ((ENGINEER, "Double the merchants"), (HR, "Hire senior engineers"),
                      (VP, "Twice the merchants")):
        chat.say(f"propose {text}", actor=who)
    chat.say("vote 3", actor=HR)

    await sign_in_as(client, sessions, ENGINEER)  # anyone reads; no controls
    html = await (await client.get("/proposals")).text()
    text = visible_text(html)
    assert "Proposals for 2027-Q1" in text and "3 Twice the merchants Wang Fang 1" in text, text
    assert "Shortlist #1" not in text and "Merge a duplicate" not in text
    refused = await client.post("/proposals/merge", data={"duplicate": "3", "kept": "1"})
    assert "Only the leads of" in visible_text(await refused.text())
    assert proposals(sessions) == [("Double the merchants", False, False), ("Hire senior engineers", False, False),
                                   ("Twice the merchants", False, False)]

    await sign_in_as(client, sessions, CEO)
    html = await (await client.get("/proposals")).text()
    assert "Shortlist #2" in visible_text(html) and "Merge a duplicate" in visible_text(html)
    with sessions() as s:
        second = s.scalar(select(Proposal.id).where(Proposal.text == "Hire senior engineers"))
    shortlisted = await client.post("/act?back=/proposals", data={"action_id": "proposal_shortlist",
                                                                  "value": str(second), "message_id": ""})
    assert shortlisted.status == 200 and "On the shortlist now: #2." in visible_text(await shortlisted.text())
    merged = await client.post("/proposals/merge", data={"duplicate": "3", "kept": "1"})
    assert "#3 is merged into #1" in visible_text(await merged.text())
    again = await client.post("/proposals/merge", data={"duplicate": "3", "kept": "1"})
    assert "#3" in visible_text(await again.text())  # already merged: said kindly, nothing changes
    nonsense = await client.post("/proposals/merge", data={"duplicate": "<b>x</b>", "kept": "9"})
    assert nonsense.status == 200 and "<b>x" not in await nonsense.text()
    assert proposals(sessions) == [("Double the merchants", False, False), ("Hire senior engineers", True, False),
                                   ("Twice the merchants", False, True)]
    text = visible_text(await (await client.get("/proposals?lang=es")).text())
    assert "fusionada con #1" in text or "#1" in text
