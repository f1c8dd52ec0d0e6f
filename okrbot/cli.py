"""`okrbot`: the command line. Every subcommand has --help; configuration comes from the environment."""

from __future__ import annotations

import argparse
import errno
import importlib
import logging
import os
import sys
from pathlib import Path

from sqlalchemy.exc import DBAPIError

from bot import i18n
from bot.render import render_macro
from okrbot.settings import ConfigurationError, Settings

LANGUAGE = "OKRBOT_LANGUAGE"  # what the command line speaks (README: Languages); English when unset


def say(name: str, /, **values: object) -> str:
    """One message of prompts/cli.j2 in the language being spoken: what the command line tells the administrator."""
    return render_macro("cli", name, **values)


def helped(command: str, part: str = "") -> str:
    """The help of `command` (a macro of prompts/cli_help.j2) or of its action or option `part`."""
    return render_macro("cli_help", command.replace("-", "_"), part=part)


def _context(args: argparse.Namespace, migrate: bool | None = None):
    from okrbot.app import build_context

    return build_context(Settings.from_env(), migrate=migrate)


def cmd_serve(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    if settings.web_concurrency > 1:
        from okrbot.workers import serve_workers

        return serve_workers(settings)
    return run_server(settings, _context(args))


def run_server(settings: Settings, ctx, reuse_port: bool = False, announce: bool = True) -> int:
    """Serve until stopped; `reuse_port`: one of several workers on the port (okrbot.workers)."""
    from aiohttp import web

    from adapters.web.access import open_locally
    from okrbot.server import build_app

    app = build_app(ctx)

    def serving(_aiohttp_banner: str) -> None:
        """Called once the port is bound, so the address is only announced when it really answers."""
        if not announce:  # a worker (okrbot.workers): its parent announced the address
            logging.getLogger("okrbot.workers").info("worker listening on %s:%s", settings.host, settings.port)
            return
        print(say("serving", url=settings.base_url), flush=True)
        if settings.sandbox_enabled:
            print(say("sandbox", url=settings.base_url), flush=True)
        if not open_locally(settings.web_config()):
            print(say("sign_in_hint" if settings.secret_key else "no_key_hint"), flush=True)

    try:
        # access_log=None: okrbot.observe logs one line per request, with its request id
        web.run_app(app, host=settings.host, port=settings.port, print=serving, access_log=None,
                    reuse_port=reuse_port or None)
    except OSError as exc:
        if exc.errno not in (errno.EADDRINUSE, errno.EACCES, errno.EADDRNOTAVAIL):
            raise
        problem = {errno.EADDRINUSE: "port_in_use", errno.EACCES: "port_forbidden",
                   errno.EADDRNOTAVAIL: "host_unknown"}[exc.errno]
        print(say(problem, address=f"{settings.host}:{settings.port}", port=settings.port + 1), file=sys.stderr)
        return 1
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from storage.db import make_engine
    from storage.migrate import upgrade

    settings = Settings.from_env()
    upgrade(make_engine(settings.database_url))
    print(say("database_upgraded"))
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from bot.importer import ImportFailed, import_text, too_big
    from bot.safeyaml import MAX_BYTES
    from storage.db import refresh_statistics, transaction

    ctx = _context(args)
    path = Path(args.file)
    try:
        if path.is_file() and (size := path.stat().st_size) > MAX_BYTES:  # refused before reading it all
            raise ImportFailed([too_big(size)])
        text = path.read_text(encoding="utf-8")
        with transaction(ctx.sessions) as session:
            result = import_text(session, text, ctx.clock.now(), args.org, args.reason)
    except OSError as exc:
        print(say("cannot_read", path=path, reason=exc.strerror), file=sys.stderr)
        return 2
    except ImportFailed as failed:
        if len(failed.errors) == 1:
            print(say("not_imported", path=path, error=failed.errors[0]), file=sys.stderr)
        else:
            print(say("not_imported_many", path=path), file=sys.stderr)
            for error in failed.errors:
                print(f"  {error}", file=sys.stderr)
        return 1
    refresh_statistics(ctx.engine)
    print(say("imported", path=path, organization=result.organization_id, counts_=result.counts))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="okrbot", description=helped("okrbot", "(about)")
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("serve", help=helped("serve"))
    p.set_defaults(func=cmd_serve)

    db = sub.add_parser("db", help=helped("db"))
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    p = db_sub.add_parser("upgrade", help=helped("db", "upgrade"))
    p.set_defaults(func=cmd_db_upgrade)

    p = sub.add_parser("import", help=helped("import_"))
    p.add_argument("file", help=helped("import_", "file"))
    p.add_argument("--org", type=int, metavar="ID",
                   help=helped("import_", "--org"))
    p.add_argument("--reason", help=helped("import_", "--reason"))
    p.set_defaults(func=cmd_import)

    for module in EXTENSIONS:
        importlib.import_module(module).register(sub)
    return parser


# Modules that add subcommand groups, each with register(subparsers): one module, one job.
EXTENSIONS = [
    "okrbot.cli_data",  # export, demo-data, report, lint, align
    "okrbot.cli_rituals",  # clock, ritual run, ritual status
    "okrbot.cli_manifest",  # manifest slack, manifest teams
    "okrbot.cli_signin",  # signin-link
    "okrbot.cli_api",  # token create/list/revoke, connector test
    "okrbot.cli_cycles",  # cycle new, cycle status, cycle close
]


def main(argv: list[str] | None = None) -> int:
    from okrbot import logs

    settings = Settings.from_env()
    logs.configure(settings.log_level, settings.log_format)
    with i18n.speaking(os.environ.get(LANGUAGE)):  # known before parsing, so --help speaks it too
        return _run(build_parser().parse_args(argv))


def _run(args: argparse.Namespace) -> int:
    try:
        code = int(args.func(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, inside the handler below, not at interpreter exit
        return code
    except BrokenPipeError:
        return _reader_went_away()
    except ConfigurationError as exc:
        print(say("command_failed", command=args.command, problem=exc), file=sys.stderr)
        return 2
    except DBAPIError as exc:
        # An admin's first PostgreSQL run is often before `okrbot db upgrade` (SQLite migrates itself), or
        # against a server that is not there: say which, not a page of SQL.
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        print(say("database_failed", command=args.command, reason=reason), file=sys.stderr)
        if exc.statement is not None:  # connected, and a statement failed
            print(say("database_hint"), file=sys.stderr)
        return 2


def _reader_went_away() -> int:
    """`okrbot manifest slack | head`: the reader closed the pipe early, which is not an error worth a
    traceback. Python's documented way: point stdout at devnull so the final flush at exit cannot fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return 1


if __name__ == "__main__":
    sys.exit(main())
