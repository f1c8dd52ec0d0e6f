"""The one reading of the card markdown subset; every renderer maps these tokens, none parses text.

Card text (`bot.model.Text`, `Context`, `Fields`, form intros and errors) is written in a small subset
that every platform can draw. This module reads it once, into lines of tokens:

- `*bold*` -> `Strong`, `_italic_` -> `Emphasis`. A marker opens after the start of the line or a
  character that is neither a word character nor the same marker, and right before a character that is
  neither a space nor the same marker; the span closes at the next same marker (outside code and links),
  which must follow a non-space and precede the end of the line or a character that is neither a word
  character nor the same marker. Otherwise the marker is a plain character. So `* spaced *`,
  `snake_case_name`, `2*3*4` and `**double**` are plain text, as Slack reads them. Bold may hold
  italic and italic bold (`*a _b_*`); spans never cross a line break.
- `` `code` `` -> `Code`: its content is literal (no emphasis, no link).
- a bare `http://` or `https://` URL -> `Link`; trailing punctuation (`.`, `,`, `)`, `*`, `_`, ...) stays
  outside, so `*https://x.test*` is a bold link and "see https://x.test." ends its link before the dot.
- a line starting with "• " is a bullet (`Line.bullet`); every other character is plain text.

There are no mentions, headings or raw markup in the subset: card text never contains `<@U1>` or
`<b>`, and each renderer escapes them for its platform. Slack reads the subset natively, so this reading
is Slack's; `source` writes tokens back, and `source(parse(text)) == text` for every text, which is
why Block Kit output is unchanged by going through the tokens.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import assert_never

BULLET = "• "
MARKERS = {"*": "Strong", "_": "Emphasis"}
_WORD = re.compile(r"\w")
_URL = re.compile(r"https?://[^\s<>\"'`]+")
_URL_TAIL = ".,;:!?*_)]}'\""
_SPECIAL = re.compile(r"[`*_]|http")  # what can start a token other than plain text


@dataclass(frozen=True)
class Plain:
    text: str


@dataclass(frozen=True)
class Code:
    text: str


@dataclass(frozen=True)
class Link:
    url: str


@dataclass(frozen=True)
class Strong:
    children: tuple[Inline, ...]


@dataclass(frozen=True)
class Emphasis:
    children: tuple[Inline, ...]


Inline = Plain | Code | Link | Strong | Emphasis


@dataclass(frozen=True)
class Line:
    inlines: tuple[Inline, ...]
    bullet: bool = False


# ---------------------------------------------------------------- reading


@dataclass(frozen=True)
class _Atom:
    """A lexed piece of a line: one plain character, or a whole code span or link."""

    raw: str
    token: Code | Link | None = None


def _atoms(line: str) -> list[_Atom]:
    atoms: list[_Atom] = []
    position = 0
    while position < len(line):
        char = line[position]
        if char == "`":
            end = line.find("`", position + 1)
            if end > position + 1:
                atoms.append(_Atom(line[position : end + 1], Code(line[position + 1 : end])))
                position = end + 1
                continue
        if char == "h" and (position == 0 or not line[position - 1].isalnum()):
            match = _URL.match(line, position)
            url = match.group(0).rstrip(_URL_TAIL) if match else ""
            if "://" in url and not url.endswith("://"):
                atoms.append(_Atom(url, Link(url)))
                position += len(url)
                continue
        atoms.append(_Atom(char))
        position += 1
    return atoms


def _before(atoms: list[_Atom], index: int) -> str:
    return atoms[index - 1].raw[-1] if index > 0 else ""


def _after(atoms: list[_Atom], index: int) -> str:
    return atoms[index + 1].raw[0] if index + 1 < len(atoms) else ""


def _opens(atoms: list[_Atom], index: int, marker: str) -> bool:
    before, after = _before(atoms, index), _after(atoms, index)
    return not _WORD.match(before) and before != marker and after != "" and not after.isspace() and after != marker


def _closer(atoms: list[_Atom], start: int, stop: int, marker: str) -> int | None:
    """The index of the marker closing a span opened at `start`, or None: the first same marker decides."""
    for index in range(start + 2, stop):
        if atoms[index].token is None and atoms[index].raw == marker:
            before, after = _before(atoms, index), _after(atoms, index)
            closes = not before.isspace() and not _WORD.match(after) and after != marker
            return index if closes else None
    return None


def _inlines(atoms: list[_Atom], start: int, stop: int, markers: str) -> tuple[Inline, ...]:
    out: list[Inline] = []
    text: list[str] = []
    index = start
    while index < stop:
        atom = atoms[index]
        close = None
        if atom.token is None and atom.raw in markers and _opens(atoms, index, atom.raw):
            close = _closer(atoms, index, stop, atom.raw)
        if atom.token is None and close is None:
            text.append(atom.raw)
            index += 1
            continue
        if text:
            out.append(Plain("".join(text)))
            text = []
        if close is None:
            out.append(atom.token)  # type: ignore[arg-type]
            index += 1
            continue
        children = _inlines(atoms, index + 1, close, markers.replace(atom.raw, ""))
        out.append(Strong(children) if atom.raw == "*" else Emphasis(children))
        index = close + 1
    if text:
        out.append(Plain("".join(text)))
    return tuple(out)


@lru_cache(maxsize=4096)
def parse_line(line: str) -> Line:
    """One line's tokens. Kept for the lines seen last (tokens are immutable): a dashboard page draws the same
    key-result titles and card words again and again, and lexing is per character. A line without a
    marker, a backtick or "http" is one Plain token without lexing."""
    bullet = line.startswith(BULLET)
    body = line[len(BULLET) :] if bullet else line
    if not _SPECIAL.search(body):
        return Line((Plain(body),) if body else (), bullet)
    atoms = _atoms(body)
    return Line(_inlines(atoms, 0, len(atoms), "".join(MARKERS)), bullet)


def parse(markdown: str) -> tuple[Line, ...]:
    """Card markdown as lines of tokens; "\\n" separates lines (an empty line is a Line without tokens)."""
    return tuple(parse_line(line) for line in markdown.split("\n"))


# ---------------------------------------------------------------- drawing


@dataclass(frozen=True)
class Style:
    """How one renderer draws each kind of token: one field per kind, so a new kind of token cannot be
    added without every renderer saying how it draws it (a Style missing a field fails at import)."""

    text: Callable[[str], str]  # Plain text, escaped for the platform
    code: Callable[[str], str]
    link: Callable[[str], str]
    strong: tuple[str, str]  # what goes before and after the children
    emphasis: tuple[str, str]


def inline(token: Inline, style: Style) -> str:
    match token:
        case Plain(text):
            return style.text(text)
        case Code(text):
            return style.code(text)
        case Link(url):
            return style.link(url)
        case Strong(children):
            return style.strong[0] + "".join(inline(child, style) for child in children) + style.strong[1]
        case Emphasis(children):
            return style.emphasis[0] + "".join(inline(child, style) for child in children) + style.emphasis[1]
        case _:
            assert_never(token)


def draw(lines: Iterable[Line], style: Style) -> list[str]:
    """Each line as a renderer draws it: its tokens mapped by the renderer's style, its bullet kept."""
    return [(BULLET if line.bullet else "") + "".join(inline(token, style) for token in line.inlines)
            for line in lines]


SOURCE = Style(text=str, code=lambda text: f"`{text}`", link=str, strong=("*", "*"), emphasis=("_", "_"))


PLAIN = Style(text=str, code=lambda text: f"`{text}`", link=str, strong=("", ""), emphasis=("", ""))


def plain(markdown: str) -> str:
    """Card markdown where no emphasis can be drawn (a terminal, a Slack modal's error): the markers of
    bold and italic dropped, code kept in its backticks, everything else as written."""
    return "\n".join(draw(parse(markdown), PLAIN))


def source(lines: Iterable[Line]) -> str:
    """The markdown of `lines`: `source(parse(text)) == text` for every text."""
    return "\n".join(draw(lines, SOURCE))
