"""`okrbot token create|list|revoke`: the REST API's per-organization tokens (bot.api.tokens); and
`okrbot connector test KR`: read a key result's connector now and print what it read (bot.connectors).

The secret is printed once, by `create`; only its SHA-256 is stored, so a lost token is revoked and a new
one created, never shown again.
"""

from __future__ import annotations

import argparse
import sys

from okrbot.cli import helped, say
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
        print(say("command_failed", command=f"token {args.token_command}", problem=refused), file=sys.stderr)
        return 1
    print(secret)
    print(say("token_created", id=token_id, scope=args.scope, organization=args.org, name=repr(args.name.strip())),
          file=sys.stderr)
    return 0


def cmd_token_list(args: argparse.Namespace) -> int:
    from bot.api.tokens import list_tokens

    ctx = _context()
    with ctx.sessions() as session:
        rows = list_tokens(session)
    if not rows:
        print(say("no_tokens"))
        return 0
    print(say("token_header"))
    for token, org_name in rows:
        state = say("token_revoked_at", when=f"{token.revoked_at:%Y-%m-%d %H:%M}") if token.revoked_at \
            else say("token_active")
        used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else say("never_used")
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
        print(say("command_failed", command=f"token {args.token_command}", problem=refused), file=sys.stderr)
        return 1
    print(say("token_revoked", id=args.id, name=name))
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
            print(say("command_failed", command=f"connector {args.connector_command}", problem=failed),
                  file=sys.stderr)
            return 1
        row = session.execute(select(KeyResult.key, Connector).join(Connector, Connector.key_result_id == KeyResult.id)
                              .where(KeyResult.org_id == org.id, func.lower(KeyResult.key) == args.kr.lower())).first()
        if row is None:
            print(say("command_failed", command=f"connector {args.connector_command}",
                      problem=say("no_source", organization=org.name, kr=repr(args.kr))), file=sys.stderr)
            return 1
        code, connector = row
        source = from_row(connector.kind, connector.spec, connector.schedule)
        failures, last_error = connector.failures, connector.last_error

    async def read() -> float:
        async with aiohttp.ClientSession() as http:
            return await read_value(source, os.environ, http)

    print(say("source_line", code=code, source=source.describe(), schedule=source.schedule, failures=failures,
              error=last_error), file=sys.stderr)
    try:
        value = asyncio.run(read())
    except ConnectorError as error:
        print(say("source_failed", code=code, problem=error.message), file=sys.stderr)
        return 1
    print(say("source_read", code=code, value=f"{value:g}"))
    return 0


def register(sub) -> None:
    token = sub.add_parser("token", help=helped("token"),
                           description=helped("token", "(about)"))
    actions = token.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    p = actions.add_parser("create", help=helped("token", "create"))
    p.add_argument("--org", type=int, required=True, metavar="ID", help=helped("token", "create --org"))
    p.add_argument("--name", required=True, help=helped("token", "create --name"))
    p.add_argument("--scope", choices=("read", "write"), default="read",
                   help=helped("token", "create --scope"))
    p.set_defaults(func=cmd_token_create)
    p = actions.add_parser("list", help=helped("token", "list"))
    p.set_defaults(func=cmd_token_list)
    p = actions.add_parser("revoke", help=helped("token", "revoke"))
    p.add_argument("id", type=int, help=helped("token", "revoke id"))
    p.set_defaults(func=cmd_token_revoke)

    connector = sub.add_parser("connector", help=helped("connector"),
                               description=helped("connector", "(about)"))
    actions = connector.add_subparsers(dest="connector_command", required=True, metavar="ACTION")
    p = actions.add_parser("test", help=helped("connector", "test"))
    p.add_argument("kr", metavar="KR", help=helped("connector", "test kr"))
    p.add_argument("--org", type=int, metavar="ID", help=helped("connector", "test --org"))
    p.set_defaults(func=cmd_connector_test)
