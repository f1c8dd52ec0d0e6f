"""`source KR …`: a key result's owner gives it a pull connector in chat, in the import file's own words.

    /okr source rd-o1-kr3 {kind: http, url: https://…, pointer: /total, headers: {Authorization: JIRA_AUTH}}
    /okr source rd-o1-kr3            shows the source and its last run
    /okr source rd-o1-kr3 off        stops pulling

Only the owner sets it (the value then comes from there every day); secrets stay in the server's
environment, named, never typed into a chat.
"""

from __future__ import annotations

import re

from bot import commands as c
from bot.connectors.spec import from_row, parse_source, set_source
from bot.context import Ctx
from bot.errors import Refusal
from bot.handlers import command
from bot.importer import ImportFailed, load
from bot.model import Card, Reply, Text
from bot.render import render
from bot.services.keyresults import find_key_result, refuse_removed
from storage.models import Connector

# Slack hands links in command text over as <https://…> or <https://…|label>: the address is what was typed.
SLACK_LINK = re.compile(r"<(https?://[^|>\s]+)(?:\|[^>]*)?>")


def _reply(text: str) -> Reply:
    return Reply(card=Card(None, (Text(text),), fallback=text))


@command(c.SourceSet)
def source(ctx: Ctx, cmd: c.SourceSet) -> Reply:
    kr, _objective = find_key_result(ctx, cmd.kr, "source")
    row = ctx.session.get(Connector, kr.id)
    if cmd.spec is None:
        current = from_row(row.kind, row.spec, row.schedule) if row else None
        return _reply(render("source_show", code=kr.key, what=current.describe() if current else None,
                             schedule=current.schedule if current else None, failures=row.failures if row else 0,
                             error=row.last_error if row else None, value=row.last_value if row else None,
                             prefix=ctx.prefix))
    if kr.owner_person_id != ctx.person.id:
        raise Refusal("source_not_owner", "source", code=kr.key)
    if cmd.spec != "off":
        refuse_removed(kr, "source")
    if cmd.spec == "off":
        set_source(ctx.session, kr.org_id, kr.id, None)
        return _reply(render("source_set", code=kr.key, what=None, schedule=None))
    try:
        raw, _lines = load(SLACK_LINK.sub(r"\1", cmd.spec))
    except ImportFailed as failed:
        raise Refusal("bad_source", "source", problems=str(failed.errors[0])[:300]) from None
    parsed, problems = parse_source(raw)
    if parsed is None:
        raise Refusal("bad_source", "source",
                      problems="; ".join(f"{name + ' ' if name else ''}{problem}" for name, problem in problems)[:600])
    set_source(ctx.session, kr.org_id, kr.id, parsed)
    return _reply(render("source_set", code=kr.key, what=parsed.describe(), schedule=parsed.schedule))
