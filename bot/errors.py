"""Refusals: input the core will not act on, told to the person in words from prompts/errors.j2."""

from __future__ import annotations


class Refusal(Exception):
    """Raised inside a handler to roll the whole action back and tell the person why.

    `error` names a macro in prompts/errors.j2; `usage` (a key of commands.USAGE) adds the right
    form of the command; `field` marks the form field the error belongs to.
    """

    def __init__(self, error: str, usage: str | None = None, field: str | None = None, **details: object):
        super().__init__(error)
        self.error = error
        self.usage = usage
        self.field = field
        self.details = details
