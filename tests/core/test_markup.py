"""bot.markup: one reading of the card markdown subset, and every renderer drawing that same reading.

The agreement test reads each renderer's output back (HTML through html.parser, Adaptive Card markdown
with a small reader of its escapes and markers) into characters with their styles, and compares them to
the tokens: a renderer that parsed the text again on its own, differently, fails here.
"""

from __future__ import annotations

import typing
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.slack import blocks
from adapters.teams import markdown as teams
from adapters.web import html
from bot import markup
from bot.markup import Code, Emphasis, Line, Link, Plain, Strong, parse, source
from okrbot import textcard

RENDERERS = {
    "slack": blocks.card_mrkdwn,
    "teams": teams.to_teams,
    "text": textcard.plain,
    "html": html.markdown,
}


@pytest.mark.parametrize("text,tokens", [
    ("*bold* and _it_", (Strong((Plain("bold"),)), Plain(" and "), Emphasis((Plain("it"),)))),
    ("* spaced *", (Plain("* spaced *"),)),  # bold in Teams only, before bot.markup
    ("_ spaced _", (Plain("_ spaced _"),)),
    ("snake_case_name 2*3*4", (Plain("snake_case_name 2*3*4"),)),
    ("**double**", (Plain("**double**"),)),
    ("***", (Plain("***"),)),  # the terminal printed "*"
    ("*a _b_*", (Strong((Plain("a "), Emphasis((Plain("b"),)))),)),  # the terminal kept "_b_"
    ("_see `x`_", (Emphasis((Plain("see "), Code("x"))),)),  # Teams showed the backticks
    ("`*x*` y", (Code("*x*"), Plain(" y"))),
    ("*`*`", (Plain("*"), Code("*"))),  # HTML drew <strong><code></strong></code>
    ("_a `a_`", (Plain("_a "), Code("a_"))),
    ("see https://x.test/a_b_c.", (Plain("see "), Link("https://x.test/a_b_c"), Plain("."))),
    ("https://x.test/_x_/y", (Link("https://x.test/_x_/y"),)),  # HTML put <em> inside the href
    ("*https://x.test*", (Strong((Link("https://x.test"),)),)),
    ("_https://x.test/a_b_", (Emphasis((Link("https://x.test/a_b"),)),)),
    ("xhttps://x.test", (Plain("xhttps://x.test"),)),
    ("(*x*).", (Plain("("), Strong((Plain("x"),)), Plain(")."))),
    ("*a*b", (Plain("*a*b"),)),
    ("a*b*", (Plain("a*b*"),)),
    ("*", (Plain("*"),)),
    ("", ()),
])
def test_reading(text, tokens):
    assert parse(text) == (Line(tokens),)


def test_bullets_and_lines():
    assert parse("• *P1* ship\n\n•x") == (
        Line((Strong((Plain("P1"),)), Plain(" ship")), bullet=True), Line(()), Line((Plain("•x"),)))


def test_spans_never_cross_a_line_break():
    assert parse("*a\nb*") == (Line((Plain("*a"),)), Line((Plain("b*"),)))


subset = st.lists(st.sampled_from([*"ab *_`\\[]-1.•\n<&", "https://x.y/a_b", "• ", "1. "]), max_size=30).map("".join)


@settings(max_examples=300, deadline=None)
@given(subset)
def test_source_gives_back_every_text(text):
    """Lossless: Slack reads the subset natively, so its output must be the text itself, escaped."""
    assert source(parse(text)) == text
    assert blocks.card_mrkdwn(text) == blocks.escape(text)


# ---------------------------------------------------------------- reading renderers' output back

Styled = list[tuple[str, frozenset[str]]]


