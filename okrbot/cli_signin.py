"""`okrbot signin-link EMAIL`: a way into the dashboard and sandbox of a server nobody can open locally.

Served on HOST=0.0.0.0 (Docker, a remote box) or behind a PUBLIC_URL, every page needs a session;
chat hands out sign-in links with `/okr dashboard`, and this command does the same from the server's
shell, for an admin or before any chat platform is connected. The link is signed with SECRET_KEY, so
the command and the server must share it.
"""

from __future__ import annotations

import argparse
import sys

from sqlalchemy import func, select

from okrbot.cli import helped, say
from okrbot.settings import Settings

WILDCARD_HOSTS = ("0.0.0.0", "::", "")


def register(sub) -> None:
    p = sub.add_parser("signin-link", help=helped("signin-link"),
                       description=helped("signin-link", "(about)"))
    p.add_argument("email", help=helped("signin-link", "email"))
    p.add_argument("--org", type=int, metavar="ID", help=helped("signin-link", "--org"))
    p.set_defaults(func=cmd_signin_link)


def base_url(settings: Settings) -> str:
    """Where a browser reaches the server: PUBLIC_URL, else HOST:PORT (a wildcard HOST is this machine)."""
    if settings.public_url:
        return settings.public_url
    host = "localhost" if settings.host in WILDCARD_HOSTS else settings.host
    return f"http://{host}:{settings.port}"


def cmd_signin_link(args: argparse.Namespace) -> int:
    from bot.signin import link_token
    from okrbot.app import build_context
    from storage.models import Organization, Person

    settings = Settings.from_env()
    if not settings.secret_key:
        print(say("signin_needs_key"), file=sys.stderr)
        return 2
    ctx = build_context(settings)
    with ctx.sessions() as session:
        query = select(Person, Organization.name).join(Organization, Organization.id == Person.org_id).where(
            func.lower(Person.email) == args.email.strip().lower())
        if args.org is not None:
            query = query.where(Person.org_id == args.org)
        found = session.execute(query.order_by(Person.org_id)).all()
    if not found:
        print(say("signin_nobody", email=args.email, organization=args.org), file=sys.stderr)
        return 1
    if len(found) > 1:
        orgs = [f"{p.org_id} ({name})" for p, name in found]
        print(say("signin_several", email=args.email, organizations=orgs), file=sys.stderr)
        return 1
    person, org_name = found[0]
    token = link_token(settings.secret_key, person.org_id, person.id, ctx.clock.now())
    print(f"{base_url(settings)}/signin?t={token}")
    print(say("signin_link_for", person=person.name, organization=org_name), file=sys.stderr)
    if not settings.public_url and settings.host in WILDCARD_HOSTS:
        print(say("signin_elsewhere"), file=sys.stderr)
    return 0
