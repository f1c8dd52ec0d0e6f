"""Which language okrbot speaks to whom, the catalogs it speaks from, and numbers and dates in that language.

Every word okrbot says is a gettext message in prompts/*.j2 or the page templates; the translations are
Babel catalogs in prompts/locale/<language>/LC_MESSAGES/messages.po. The language of one reply is held
in a context variable for as long as it is being drawn (`speaking`), so the one Jinja environment of
each renderer serves every language and no function between a handler and a template passes it on.

Which language (`choose`): the person's own choice (`/okr language zh-CN`), else the locale their chat
platform reports (Slack's users.info, Teams' activity.locale, the sandbox's language switch), else the
organization's default (`organization.language`), else English. A channel post speaks its team's
language (`teams[].language`), else the organization's.

Codes are BCP 47 tags as people and platforms write them (`zh-CN`, `es-CL`, `en`); a tag is spoken when
its language has a catalog. The region still matters for formatting: `es-CL` reads its numbers the
Chilean way from the Spanish catalog.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from functools import cache, lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError, negotiate_locale
from babel.core import LOCALE_ALIASES
from babel.dates import format_date, format_datetime, format_skeleton, format_time, get_day_names
from babel.lists import format_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_percent, parse_pattern
from babel.support import NullTranslations, Translations

ENGLISH = "en"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "prompts" / "locale"
DOMAIN = "messages"
# The shipped languages: catalog directory -> the tag people type and the name the language calls itself.
SHIPPED: dict[str, tuple[str, str]] = {
    "en": ("en", "English"),
    "zh_CN": ("zh-CN", "简体中文"),
    "es": ("es", "Español"),
}

UNSPACED = {"zh", "ja"}  # languages that write sentences one after another with no space between them
# Babel's aliases (`no` -> `nb-NO`), and Simplified Chinese however a browser names it (`zh-TW` is not it)
_ALIASES = {**LOCALE_ALIASES, "zh": "zh_CN", "zh-hans": "zh_CN", "zh-hans-cn": "zh_CN"}
_DECIMAL = parse_pattern("#,##0.##")  # `number`'s pattern, parsed once (format_decimal parses it on every call)

_speaking: ContextVar[str] = ContextVar("okrbot_language", default=ENGLISH)


@lru_cache(maxsize=1024)
def _locale(tag: str) -> Locale | None:
    """The Babel locale of a tag, parsed once: every message, number and date of a reply asks (Locale.parse was a
    fifth of the language work of a check-in's reply). Read-only, so one object serves every thread."""
    try:
        return Locale.parse(tag.strip().replace("-", "_"))
    except (ValueError, TypeError, UnknownLocaleError):
        return None


def catalog_of(tag: str | None) -> str | None:
    """The catalog directory that speaks `tag` (`es-CL` -> `es`, `zh-Hans` -> `zh_CN`), or None when no
    shipped language does (Traditional Chinese is not Simplified Chinese: `zh-TW` is None)."""
    locale = _locale(tag) if tag else None
    if locale is None:
        return None
    if locale.language == "zh":
        simplified = locale.script in (None, "Hans") and locale.territory in (None, "CN", "SG")
        return "zh_CN" if simplified and "zh_CN" in SHIPPED else None
    return locale.language if locale.language in SHIPPED else None


@lru_cache(maxsize=1024)
def supported(tag: str | None) -> str | None:
    """`tag` in its canonical BCP 47 form (`zh_cn` -> `zh-CN`, `ES-cl` -> `es-CL`) when a shipped language
    speaks it, else None. Remembered per tag: every request chooses its language three times (18 us each)."""
    if catalog_of(tag) is None:
        return None
    locale = _locale(tag)  # type: ignore[arg-type]
    assert locale is not None
    if locale.language == "zh":  # Babel adds the script (zh_Hans_CN); people write zh-CN
        return f"zh-{locale.territory or 'CN'}"
    return "-".join(part for part in (locale.language, locale.territory) if part)


def choose(*candidates: str | None) -> str:
    """The first candidate a shipped language speaks, in its canonical form; English when none does.
    Pass them in the order of the rule: own choice, platform locale, team, organization."""
    return next((tag for tag in map(supported, candidates) if tag), ENGLISH)


def negotiate(accept_language: str | None) -> str | None:
    """The shipped language an HTTP Accept-Language header (RFC 9110) prefers, or None when it names none.
    Its tags are ranked by their quality (`q`), then by order; Babel's negotiation matches each against the
    shipped languages (`es-CL` -> `es`, `zh` -> `zh-CN`; `zh-TW` matches nothing). A caller with no header,
    or only languages okrbot does not speak, falls back to whatever its own rule says next."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate((accept_language or "").split(",")[:32]):
        tag, _, parameters = part.partition(";")
        quality = 1.0
        for parameter in parameters.split(";"):
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag.strip() and tag.strip() != "*" and quality > 0:
            ranked.append((-quality, index, tag.strip()))
    found = negotiate_locale([tag for *_, tag in sorted(ranked)], [tag for tag, _ in languages()], sep="-",
                             aliases=_ALIASES)
    return supported(found) if found else None


def languages() -> list[tuple[str, str]]:
    """(tag, name in its own language) of every shipped language, for `/okr language` and the switches."""
    return [SHIPPED[key] for key in SHIPPED]


def name_of(tag: str) -> str:
    """The name a language calls itself (`zh-CN` -> 简体中文, `es-CL` -> Español)."""
    return SHIPPED[catalog_of(tag) or ENGLISH][1]


def current() -> str:
    """The language being spoken right now (a canonical tag)."""
    return _speaking.get()


@contextmanager
def speaking(tag: str | None) -> Iterator[str]:
    """Draw everything inside in `tag` (English when no shipped language speaks it)."""
    chosen = choose(tag)
    token = _speaking.set(chosen)
    try:
        yield chosen
    finally:
        _speaking.reset(token)


def set_speaking(tag: str | None) -> None:
    """Switch the language of the rest of this context (the core, once it knows who is asking: the
    context is the worker thread's own copy, so nothing outside it changes)."""
    _speaking.set(choose(tag))


# ---------------------------------------------------------------- catalogs


def po_path(catalog: str) -> Path:
    return LOCALE_DIR / catalog / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(catalog: str) -> NullTranslations:
    """A language's translations: its compiled .mo when it is at least as new as the .po (`make
    i18n-compile`), else compiled from the .po in memory, so a fresh clone speaks every language without
    a build step. English is the source text: no catalog."""
    if catalog == ENGLISH:
        return NullTranslations()
    po = po_path(catalog)
    mo = po.with_suffix(".mo")
    if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        with mo.open("rb") as handle:
            return Translations(handle, domain=DOMAIN)
    with po.open("rb") as handle:
        parsed = read_po(handle, locale=catalog)
    buffer = io.BytesIO()
    write_mo(buffer, parsed)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def _now_translations() -> NullTranslations:
    return translations(catalog_of(current()) or ENGLISH)


def gettext(message: str) -> str:
    return _now_translations().ugettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    return _now_translations().ungettext(singular, plural, count)


def pgettext(context: str, message: str) -> str:
    return _now_translations().upgettext(context, message)


# ---------------------------------------------------------------- formatting


def babel_locale(tag: str | None = None) -> Locale:
    """The Babel locale of `tag` (the current language when None), for numbers, dates and day names."""
    return _locale(tag or current()) or Locale("en")


def number(value: float | None) -> str:
    """A number the way the language writes it (1,234.5 · 1.234,5 · 1,234.5), at most two decimals;
    an em dash for none."""
    if value is None:
        return "—"
    return _number(current(), type(value), value)


@lru_cache(maxsize=4096)
def _number(tag: str, _kind: type, value: float) -> str:
    """`number`, remembered per language and value: Babel takes 65-80 us a number, and a check-in's reply and a
    board write the same few (confidences 1-10, their values) again and again. The type is in the key so that
    1, 1.0 and True stay apart."""
    return _DECIMAL.apply(value, babel_locale(tag))


def percent(value: float | None) -> str:
    """A fraction (0.42) as a percentage in the language's way (42% · 42 %)."""
    if value is None:
        return "—"
    return format_percent(value, locale=babel_locale())


STANDARD_FORMS = ("short", "medium", "long", "full")


def day(value: date | datetime, form: str = "medium") -> str:
    """A date in the language's way (Dec 1, 2026 · 1 dic 2026 · 2026年12月1日); `form` is short/medium/long/full
    or a CLDR skeleton, whose fields the language orders and spells itself (`MMMd`: Dec 1 · 1 dic · 12月1日;
    `yMMMEd`: Tue, Dec 1, 2026 · mar, 1 dic 2026 · 2026年12月1日周二)."""
    if isinstance(value, datetime):
        value = value.date()
    if form in STANDARD_FORMS:
        return format_date(value, format=form, locale=babel_locale())
    return format_skeleton(form, value, locale=babel_locale())


def moment(value: datetime, zone: str, form: str = "medium") -> str:
    """A date and time in the team's zone `zone`, written in the language's way; `form` as for `day`
    (`EHm`: Tue 14:30 · mar, 14:30 · 周二 14:30)."""
    if form in STANDARD_FORMS:
        return format_datetime(value, format=form, tzinfo=ZoneInfo(zone), locale=babel_locale())
    return format_skeleton(form, value, tzinfo=ZoneInfo(zone), locale=babel_locale())


def clock_time(value: datetime, zone: str) -> str:
    """A time of day in the team's zone, in the language's short form (9:30 AM · 9:30 · 09:30)."""
    return format_time(value, format="short", tzinfo=ZoneInfo(zone), locale=babel_locale())


def week(value: str) -> str:
    """An ISO week as stored (`2026-W47`) the language's way: week 47, 2026 · 2026 年第 47 周 · semana 47 de
    2026; anything else as it is."""
    year, _, number = value.partition("-W")
    if not (year.isdigit() and number.isdigit()):
        return value
    return gettext("week %(number)s, %(year)s") % {"number": int(number), "year": year}


def weekday(index: int, width: str = "wide") -> str:
    """Monday (0) to Sunday (6) in the language (Monday · lunes · 星期一)."""
    return get_day_names(width, locale=babel_locale())[index]


def sentence_gap() -> str:
    """What goes between two sentences of one paragraph: a space, or nothing in Chinese, whose full stop (。)
    is as wide as a character and is never followed by a space."""
    return "" if babel_locale().language in UNSPACED else " "


def weekday_day(value: date | datetime, year: bool = True) -> str:
    """A day with its weekday, as a ritual or a reply names it (Thu 31 Dec 2026 · jue, 31 dic 2026 ·
    2026年12月31日周四); `year=False` leaves the year out. English keeps the form okrbot always wrote."""
    if isinstance(value, datetime):
        value = value.date()
    if catalog_of(current()) in (None, ENGLISH):
        return value.strftime("%a %d %b %Y" if year else "%a %d %b")
    return format_skeleton("yMMMEd" if year else "MMMEd", value, locale=babel_locale())


def listing(items: list[str]) -> str:
    """Names in a sentence, in the language: "A, B and C" · "A、B和C" · "A, B y C"."""
    return format_list(items, locale=babel_locale()) if items else ""
