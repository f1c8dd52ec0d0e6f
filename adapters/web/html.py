"""The one Jinja2 environment for the browser: dashboard pages and sandbox chat, autoescaped.

Card and form templates live in adapters/sandbox/templates (the sandbox draws every Card and Form
the core returns); the dashboard reuses them to draw a team's four-square card. Card text is the
core's markdown subset: it is escaped first and only then given its few tags, so a key result titled
`<script>` shows as text.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo

from jinja2 import ChoiceLoader, Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from adapters.web.svg import trend_points
from bot.bidi import isolate, isolate_value
from bot.cards import flagged_words
from bot.markup import Style, draw, parse
from bot.model import Card, Form
from bot.render import card_words, install_i18n, render_macro
from bot.serialize import card_to_dict, form_to_dict


def _escaped(text: str) -> str:
    return str(escape(text))


HTML = Style(
    text=_escaped,
    code=lambda text: f"<code>{escape(text)}</code>",
    link=lambda url: f'<a href="{escape(url)}">{escape(url)}</a>',
    strong=("<strong>", "</strong>"),
    emphasis=("<em>", "</em>"),
)


def markdown(text: str | None) -> Markup:
    """The card markdown subset (as bot.markup reads it: *bold*, _italic_, `code`, links, bullets, line
    breaks) as safe HTML: every piece of text is escaped before it gets its tag."""
    return Markup("<br>\n".join(draw(parse(isolate(text or "")), HTML)))


def local_time(moment: datetime, zone: str) -> datetime:
    """A stored moment (aware UTC: storage.types.UtcDateTime) in the organization's zone."""
    return moment.astimezone(ZoneInfo(zone))


def whole_numbers(options: list[dict]) -> bool:
    """Options that are a scale of whole numbers (confidence 1-10: each labelled with its own number), so typed
    rather than picked; options that only carry a number (a person's id, labelled with their name) are not."""
    return bool(options) and all(str(o["value"]).isdigit() and str(o["label"]).strip() == str(o["value"])
                                 for o in options)


def unknown_element(kind: str) -> None:
    """card.html.j2 has a branch for every element type of bot.model; any other one fails loudly."""
    raise TypeError(f"no HTML rendering for card element {kind!r}")


@cache
def environment() -> Environment:
    env = Environment(
        loader=ChoiceLoader([PackageLoader("adapters.web", "templates"),
                             PackageLoader("adapters.sandbox", "templates")]),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=isolate_value,  # every printed value is sealed against bidi controls (bot.bidi)
    )
    install_i18n(env)
    env.filters["md"] = markdown
    env.filters["trend_points"] = trend_points
    env.globals["colour_word"] = lambda colour: card_words("colour_word", colour=colour)
    env.globals["card_words"] = card_words
    env.globals["level_word"] = lambda level: card_words("level_word", level=level)
    env.globals["flagged_words"] = flagged_words
    env.globals["form_words"] = lambda name, **context: render_macro("form_words", name, **context)
    env.globals["unknown_element"] = unknown_element
    env.globals["page_title"] = lambda reason: render_macro("page_titles", "title", reason=reason)
    env.tests["whole_numbers"] = whole_numbers
    env.filters["local_time"] = local_time
    return env


def page(template: str, **context: object) -> str:
    return environment().get_template(template).render(**context)


def card_html(card: Card, actions: Mapping[str, object] | None = None) -> str:
    """A Card as the sandbox and the dashboard draw it (card.html.j2); `actions` makes its buttons work."""
    macro = environment().get_template("card.html.j2").module.card  # type: ignore[attr-defined]
    return str(macro(card_to_dict(card), actions))


def form_html(form: Form, values: Mapping[str, str] | None = None, errors: Mapping[str, str] | None = None,
              action: str = "", cancel: str = "") -> str:
    """A Form as the sandbox draws it (form.html.j2), each error under its field and the values kept."""
    macro = environment().get_template("form.html.j2").module.form  # type: ignore[attr-defined]
    return str(macro(form_to_dict(form), action, cancel, errors or {}, values or {}))
