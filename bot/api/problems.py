"""What an API call did wrong, said once (wording in prompts/api.j2), for any transport to send.

A `Problem` carries an RFC 9457 problem's members: status, a type (a URN naming the kind), the title
and detail people read, and for bad input one entry per field: where it is (a JSON pointer into the
body, or a query or header name), what was expected and what was given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from bot.render import environment

TYPE_PREFIX = "urn:okrbot:problem:"


@dataclass(frozen=True)
class FieldError:
    field: str  # "/value" (JSON pointer into the body), "team" (a query parameter), "Idempotency-Key" (a header)
    expected: str
    given: object = None

    def as_dict(self) -> dict:
        entry = {"field": self.field, "expected": self.expected}
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


@cache
def _module():
    return environment().get_template("api.j2").make_module()


def _text(kind: str, context: dict) -> str:
    """The macro's first line is the title, the rest the detail."""
    macro = getattr(_module(), kind)
    wanted = {name: value for name, value in context.items() if name in macro.arguments}
    return str(macro(**wanted)).strip()
