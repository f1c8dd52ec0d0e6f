"""`/okr language`: which language okrbot speaks to you, and choosing another (the rule is bot.i18n's)."""

from __future__ import annotations

from sqlalchemy import select

from bot import commands as c
from bot import i18n
from bot.context import Ctx
from bot.errors import Refusal
from bot.handlers import command
from bot.model import Card, Reply, Text
from bot.render import render
from storage.models import PlatformAccount

AUTOMATIC = ("auto", "default", "off", "reset")


def _choices() -> str:
    return ", ".join(f"`{tag}` {name}" for tag, name in i18n.languages())


def _platform_locale(ctx: Ctx) -> str | None:
    return ctx.session.scalar(select(PlatformAccount.locale).where(
        PlatformAccount.org_id == ctx.org.id, PlatformAccount.person_id == ctx.person.id,
        PlatformAccount.platform == ctx.platform).limit(1)) or None


@command(c.Language)
def language(ctx: Ctx, cmd: c.Language) -> Reply:
    """Show the language and where it comes from, or choose one; the answer is already in the new language."""
    if cmd.code is not None:
        if cmd.code.lower() in AUTOMATIC:
            ctx.person.language = None
        else:
            chosen = i18n.supported(cmd.code)
            if chosen is None:
                raise Refusal("bad_language", "language", given=cmd.code, choices=_choices())
            ctx.person.language = chosen
        ctx.session.flush()
    locale = _platform_locale(ctx)
    i18n.set_speaking(i18n.choose(ctx.person.language, locale, ctx.org.language))
    reason = ("own" if ctx.person.language else "platform" if i18n.supported(locale)
              else "organization" if i18n.supported(ctx.org.language) else "default")
    text = render("language", changed=cmd.code is not None, language=i18n.current(),
                  name=i18n.name_of(i18n.current()), reason=reason,
                  locale=locale or "", choices=_choices(), prefix=ctx.prefix)
    return Reply(card=Card(None, (Text(text),), fallback=text))
