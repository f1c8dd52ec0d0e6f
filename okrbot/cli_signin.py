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

from okrbot.settings import Settings

WILDCARD_HOSTS = ("0.0.0.0", "::", "")


def register(sub) -> None:
    p = sub.add_parser("signin-link", help="print a one-time sign-in link for the dashboard and sandbox",
                       description="Print a sign-in link for the person with this email: it opens the dashboard "
                       "and the sandbox as them, works once, within 15 minutes, and signs in for 12 hours. "
                       "Needs the server's SECRET_KEY.")
    p.add_argument("email", help="the person's email, as in the imported organization")
    p.add_argument("--org", type=int, metavar="ID", help="the organization, when the email is in several")
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
        print("okrbot signin-link: set SECRET_KEY to the server's own value: links are signed with it",
              file=sys.stderr)
        return 2
    ctx = build_context(settings)
    with ctx.sessions() as session:
        query = select(Person, Organization.name).join(Organization, Organization.id == Person.org_id).where(
            func.lower(Person.email) == args.email.strip().lower())
        if args.org is not None:
            query = query.where(Person.org_id == args.org)
        found = session.execute(query.order_by(Person.org_id)).all()
    if not found:
        where = f" in organization {args.org}" if args.org is not None else ""
        print(f"okrbot signin-link: nobody has the email {args.email}{where}", file=sys.stderr)
        return 1
    if len(found) > 1:
        orgs = ", ".join(f"{p.org_id} ({name})" for p, name in found)
        print(f"okrbot signin-link: {args.email} is in several organizations: {orgs}; give --org ID",
              file=sys.stderr)
        return 1
    person, org_name = found[0]
    token = link_token(settings.secret_key, person.org_id, person.id, ctx.clock.now())
    print(f"{base_url(settings)}/signin?t={token}")
    print(f"Signs in {person.name} ({org_name}) to the dashboard and sandbox for 12 hours; "
          "the link works once, within 15 minutes.", file=sys.stderr)
    if not settings.public_url and settings.host in WILDCARD_HOSTS:
        print("From another machine, use this server's address instead of localhost (or set PUBLIC_URL).",
              file=sys.stderr)
    return 0