def _expected(text: str) -> list[Styled]:
    def walk(token, styles: frozenset[str], out: Styled) -> None:
        match token:
            case Plain(value) | Link(value):
                out.extend((char, styles) for char in value)
            case Code(value):
                out.extend((char, styles | {"code"}) for char in value)
            case Strong(children):
                for child in children:
                    walk(child, styles | {"bold"}, out)
            case Emphasis(children):
                for child in children:
                    walk(child, styles | {"italic"}, out)
    lines = []
    for line in parse(text):
        out: Styled = [(char, frozenset()) for char in (markup.BULLET if line.bullet else "")]
        for token in line.inlines:
            walk(token, frozenset(), out)
        lines.append(out)
    return lines


class _HTMLReader(HTMLParser):
    TAGS = {"strong": "bold", "em": "italic", "code": "code"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.styles: list[str] = []
        self.chars: Styled = []

    def handle_starttag(self, tag, attrs):
        if tag in self.TAGS:
            self.styles.append(self.TAGS[tag])
        elif tag == "a":
            self.styles.append("link")
            self.href = dict(attrs)["href"]

    def handle_endtag(self, tag):
        if tag in self.TAGS or tag == "a":
            self.styles.pop()

    def handle_data(self, data):
        self.chars.extend((char, frozenset(self.styles) - {"link"}) for char in data)


def _html(text: str) -> list[Styled]:
    reader = _HTMLReader()
    reader.feed(str(html.markdown(text)))
    assert not reader.styles, "every tag is closed"
    lines: list[Styled] = [[]]
    for char, styles in reader.chars:
        if char == "\n":
            lines.append([])
        else:
            lines[-1].append((char, styles))
    return lines


def _teams(text: str) -> list[Styled]:
    """Adaptive Card TextBlock markdown as the subset it can hold: escapes, `**`, `_`, code spans."""
    lines = []
    for paragraph in teams.to_teams(text).split("\n\n") if text.strip() else []:
        out: Styled = []
        styles: set[str] = set()
        position = 0
        while position < len(paragraph):
            char = paragraph[position]
            if char == "\\":
                out.append((paragraph[position + 1], frozenset(styles)))
                position += 2
            elif paragraph.startswith("**", position):
                styles ^= {"bold"}
                position += 2
            elif char == "_":
                styles ^= {"italic"}
                position += 1
            elif char == "`":
                end = paragraph.index("`", position + 1)
                out.extend((c, frozenset(styles | {"code"})) for c in paragraph[position + 1 : end])
                position = end + 1
            else:
                out.append((char, frozenset(styles)))
                position += 1
        assert not styles, "every marker is closed"
        lines.append(out)
    return lines


@settings(max_examples=300, deadline=None)
@given(subset)
def test_renderers_draw_the_same_tokens(text):
    expected = _expected(text)
    assert _html(text) == expected
    raw = text.split("\n")
    assert _teams(text) == [line for index, line in enumerate(expected) if raw[index].strip()]
    shown = textcard.plain(text).split("\n")
    assert [line.replace("`", "") for line in shown] == ["".join(c for c, _ in line).replace("`", "")
                                                        for line in expected]


def test_links_are_links_in_html_with_nothing_inside_the_href():
    assert str(html.markdown("*https://x.test/_a_/b*.")) == (
        '<strong><a href="https://x.test/_a_/b">https://x.test/_a_/b</a></strong>.')


# ---------------------------------------------------------------- exhaustive

STYLES = {"source": markup.SOURCE, "slack": blocks.MRKDWN, "teams": teams.TEXTBLOCK, "plain": markup.PLAIN,
          "html": html.HTML}
SAMPLES = {Plain: Plain("x"), Code: Code("x"), Link: Link("https://x.test"),
           Strong: Strong((Plain("x"),)), Emphasis: Emphasis((Plain("x"),))}


def test_samples_cover_every_token_type():
    assert set(SAMPLES) == set(typing.get_args(markup.Inline))


@pytest.mark.parametrize("name", STYLES)
def test_every_renderer_draws_every_token_and_refuses_an_unknown_one(name):
    for token in SAMPLES.values():
        assert "x" in markup.inline(token, STYLES[name])

    class Mention:
        pass

    with pytest.raises(AssertionError):
        markup.inline(Mention(), STYLES[name])  # type: ignore[arg-type]
