"""What an API call did wrong, said once (wording in prompts/api.j2), for any transport to send.

A `Problem` carries an RFC 9457 problem's members: status, a type (a URN naming the kind), the title
and detail people read, and for bad input one entry per field: where it is (a JSON pointer into the
body, or a query or header name), what was expected and what was given.

The words are drawn when the answer is (`as_dict`), in the language spoken then: the transport picks it
from the caller's Accept-Language, else `language`, the organization's that the token belongs to, once the
token is known. The type URN and the field names are the machine-readable part and never change.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache

from bot.render import environment

TYPE_PREFIX = "urn:okrbot:problem:"


@dataclass(frozen=True)
class FieldError:
    field: str  # "/value" (JSON pointer into the body), "team" (a query parameter), "Idempotency-Key" (a header)
    expected: str  # a macro of prompts/api.j2 (`expect_...`), drawn with `context`
    given: object = None
    context: Mapping[str, object] = field(default_factory=dict)

    def as_dict(self) -> dict:
        entry = {"field": self.field, "expected": _text(self.expected, dict(self.context))}
        if self.given is not None:
            entry["given"] = self.given if isinstance(self.given, int | float | bool) else str(self.given)[:80]
        return entry


@dataclass
class Problem(Exception):
    status: int
    kind: str  # a macro of prompts/api.j2; also the type's last part
    context: dict = field(default_factory=dict)
    errors: tuple[FieldError, ...] = ()
    headers: dict[str, str] = field(default_factory=dict)
    language: str | None = None  # the organization's, once known: the words' language when the caller asks none

    def __post_init__(self) -> None:
        super().__init__(self.kind)

    def as_dict(self, instance: str | None = None) -> dict:
        title, _, detail = _text(self.kind, self.context).partition("\n")
        body: dict = {"type": TYPE_PREFIX + self.kind.replace("_", "-"), "title": title.strip(),
                      "status": self.status, "detail": detail.strip() or title.strip()}
        if instance:
            body["instance"] = instance
        if self.errors:
            body["errors"] = [error.as_dict() for error in self.errors]
        return body


def invalid(*errors: FieldError) -> Problem:
    """The request is well-formed HTTP but its fields are not what the API takes: 422, one entry per field."""
    return Problem(422, "invalid_request", {"fields": ", ".join(e.field for e in errors)}, tuple(errors))


@contextmanager
def told_in(language: str | None) -> Iterator[None]:
    """A problem raised inside is worded in `language` unless the caller asks for another (Accept-Language)."""
    try:
        yield
    except Problem as problem:
        problem.language = problem.language or language
        raise


@cache
def _module():
    return environment().get_template("api.j2").make_module()


def _text(kind: str, context: dict) -> str:
    """A problem's macro: its first line is the title, the rest the detail; or a field's expectation."""
    macro = getattr(_module(), kind)
    wanted = {name: value for name, value in context.items() if name in macro.arguments}
    return str(macro(**wanted)).strip()
