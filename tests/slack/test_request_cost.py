"""What one signed `/okr confidence` costs through the real route: SQL statements, transactions, connections,
Slack Web API calls, catalogs and templates built. bench/slack_ack.py measures the time; these are the counts
behind it, which no load on the machine changes, so a regression shows here first.

Session 4's ack regression (bench/RESULTS.md, "The Slack ack regression traced"): okrbot's own authorization read
the bot's identity from the database on every request (a process that only sees commands never learns it), a
second transaction per command, on SQLite a BEGIN IMMEDIATE queued on the write lock with the work itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import jinja2
import pytest
from sqlalchemy import event

from adapters.slack.routes import BRIDGE
from bot import i18n, render
from tests.slack.conftest import SlackSender, slack_settings, start_app

# BEGIN IMMEDIATE (SQLite), the inbox look-up, the organization and person, my key results, the team's zone, last
# week's value, the check-in's INSERT and the key result's UPDATE, the inbox claim.
STATEMENTS = {"sqlite": 9, "postgresql": 8}


@dataclass
class Cost:
    statements: list[str] = field(default_factory=list)
    transactions: int = 0
    checkouts: int = 0
    compiled_templates: int = 0


@contextmanager
def counting(engine, monkeypatch) -> Iterator[Cost]:
    cost = Cost()

    def statement(_conn, _cursor, sql: str, *_args) -> None:
        cost.statements.append(" ".join(sql.split()[:3]))

    def begin(_conn) -> None:
        cost.transactions += 1

    def checkout(*_args) -> None:
        cost.checkouts += 1

    compile_template = jinja2.Environment.compile

    def compiled(self, *args, **kwargs):
        cost.compiled_templates += 1
        return compile_template(self, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", compiled)
    listeners = [(engine, "before_cursor_execute", statement), (engine, "begin", begin),
                 (engine.pool, "checkout", checkout)]
    for target, name, listener in listeners:
        event.listen(target, name, listener)
    try:
        yield cost
    finally:
        for target, name, listener in listeners:
            event.remove(target, name, listener)


@pytest.fixture
async def patient(database_url, org_id, clock, fake_slack):
    """The real app with the tests' long ack budget (tests/slack/conftest.py): a command must not take the slow
    path (its record is another transaction, counted in test_slow_core)."""
    ctx, app, client = await start_app(slack_settings(database_url, fake_slack), clock)
    yield ctx, app, SlackSender(client, fake_slack)
    await app[BRIDGE].drain()
    await client.close()
    ctx.engine.dispose()


async def test_a_check_in_costs_one_transaction_and_no_call_to_slack(patient, fake_slack, monkeypatch):
    ctx, app, slack = patient
    for value in (6, 7):  # the account's locale is asked once, after the first answer; templates are compiled
        status, body = await slack.command(f"confidence 1 {value}")
        assert status == 200 and body and body.get("text"), body
    await app[BRIDGE].drain()
    calls = len(fake_slack.calls)
    environments, catalogs = render.environment.cache_info().misses, i18n.translations.cache_info().misses
    requests = 4
    with counting(ctx.engine, monkeypatch) as cost:
        for value in (8, 7, 8, 7)[:requests]:  # steady: a drop of 2 or into red also tells the leads (more work)
            status, body = await slack.command(f"confidence 1 {value} steady")
            assert status == 200 and f"*{value}*/10" in body["text"], body
        await app[BRIDGE].drain()
    assert cost.transactions == requests, cost.statements  # the work's own; nothing read in a transaction beside it
    assert cost.checkouts == requests, cost.statements  # nor outside one
    assert len(cost.statements) == requests * STATEMENTS[ctx.engine.dialect.name], cost.statements
    assert len(fake_slack.calls) == calls, fake_slack.methods()[calls:]  # no users.info, no auth.test per request
    assert cost.compiled_templates == 0  # every template compiled once, by the first requests
    assert render.environment.cache_info().misses == environments  # one Jinja environment
    assert i18n.translations.cache_info().misses == catalogs  # each catalog read once

