"""Characters no database of okrbot's can store, removed where input enters.

PostgreSQL refuses a NUL byte anywhere in text (even in a WHERE clause, so a lookup fails too), and
neither driver can encode a lone UTF-16 surrogate (JSON's "\\ud800" decodes to one) into UTF-8. Nobody
means either, so chat input loses them where it becomes an Interaction (bot.model) and the web pages
refuse URLs and forms that carry them (adapters.web.unstorable); nothing behind those two boundaries
has to think about it, on SQLite or PostgreSQL.
"""

from __future__ import annotations

import re

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(text: str) -> str:
    """`text` without NUL bytes and lone surrogates."""
    return UNSTORABLE.sub("", text)


def has_unstorable(text: str) -> bool:
    return UNSTORABLE.search(text) is not None
