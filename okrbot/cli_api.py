"""`okrbot token create|list|revoke`: the REST API's per-organization tokens (bot.api.tokens); and
`okrbot connector test KR`: read a key result's connector now and print what it read (bot.connectors).

The secret is printed once, by `create`; only its SHA-256 is stored, so a lost token is revoked and a new
one created, never shown again.
"""

from __future__ import annotations

import argparse
import sys

from okrbot.settings import Settings


def _context():
    from okrbot.app import build_context

    return build_context(Settings.from_env())


def cmd_token_create(args: argparse.Namespace) -> int:
    from bot.api.tokens import TokenRefused, create_token
    from storage.db import transaction

    ctx = _context()
    try:
        with transaction(ctx.sessions) as session:
            token, secret = create_token(session, args.org, args.name, args.scope, ctx.clock.now())
            token_id = token.id
    except TokenRefused as refused:
        print(f"okrbot token create: {refused}", file=sys.stderr)
        return 1
    print(secret)
    print(f"token {token_id} ({args.scope}) for organization {args.org}, named {args.name.strip()!r}: copy it now, "
          "it is not shown again. Use it as `Authorization: Bearer TOKEN`.", file=sys.stderr)
    return 0


def cmd_token_list(args: argparse.Namespace) -> int:
    from bot.api.tokens import list_tokens

    ctx = _context()
    with ctx.sessions() as session:
        rows = list_tokens(session)
    if not rows:
        print("no API tokens yet; create one with `okrbot token create --org ID --name NAME`")
        return 0
    print("id\torg\tname\tscope\ttoken\tcreated\tlast used\tstate")
    for token, org_name in rows:
        state = f"revoked {token.revoked_at:%Y-%m-%d %H:%M}" if token.revoked_at else "active"
        used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
        print(f"{token.id}\t{token.org_id} {org_name}\t{token.name}\t{token.scope}\t{token.hint}…\t"
              f"{token.created_at:%Y-%m-%d %H:%M}\t{used}\t{state}")
    return 0


def cmd_token_revoke(args: argparse.Namespace) -> int:
    from bot.api.tokens import TokenRefused, revoke_token
    from storage.db import transaction

    ctx = _context()
    try:
        with transaction(ctx.sessions) as session:
            token = revoke_token(session, args.id, ctx.clock.now())
            name = token.name
    except TokenRefused as refused:
        print(f"okrbot token revoke: {refused}", file=sys.stderr)
        return 1
    print(f"token {args.id} ({name}) is revoked: calls with it now get 401")
    return 0


def cmd_connector_test(args: argparse.Namespace) -> int:
    """Read it as the clock would (same environment, same rules) and print the number; nothing is written."""
    import asyncio
    import os

    import aiohttp
    from sqlalchemy import func, select

    from bot.connectors.read import ConnectorError, read_value
    from bot.connectors.spec import from_row
    from bot.exporter import ExportFailed, choose_organization
    from storage.models import Connector, KeyResult

    ctx = _context()
    with ctx.sessions() as session:
        try:
            org = choose_organization(session, args.org)
        except ExportFailed as failed:
            print(f"okrbot connector test: {failed}", file=sys.stderr)
            return 1
        row = session.execute(select(KeyResult.key, Connector).join(Connector, Connector.key_result_id == KeyResult.id)
                              .where(KeyResult.org_id == org.id, func.lower(KeyResult.key) == args.kr.lower())).first()
        if row is None:
            print(f"okrbot connector test: {org.name} has no key result {args.kr!r} with a source; give it one with "
                  "`source:` in the import file or `/okr source KR …`", file=sys.stderr)
            return 1
        code, connector = row
        source = from_row(connector.kind, connector.spec, connector.schedule)
        status = f"; the last run failed {connector.failures} time(s) in a row: {connector.last_error}" \
            if connector.failures else ""

    async def read() -> float:
        async with aiohttp.ClientSession() as http:
            return await read_value(source, os.environ, http)

    print(f"{code}: {source.describe()} (schedule {source.schedule}){status}", file=sys.stderr)
    try:
        value = asyncio.run(read())
    except ConnectorError as error:
        print(f"{code}: failed: {error.message}", file=sys.stderr)
        return 1
    print(f"{code}: read {value:g}")
    return 0


def register(sub) -> None:
    token = sub.add_parser("token", help="REST API tokens: create, list, revoke",
                           description="Tokens for the REST API under /api/v1 (see README, REST API). Each belongs "
                           "to one organization; only its hash is stored.")
    actions = token.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    p = actions.add_parser("create", help="create a token and print it (once)")
    p.add_argument("--org", type=int, required=True, metavar="ID", help="the organization (`okrbot ritual status`)")
    p.add_argument("--name", required=True, help="what will use it, e.g. jira-sync")
    p.add_argument("--scope", choices=("read", "write"), default="read",
                   help="read (default): read key results; write: also post check-ins")
    p.set_defaults(func=cmd_token_create)
    p = actions.add_parser("list", help="list tokens: organization, name, scope, first characters, last use")
    p.set_defaults(func=cmd_token_list)
    p = actions.add_parser("revoke", help="revoke a token by its id (calls with it get 401 from then on)")
    p.add_argument("id", type=int, help="the token's id (`okrbot token list`)")
    p.set_defaults(func=cmd_token_revoke)

    connector = sub.add_parser("connector", help="pull connectors: test one now",
                               description="Key results whose value is pulled from SQL, HTTP or CSV (see README, "
                               "Connectors).")
    actions = connector.add_subparsers(dest="connector_command", required=True, metavar="ACTION")
    p = actions.add_parser("test", help="read a key result's connector now and print the number (writes nothing)")
    p.add_argument("kr", metavar="KR", help="the key result's code")
    p.add_argument("--org", type=int, metavar="ID", help="organization id (needed when there are several)")
    p.set_defaults(func=cmd_connector_test)
