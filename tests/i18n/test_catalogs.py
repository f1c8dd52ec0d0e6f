"""The catalog check: every message okrbot says exists, translated, in every shipped language.

The messages are read from the sources the way `make i18n-extract` reads them (babel.cfg), so this fails
the moment a template or the code says something new that a shipped language's .po lacks, leaves a
translation empty or fuzzy, or translates with a placeholder dropped, added or renamed (a translation
without `%(team)s` silently loses the team's name; one with an extra placeholder fails at render time).

It also fails when a template that speaks through the catalogs still has plain words outside them, so a
sentence added in English to a template cannot slip past the catalogs: every template speaks through them.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from bot import i18n
from bot.render import environment

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2)}
PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?[sdifr%]")
LETTER = re.compile(r"[^\W\d_]")
MARKUP = re.compile(r"<(script|style)\b.*?</\1>|<[^<>]*>|^[^<>]*>|<[^<>]*$|&#?\w+;", re.S)
# A page template (adapters/*/templates) is read as HTML: its words are its text and the attributes people
# read (a tooltip, a placeholder, what a screen reader says), once every Jinja tag is taken out.
# A `{% set %}` block with no tag in it holds a tag's attributes (form.html.j2's `common`): markup too.
JINJA = re.compile(r"\{%-?\s*trans\b.*?\{%-?\s*endtrans\s*-?%\}|\{%-?\s*set \w+\s*-?%\}[^<>]*?\{%-?\s*endset\s*-?%\}"
                   r"|\{#.*?#\}|\{\{.*?\}\}|\{%.*?%\}", re.S)
READ_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt", "label"}
NAMES = re.compile(r"okrbot|/okr \w+")  # the product's name and its commands are no words to translate
LANGUAGES = [catalog for catalog in i18n.SHIPPED if catalog != i18n.ENGLISH]

def source_messages() -> dict[tuple[str | None, str | tuple[str, str]], str]:
    """Every message in the sources, (context, msgid or (singular, plural)) -> the file that says it first."""
    with (ROOT / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    found: dict = {}
    for filename, _lineno, message, _comments, context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True):
        found.setdefault((context, message), filename)
    return found


def catalog(language: str):
    with i18n.po_path(language).open("rb") as handle:
        return read_po(handle, locale=language)


def placeholders(text: str) -> list[str]:
    return sorted(match.group(0) if match.group(1) is None else match.group(1)
                  for match in PLACEHOLDER.finditer(text) if match.group(0) != "%%")


@pytest.fixture(scope="module")
def messages():
    return source_messages()


def test_the_sources_say_something_through_the_catalogs(messages):
    assert len(messages) > 5, "babel.cfg finds no messages: is the mapping right?"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_in_every_shipped_language(messages, language):
    po = catalog(language)
    problems = []
    for (context, message), where in messages.items():
        entry = po.get(message, context=context)
        shown = message[0] if isinstance(message, tuple) else message
        if entry is None:
            problems.append(f"{where}: missing: {shown!r}")
        elif "fuzzy" in entry.flags:
            problems.append(f"{where}: fuzzy (check it, then remove the flag): {shown!r}")
        elif not all(entry.string if isinstance(entry.string, tuple) else (entry.string,)):
            problems.append(f"{where}: untranslated: {shown!r}")
    assert not problems, (f"prompts/locale/{language}/LC_MESSAGES/messages.po lacks {len(problems)} messages; "
                          "run `make i18n-update` and translate them:\n" + "\n".join(problems))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_translation_keeps_the_placeholders_of_its_message(language):
    problems = []
    for entry in catalog(language):
        if not entry.id:
            continue
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        wanted = set(placeholders(ids[-1])) | set(placeholders(ids[0]))
        for string in strings:
            if string and set(placeholders(string)) - {"num"} != wanted - {"num"}:
                problems.append(f"{ids[0]!r}: {sorted(wanted)} but {string!r} has {placeholders(string)}")
    assert not problems, "\n".join(problems)


def bare_words(source: str) -> list[str]:
    """Template text outside `{% trans %}` blocks that has letters in it: words no catalog sees."""
    found, depth, block = [], 0, []
    for _line, kind, value in environment().lex(source):
        if kind == "block_begin":
            block = []
        elif kind == "name" and not block:
            block.append(value)
            depth += value == "trans"
            depth -= value == "endtrans"
        elif kind == "data" and not depth and LETTER.search(MARKUP.sub("", value)):
            found.append(value.strip())
    return found


class PageWords(HTMLParser):
    """The text and read attributes of a page template with its Jinja taken out (a tag whose name is printed,
    `<{{ heading }}>`, keeps a stand-in name)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.words: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.hidden += tag in ("script", "style")
        self.words += [value for name, value in attrs if name in READ_ATTRIBUTES and value and LETTER.search(value)
                       and not NAMES.fullmatch(value)]

    def handle_endtag(self, tag: str) -> None:
        self.hidden -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if not self.hidden and LETTER.search(data) and not NAMES.fullmatch(data.strip()):
            self.words.append(data.strip())


def page_words(source: str) -> list[str]:
    parser = PageWords()
    parser.feed(JINJA.sub("", re.sub(r"(</?)\{\{.*?\}\}", r"\1x", source)))
    parser.close()
    return parser.words


def prompt_templates() -> list[Path]:
    return sorted((ROOT / "prompts").glob("*.j2")) + sorted((ROOT / "adapters").glob("*/templates/*.j2"))


@pytest.mark.parametrize("path", prompt_templates(), ids=lambda p: p.name)
def test_templates_have_no_words_outside_the_catalogs(path):
    words = (page_words if path.name.endswith(".html.j2") else bare_words)(path.read_text())
    assert not words, (f"{path.relative_to(ROOT)} says {words[:3]} outside the catalogs: wrap each sentence in "
                       "_(\"...\") (or {% trans %}) and translate it (README: Languages)")
