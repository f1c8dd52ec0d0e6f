"""Human wording lives in prompts/*.j2; this is the one Jinja2 environment over it.

Templates produce text in the card markdown subset, never platform JSON. StrictUndefined turns a
misspelt variable into an error in the golden tests instead of a silent blank in a chat. Every value
a template prints is isolated from bidi controls (`bot.bidi`) as it enters the text, so a person's
right-to-left override ends where their text ends.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, StrictUndefined, pass_context
from jinja2.environment import TemplateModule
from jinja2.runtime import Context
from markupsafe import Markup

from bot import i18n
from bot.bidi import isolate_value


def _signed(value: int | float | None) -> str:
    if value is None:
        return ""
    return f"+{value:g}" if value > 0 else f"{value:g}"


format_number = i18n.number  # the language's digits and separators, at most two decimals


def _filled(context: Context, text: str, variables: dict[str, object]) -> str:
    """A translated message with its placeholders filled: each value isolated from bidi controls as every
    printed value is (`finalize` does not see values inside a message), and escaped in an HTML page."""
    values = {name: isolate_value(value) for name, value in variables.items()}
    if context.eval_ctx.autoescape:
        return Markup(text) % values
    return text % values


@pass_context
def _gettext(context: Context, message: str, **variables: object) -> str:
    return _filled(context, i18n.gettext(message), variables)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, count: int, **variables: object) -> str:
    variables.setdefault("num", count)
    return _filled(context, i18n.ngettext(singular, plural, count), variables)


def install_i18n(env: Environment) -> None:
    """Jinja's i18n extension in its newstyle form (`_("Hi %(name)s", name=n)`, `{% trans %}` with
    plurals), speaking the current language (bot.i18n), plus the language's formatting filters. Both
    renderers' environments (this one and the browser's) are set up here."""
    env.add_extension("jinja2.ext.i18n")
    env.globals.update(gettext=_gettext, _=_gettext, ngettext=_ngettext)
    env.newstyle_gettext = True  # type: ignore[attr-defined]
    env.filters["number"] = i18n.number
    env.filters["percent"] = i18n.percent
    env.filters["day"] = i18n.day
    env.filters["weekday"] = i18n.weekday
    env.filters["week"] = i18n.week
    env.filters["moment"] = i18n.moment
    env.filters["clock_time"] = i18n.clock_time
    env.globals["language"] = i18n.current
    env.globals["sentence_gap"] = i18n.sentence_gap


@cache
def environment() -> Environment:
    env = Environment(
        loader=ChoiceLoader([PackageLoader("prompts", ".")]),
        undefined=StrictUndefined,
        autoescape=False,  # text for chat renderers, which escape for their platform
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        finalize=isolate_value,
    )
    install_i18n(env)
    env.filters["signed"] = _signed
    return env


def add_prompts(directory: Path) -> None:
    """Let templates be found in `directory` too, after prompts/: the wording of a ritual registered in the
    catalog from outside this package (a plug-in, a test) lives beside its code."""
    loader = environment().loader
    assert isinstance(loader, ChoiceLoader)
    if not any(isinstance(one, FileSystemLoader) and str(directory) in one.searchpath for one in loader.loaders):
        loader.loaders.append(FileSystemLoader(directory))


def render(template: str, **context: object) -> str:
    """Render prompts/<template>.j2 to text, trimmed."""
    return environment().get_template(f"{template}.j2").render(**context).strip()


@cache
def _macros(template: str) -> TemplateModule:
    """prompts/<template>.j2 made into a module once: its macros take every value as an argument (the language
    too is read when a macro runs), so one module serves every call. Making it per call was most of the
    CPU the dashboard's card words cost (about 170 calls a team page)."""
    return environment().get_template(f"{template}.j2").make_module()


def render_macro(template: str, name: str, /, **context: object) -> str:
    """Render one macro of prompts/<template>.j2, given the context values it takes."""
    macro = getattr(_macros(template), name)
    wanted = {key: value for key, value in context.items() if key in macro.arguments}
    return str(macro(**wanted)).strip()


def render_error(error: str, **context: object) -> str:
    """Render one macro of prompts/errors.j2: every error message people can see is there."""
    return render_macro("errors", error, **context)


CARD_WORDS_KEPT = 4096  # drawn card words kept (a few bytes each); the oldest half goes when full


def card_words(name: str, **context: object) -> str:
    """One macro of prompts/card_words.j2: the words every renderer puts around a key result line.

    The same words for the same values in the same language are drawn once: a dashboard team page says them
    for every key result line (about 190 macro calls a page, with a gettext each), and they are a pure
    function of the language, the macro and its values."""
    try:
        key = (i18n.current(), name, tuple(sorted(
            (k, tuple(v) if isinstance(v, list) else v) for k, v in context.items())))
        drawn = _CARD_WORDS.get(key)
    except TypeError:  # a value that cannot be a key: drawn every time
        return render_macro("card_words", name, **context)
    if drawn is None:
        if len(_CARD_WORDS) >= CARD_WORDS_KEPT:
            for old in list(_CARD_WORDS)[: CARD_WORDS_KEPT // 2]:
                del _CARD_WORDS[old]
        drawn = _CARD_WORDS[key] = render_macro("card_words", name, **context)
    return drawn


_CARD_WORDS: dict[tuple, str] = {}
