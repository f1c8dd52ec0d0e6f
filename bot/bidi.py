"""User text isolated from bidirectional controls: one function every renderer's input goes through.

A person's text may carry Unicode bidi controls (a right-to-left override U+202E, an embedding never
closed) or right-to-left letters. Put next to other words, they reorder what follows: a win ending in
an open override prints its author's name backwards. `isolate` makes a piece of user text a sealed
unit before it is put into anything else: its controls are balanced (closers without an opener are
dropped, openers left open are closed) and each of its lines is wrapped in FIRST STRONG ISOLATE ...
POP DIRECTORY ISOLATE, so its direction is its own and nothing leaks past its end.

Text that has no bidi control and no right-to-left letter (nearly all of it) is returned unchanged,
and so is text whose controls are all sealed already: isolating twice adds nothing. `bot.render`
applies it to every value a prompt template prints, `bot.model` to the card fields that come
straight from data, and the browser's Jinja environment to every value a page prints, so Slack,
Teams, the sandbox, the dashboard and the terminal all get the same protection.
"""

from __future__ import annotations

import re

LRE, RLE, PDF, LRO, RLO = "\u202a", "\u202b", "\u202c", "\u202d", "\u202e"
LRI, RLI, FSI, PDI = "\u2066", "\u2067", "\u2068", "\u2069"
EMBEDDINGS = frozenset((LRE, RLE, LRO, RLO))
ISOLATES = frozenset((LRI, RLI, FSI))
MARKS = frozenset(("\u200e", "\u200f", "\u061c"))  # LRM, RLM, ALM: strong characters of their own
# Paragraph separators: the bidi algorithm ends every embedding and isolate at each of them.
PARAGRAPH = frozenset("\n\r\x1c\x1d\x1e\x85\u2029")

# Anything that can change the order of what surrounds it: the controls, and right-to-left scripts
# (Hebrew, Arabic, Syriac, Thaana, N'Ko, Samaritan, Mandaic and their presentation forms and
# supplementary-plane relatives). A search for this is the fast path for ordinary text.
_SENSITIVE = re.compile(
    "[\u0590-\u08ff\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069\ufb1d-\ufdff\ufe70-\ufefe"
    "\U00010800-\U00010fff\U0001e800-\U0001efff]"
)
_RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefe\U00010800-\U00010fff\U0001e800-\U0001efff]")


def _sealed(text: str) -> bool:
    """True when nothing in `text` can reorder its surroundings: every control and right-to-left letter
    sits inside an isolate that is closed again on the same line."""
    depth = 0
    for char in text:
        if char in ISOLATES:
            depth += 1
        elif char == PDI:
            if depth == 0:
                return False
            depth -= 1
        elif char in PARAGRAPH:
            if depth:
                return False
        elif depth == 0 and (char in EMBEDDINGS or char == PDF or char in MARKS or _RTL.match(char)):
            return False
    return depth == 0


def balance(line: str) -> str:
    """One line with every control matched: stray closers dropped, open ones closed at the end."""
    out: list[str] = []
    stack: list[str] = []
    for char in line:
        if char in EMBEDDINGS or char in ISOLATES:
            stack.append(char)
        elif char == PDF:
            if not stack or stack[-1] not in EMBEDDINGS:
                continue  # a PDF closes an embedding opened inside the same isolate only
            stack.pop()
        elif char == PDI:
            if not any(opener in ISOLATES for opener in stack):
                continue
            while stack[-1] not in ISOLATES:  # a PDI also ends the embeddings opened inside its isolate
                stack.pop()
                out.append(PDF)
            stack.pop()
        out.append(char)
    out.extend(PDI if opener in ISOLATES else PDF for opener in reversed(stack))
    return "".join(out)


def isolate(text: str) -> str:
    """`text` as a sealed unit (see the module docstring); unchanged when it cannot reorder anything."""
    if not text or not _SENSITIVE.search(text) or _sealed(text):
        return text
    lines = re.split("([\n\r\x1c\x1d\x1e\x85\u2029])", text)
    return "".join(part if part in PARAGRAPH or not part else FSI + balance(part) + PDI for part in lines)


def isolate_value(value: object) -> object:
    """Jinja's `finalize`: strings printed by a template are isolated, anything else passes as it is.
    Markup (HTML a filter already built) is left alone: its text was isolated before it became HTML."""
    if type(value) is str:
        return isolate(value)
    return value
