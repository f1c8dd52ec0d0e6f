"""The cards' markdown subset, redrawn as Adaptive Card TextBlock markdown.

The core writes `*bold*`, `_italic_`, `` `code` ``, links, "• " bullets and line breaks, read once by
`bot.markup` (this module only maps its tokens); Adaptive Cards read `**bold**`, `_italic_` and need a
blank line ("\\n\\n") for a line break outside lists. Every other character is literal text. Only what
a TextBlock's markdown gives a meaning is backslash-escaped: emphasis (`*`, `_`), code (`` ` ``), links
(`[`, `]`: without them `(` and `)` are plain, so "(minutes)" stays as typed), list markers at a line's
start, and the backslash itself. Headings, quotes, tables, strike-through and HTML are not Adaptive Card
markdown, so `#`, `>`, `|`, `~`, `<` need nothing; escaping them anyway made some Teams clients show the
backslashes. A win that says "[click](http://x)" shows exactly that, never a link.
"""

from __future__ import annotations

import re

from bot.markup import Style, draw, parse_line

_PUNCTUATION = re.compile(r"([\\`*_\[\]])")
_LIST_START = re.compile(r"^(\s*)([-+]|\d+\.)(\s)")


def escape(text: str) -> str:
    """Plain text that renders literally in an Adaptive Card TextBlock."""
    escaped = _PUNCTUATION.sub(r"\\\1", text)
    return "\n".join(_LIST_START.sub(_escape_list_marker, line) for line in escaped.split("\n"))


def _escape_list_marker(match: re.Match[str]) -> str:
    marker = match.group(2)
    marker = "\\" + marker if not marker[0].isdigit() else marker[:-1] + "\\."
    return f"{match.group(1)}{marker}{match.group(3)}"


TEXTBLOCK = Style(text=escape, code=lambda text: f"`{text}`", link=escape, strong=("**", "**"), emphasis=("_", "_"))


def to_teams(markdown: str) -> str:
    """Card subset (read by bot.markup) -> TextBlock markdown; each line break becomes a paragraph break."""
    lines = [line for line in markdown.strip("\n").split("\n") if line.strip()]
    return "\n\n".join(draw(map(parse_line, lines), TEXTBLOCK))
