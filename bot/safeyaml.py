"""A safe YAML loader with limits, for files people hand to okrbot (`okrbot import`).

YAML aliases let a few kilobytes stand for billions of nodes ("billion laughs": each level an alias
list of the one below). PyYAML composes such a file into a small graph whose nodes are shared, but
everything that walks the data afterwards (the import's checks, an error message printing a value)
pays for the expansion: 6 KB took 2 GB and 40 s before ending in a MemoryError. So the loader counts
while it composes: every node, and for every alias the number of nodes its anchor stands for, and
stops at the first one past the limit, long before anything is constructed. Nesting depth is bounded
too (deep nesting exhausts the constructor's recursion), and an alias inside its own anchor, an
infinite document, is refused.

It is PyYAML's own Composer (the hook is `compose_node`) on libyaml's event parser when present,
with the safe constructor and resolver: the same documents as `yaml.CSafeLoader`, nothing hand-parsed.
File size is bounded by the caller before reading (`MAX_BYTES`), which bounds the work of composing.
"""

from __future__ import annotations

import reprlib

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent
from yaml.resolver import Resolver

try:  # libyaml's parser: a 10,000-person file parses in seconds instead of a minute
    from yaml.cyaml import CParser as _Parser
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Parser(Reader, Scanner, Parser):  # type: ignore[no-redef]
        def __init__(self, stream) -> None:
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)


MAX_BYTES = 16_000_000  # the 10,000-person benchmark organization exports to 6.4 MB
MAX_NODES = 2_000_000  # with every alias expanded; that organization has about 0.7 million
MAX_DEPTH = 64  # the import format nests 6 deep


class TooLarge(yaml.YAMLError):
    """The document is beyond a limit; the message says which, in words, and where it was crossed."""

    def __init__(self, message: str, mark: yaml.Mark | None) -> None:
        super().__init__(message)
        self.problem, self.problem_mark = message, mark


class BoundedSafeLoader(Composer, _Parser, SafeConstructor, Resolver):
    """yaml.SafeLoader's documents, refused with TooLarge past MAX_NODES, MAX_DEPTH or a recursive alias."""

    def __init__(self, stream) -> None:
        _Parser.__init__(self, stream)
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)
        self.expanded_nodes = 0
        self._depth = 0
        self._anchor_sizes: dict[str, int] = {}

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, AliasEvent):
            size = self._anchor_sizes.get(event.anchor)
            if size is None and event.anchor in self.anchors:
                raise TooLarge(f"the alias *{event.anchor} is inside its own anchor &{event.anchor}, "
                               "which makes the document infinite", event.start_mark)
            self._count(size or 0, event)
            return super().compose_node(parent, index)
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise TooLarge(f"the document nests deeper than {MAX_DEPTH} levels", event.start_mark)
        before = self.expanded_nodes
        self._count(1, event)
        node = super().compose_node(parent, index)
        self._depth -= 1
        if event.anchor is not None:
            self._anchor_sizes[event.anchor] = self.expanded_nodes - before
        return node

    def _count(self, nodes: int, event) -> None:
        self.expanded_nodes += nodes
        if self.expanded_nodes > MAX_NODES:
            raise TooLarge(f"the document stands for more than {MAX_NODES:,} values once its aliases (*name) "
                           "are expanded; okrbot reads no more than that (is it an alias bomb?)", event.start_mark)


_shown = reprlib.Repr()
_shown.maxstring = _shown.maxother = 80
_shown.maxlist = _shown.maxdict = 4
_shown.maxlevel = 2


def shown(value: object) -> str:
    """A value for an error message: repr, cut short, and never expanded (a list of aliases stays small)."""
    return _shown.repr(value)
