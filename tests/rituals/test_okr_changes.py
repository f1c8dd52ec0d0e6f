"""Changing a running cycle's OKRs honestly (bot.changes), on SQLite and PostgreSQL: `/okr change` needs a
reason, keeps the history, is announced once in the owning team's channel by the clock, shows on the key
result's page with the original target; `okrbot import` of such changes needs `--reason`."""

from __future__ import annotations

import json

import yaml
from sqlalchemy import select

from bot.rituals.sweep import sweep
from storage.models import KeyResult, Objective, OkrChange
from tests.cli.helpers import okrbot
from tests.conftest import EXAMPLE, card_text
from tests.rituals.conftest import runs_of, sandbox_messages
from tests.sandbox.conftest import make_client, visible_text

LEAD = "director.rd@example.com"  # leads rd-efficiency, owns rd-o1-kr1
ENGINEER = "engineer@example.com"  # owns rd-o1-kr3, leads nothing


def changes_of(sessions) -> list[OkrChange]:
    with sessions() as s:
        return list(s.scalars(select(OkrChange).order_by(OkrChange.id)))


def kr(sessions, code: str) -> KeyResult:
    with sessions() as s:
        return s.scalar(select(KeyResult).where(KeyResult.key == code))


async def test_a_change_needs_a_reason_is_kept_and_announced_once(chat, sessions, app_ctx, clock, deliverer,
                                                                  database_url):
    refused = card_text(chat.say("change rd-o1-kr1 target 90", actor=LEAD))
    assert "needs a reason" in refused and "because" in refused, refused
    refused = card_text(chat.say("change rd-o1-kr1 owner bob because reasons", actor=LEAD))
    assert "`owner` is not something a change can set" in refused, refused
    refused = card_text(chat.say("change rd-o1-kr1 target 90 because I want to", actor=ENGINEER))
    assert "Only the leads of R&D Efficiency (Zhao Lei) and the key result's owner" in refused, refused
    refused = card_text(chat.say("change rd-o1-kr1 target 85 because nothing", actor=LEAD))
    assert "already 85; nothing changed" in refused, refused
    assert changes_of(sessions) == [] and kr(sessions, "rd-o1-kr1").target_value == 85

    done = card_text(chat.say("change rd-o1-kr1 target 90 because the vendor doubled the scope", actor=LEAD))
    assert "Changed rd-o1-kr1: target 85 → 90, because _the vendor doubled the scope_" in done, done
    assert "against the original target, 85" in done
    assert card_text(chat.say("change rd-o1-kr3 unit workdays because we count workdays now", actor=ENGINEER))
    again = card_text(chat.say("change rd-o1-kr1 target 95 because the board asked", actor=LEAD))
    assert "original target, 85" in again, again  # the first target, not the one before this change
    rows = changes_of(sessions)
    assert [(r.subject, r.field, r.old, r.new, r.source) for r in rows] == [
        ("rd-o1-kr1", "target", "85", "90", "sandbox"), ("rd-o1-kr3", "unit", "days", "workdays", "sandbox"),
        ("rd-o1-kr1", "target", "90", "95", "sandbox")]
    assert kr(sessions, "rd-o1-kr1").target_value == 95 and kr(sessions, "rd-o1-kr3").unit == "workdays"

    # The clock posts each batch once in the team's channel, however often it sweeps.
    for _ in range(2):
        await sweep(app_ctx, clock.now(), deliverer=deliverer)
        clock.advance(minutes=1)
    announced = [r for r in runs_of(sessions, "change")]
    assert [(r.period, r.state, r.channel_id) for r in announced] == [
        (rows[0].batch, "posted", "rd-efficiency"), (rows[1].batch, "posted", "rd-efficiency"),
        (rows[2].batch, "posted", "rd-efficiency")]
    posted = [json.dumps(m.card, ensure_ascii=False) for m in sandbox_messages(sessions, "rd-efficiency")
              if "OKRs changed" in json.dumps(m.card, ensure_ascii=False)]
    assert len(posted) == 3
    assert "rd-o1-kr1: target 85 → 90" in posted[0] and "the vendor doubled the scope" in posted[0]

    ctx, client = make_client(database_url, clock, sandbox=True)
    await client.start_server()
    try:
        with sessions() as s:
            org_id = s.scalar(select(Objective.org_id).limit(1))
        page = visible_text(await (await client.get(f"/kr/rd-o1-kr1?org={org_id}")).text())
    finally:
        await client.close()
        ctx.engine.dispose()
    assert "scored against its original target, 85" in page
    assert "Changed after it was set (2" in page and "target 85 → 90 the vendor doubled the scope sandbox" in page


def test_an_import_changing_a_running_cycle_needs_a_reason(monkeypatch, capsys, database_url, tmp_path, sessions,
                                                           org_id):
    data = yaml.safe_load(EXAMPLE.read_text())
    rd = next(o for o in data["objectives"] if o["key"] == "rd-o1")
    rd["key_results"][0]["target"] = 88
    rd["key_results"].append({"key": "rd-o1-kr5", "title": "Release train on time", "target": 12})
    changed = tmp_path / "changed.yaml"
    changed.write_text(yaml.safe_dump(data, sort_keys=False))
    code, _, err = okrbot(monkeypatch, capsys, database_url, "import", str(changed))
    assert code == 1, err
    assert "changes 2 things in the OKRs of a running cycle" in err and '--reason "WHY"' in err
    assert "rd-o1-kr1: target 85 → 88" in err and "rd-o1-kr5: added (Release train on time)" in err
    assert kr(sessions, "rd-o1-kr1").target_value == 85 and kr(sessions, "rd-o1-kr5") is None

    code, out, err = okrbot(monkeypatch, capsys, database_url, "import", str(changed), "--reason", "board decision")
    assert code == 0, err
    rows = changes_of(sessions)
    assert [(r.subject, r.field, r.reason, r.source, r.person_id) for r in rows] == [
        ("rd-o1-kr1", "target", "board decision", "import", None),
        ("rd-o1-kr5", "added", "board decision", "import", None)]
    assert rows[1].key_result_id == kr(sessions, "rd-o1-kr5").id and rows[0].batch == rows[1].batch
    assert [r.period for r in runs_of(sessions, "change")] == [rows[0].batch]  # one announcement for the team
    # The same file again changes nothing, so it needs no reason.
    assert okrbot(monkeypatch, capsys, database_url, "import", str(changed))[0] == 0
