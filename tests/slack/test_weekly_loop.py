"""The weekly loop's commands (#13) through the real /slack/events route: mission, ..."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import Organization, Priority
from tests.slack.conftest import ENGINEER

MISSION = "We make fresh food affordable in city retail, so every family eats well"


def _mission(sessions) -> str | None:
    with sessions() as s:
        return s.scalar(select(Organization.mission))


async def test_a_company_lead_sets_the_mission_and_anyone_reads_it(slack, sessions, fake_slack):
    fake_slack.add_user("U0CEO", "ceo@example.com", "Chen Hao")
    status, body = await slack.command("mission")
    assert status == 200 and "There is no mission statement yet" in body["text"]

    status, body = await slack.command(f"mission {MISSION}", user=ENGINEER)
    assert "Only the leads of JD Retail can do that (Chen Hao)" in body["text"]
    assert _mission(sessions) is None

    status, body = await slack.command("mission We sell coffee in Shanghai", user="U0CEO")
    assert "lacks one of the method's three parts" in body["text"] and "Nothing was saved" in body["text"]
    assert _mission(sessions) is None

    status, body = await slack.command(f"mission {MISSION}", user="U0CEO")
    assert body["response_type"] == "in_channel" and "The mission statement is saved" in body["text"]
    assert _mission(sessions) == MISSION
    status, body = await slack.command("mission")
    assert MISSION in str(body["blocks"])


async def test_priorities_name_their_key_result_by_command_and_in_the_modal(slack, sessions, fake_slack):
    from storage.models import KeyResult, Priority
    from tests.slack.conftest import RD_CHANNEL

    status, body = await slack.command("priority add P1 rd-o1-kr3 Ship the vendor API", channel=RD_CHANNEL)
    assert status == 200 and "Ship the vendor API" in body["text"]
    await slack.command("priorities", channel=RD_CHANNEL)
    view = (await fake_slack.wait_for("views.open"))[0].body["view"]  # late on a loaded host: after the ack
    select_ = next(b for b in view["blocks"] if b.get("block_id") == "kr:1")["element"]
    assert select_["type"] == "static_select" and select_["initial_option"]["value"] == "rd-o1-kr3"
    assert select_["options"][-1]["value"] == "none"
    status, body = await slack.submit(view, {"text:1": "Write the runbook", "kr:1": "none"})
    assert status == 200 and not body
    with sessions() as s:
        rows = dict(s.execute(select(Priority.text, KeyResult.key)
                              .outerjoin(KeyResult, KeyResult.id == Priority.key_result_id)).all())
    assert rows == {"Ship the vendor API": "rd-o1-kr3", "Write the runbook": None}


async def test_help_needed_names_a_slack_mention_who_answers_with_a_button(slack, sessions, fake_slack, app_ctx,
                                                                          clock):
    import json

    from bot.rituals.sweep import sweep
    from storage.models import WeekNote

    fake_slack.add_user("U0DIRECTOR", "director.rd@example.com", "Zhao Lei")
    await slack.command("help", user="U0DIRECTOR")  # links the lead's Slack account
    status, body = await slack.command("help-needed Review the vendor contract <@U0DIRECTOR|zhao.lei>")
    assert status == 200 and "I will ask Zhao Lei to help with: Review the vendor contract" in body["text"]
    status, body = await slack.command("risk The vendor may miss the freeze")
    assert "Risk noted for R&amp;D Efficiency" in body["text"]  # Slack's mrkdwn escapes "&"
    await sweep(app_ctx, clock.now())
    await sweep(app_ctx, clock.now())
    asked = [b for b in fake_slack.bodies("chat.postMessage") if "help_answer" in json.dumps(b)]
    assert len(asked) == 1 and "Zhou Qiang of R&amp;D Efficiency needs help" in json.dumps(asked[0])
    with sessions() as s:
        note_id = s.scalar(select(WeekNote.id).where(WeekNote.kind == "help"))
    status, _ = await slack.click("help_answer", f"{note_id}:no", user="U0DIRECTOR")
    assert status == 200
    told = await fake_slack.wait_for("response_url")
    assert "Zhou Qiang will hear that you can't help" in json.dumps([c.body for c in told])
    await sweep(app_ctx, clock.now())
    answers = [b for b in fake_slack.bodies("chat.postMessage") if "can't help with" in json.dumps(b)]
    assert len(answers) == 1 and "Zhao Lei can't help with: Review the vendor contract" in json.dumps(answers[0])


async def test_why_modal_and_the_leads_next_week_on_slack(slack, sessions, fake_slack):
    import json

    await slack.command("priority add P1 none Ship the vendor API")
    with sessions() as s:
        priority_id = s.scalar(select(Priority.id))
    status, _ = await slack.click("why_open", str(priority_id), channel=None)
    assert status == 200
    view = fake_slack.bodies("views.open")[-1]["view"]
    assert view["callback_id"] == "why" and "Ship the vendor API" in json.dumps(view)
    status, body = await slack.submit(view, {"why": "The vendor was away"})
    assert status == 200
    with sessions() as s:
        assert s.get(Priority, priority_id).why == "The vendor was away"
    fake_slack.add_user("U0DIRECTOR", "director.rd@example.com", "Zhao Lei")
    status, body = await slack.command("next P1 none Ship it for real", user="U0DIRECTOR")
    assert "Next week's top priorities of R&amp;D Efficiency" in body["text"]


async def test_an_early_warning_reaches_the_lead_who_writes_a_plan_on_slack(slack, sessions, fake_slack, app_ctx,
                                                                            clock):
    import json

    from bot.rituals.sweep import sweep
    from storage.models import EarlyWarning

    fake_slack.add_user("U0DIRECTOR", "director.rd@example.com", "Zhao Lei")
    await slack.command("help", user="U0DIRECTOR")
    await slack.command("health On-call load red three pages a night")
    await sweep(app_ctx, clock.now())
    await sweep(app_ctx, clock.now())
    warned = [b for b in fake_slack.bodies("chat.postMessage") if "plan_open" in json.dumps(b)]
    assert len(warned) == 1 and "On-call load" in json.dumps(warned[0]) and warned[0]["channel"] == "D0DIRECTOR"
    with sessions() as s:
        warning_id = s.scalar(select(EarlyWarning.id))
    await slack.click("plan_open", str(warning_id), user="U0DIRECTOR", channel=None)
    view = fake_slack.bodies("views.open")[-1]["view"]
    status, _ = await slack.submit(view, {"plan": "Hire a night contractor"}, user="U0DIRECTOR")
    assert status == 200
    with sessions() as s:
        assert s.scalar(select(EarlyWarning.plan)) == "Hire a night contractor"


async def test_a_plan_that_needs_someone_tells_them_on_slack(slack, fake_slack, app_ctx, clock):
    import json

    from bot.rituals.sweep import sweep

    fake_slack.add_user("U0DIRECTOR", "director.rd@example.com", "Zhao Lei")
    await slack.command("help", user="U0DIRECTOR")
    status, body = await slack.command("plan Migrate the test farm needs <@U0DIRECTOR>")
    assert "Zhao Lei will be told" in body["text"]
    await sweep(app_ctx, clock.now())
    told = [b for b in fake_slack.bodies("chat.postMessage") if "Migrate the test farm" in json.dumps(b)]
    assert len(told) == 1 and told[0]["channel"] == "D0DIRECTOR"


async def test_away_with_a_delegate_who_checks_in_on_slack(slack, sessions, fake_slack):
    from storage.models import AwayPeriod, CheckIn, Person

    fake_slack.add_user("U0HRLEAD", "hr.lead@example.com", "Sun Mei")
    fake_slack.add_user("U0STRANGER", "bob@elsewhere.example", "Bob")
    await slack.command("help", user="U0HRLEAD")  # links Sun Mei's Slack account
    status, body = await slack.command("away 2026-12-21..2027-01-04 delegate <@U0STRANGER|bob>")
    assert status == 200 and "is not one of the people of this organization" in body["text"]
    status, body = await slack.command("away 2026-11-18..2026-11-27 delegate <@U0ENGINEER|zhou>")
    assert "You cannot be your own delegate" in body["text"]
    with sessions() as s:
        assert s.scalars(select(AwayPeriod)).all() == []
    status, body = await slack.command("away 2026-11-18..2026-11-27 delegate <@U0HRLEAD|sun.mei>")
    assert status == 200 and "Sun Mei may check in on your key results meanwhile" in body["text"]
    status, body = await slack.command("confidence rd-o1-kr3 6 covering for Zhou", user="U0HRLEAD")
    assert status == 200 and "belongs to" not in body["text"], body
    with sessions() as s:
        entered = s.scalar(select(Person.email).join(CheckIn, CheckIn.person_id == Person.id)
                           .where(CheckIn.source == "slack"))
    assert entered == "hr.lead@example.com"
    status, body = await slack.command("okrs rd-efficiency", user="U0HRLEAD")
    assert "Zhou Qiang, away until 2026-11-27" in str(body["blocks"])


async def test_a_channel_subscribes_and_gets_the_report_once_a_week_on_slack(slack, fake_slack, app_ctx, clock):
    import json
    from datetime import timedelta

    from bot.rituals.sweep import sweep
    from tests.rituals.conftest import MONDAY_0900

    status, body = await slack.command("subscribe rd-efficiency", channel="C0GENERAL")
    assert status == 200 and "This channel is now subscribed to *R&amp;D Efficiency*" in body["text"]
    await slack.command("subscribe rd-efficiency", channel="C0GENERAL")  # twice: one subscription
    status, body = await slack.command("subscribe", channel="C0GENERAL")
    assert "(`rd-efficiency`)" in body["text"]
    for minutes in (0, 1):
        clock.set(MONDAY_0900 + timedelta(days=4, hours=9, minutes=30 + minutes))  # Friday 18:30 in Shanghai
        await sweep(app_ctx, clock.now())
    posted = [b for b in fake_slack.bodies("chat.postMessage") if b["channel"] == "C0GENERAL"]
    assert len(posted) == 1 and "Weekly status report" in json.dumps(posted[0]), posted
    status, body = await slack.command("unsubscribe rd-efficiency", channel="C0GENERAL")
    assert "no longer gets the weekly report" in body["text"]


async def test_the_leads_top_three_form_on_slack(slack, sessions, fake_slack):
    fake_slack.add_user("U0DIRECTOR", "director.rd@example.com", "Zhao Lei")
    await slack.command("priority add P1 rd-o1-kr3 Ship the vendor API")
    status, _ = await slack.command("next", user="U0DIRECTOR")
    assert status == 200
    view = (await fake_slack.wait_for("views.open"))[-1].body["view"]
    assert view["callback_id"] == "next" and "P1 rd-o1-kr3 Ship the vendor API" in str(view)
    status, body = await slack.submit(view, {"line:1": "P1 rd-o1-kr3 Ship the vendor API to all",
                                             "line:2": "P2 Write the runbook"}, user="U0DIRECTOR")
    assert status == 200
    with sessions() as s:
        rows = s.execute(select(Priority.level, Priority.text).where(Priority.week == "2026-W48")).all()
    assert sorted(rows) == [("P1", "Ship the vendor API to all"), ("P2", "Write the runbook")]
