"""The chat platforms the core knows: each adapter describes itself with one `PlatformSpec`.

The core never branches on a platform's name. What differs between platforms and matters to the core
is here, as data an adapter registers (okrbot wires every adapter's spec at start, tests add their own):
how people start a command, which platform's channel gets a team's rituals first, and how the platform
addresses a workspace, a team's channel and a person. An Interaction or a stored row naming a platform
nobody registered is an error (`UnknownPlatform`), never taken for another platform.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class PlatformSpec:
    """What the core needs to know about one chat platform.

    name: the platform's name in Interactions, Conversations and every stored row (`slack`, `teams`).
    prefix: how a person starts a command there, as help and error messages spell it (`/okr`, `@okrbot`).
    rank: among a team's bound channels, the platform with the lowest rank gets its ritual posts.
    workspace_is_organization: the platform's workspace id is the organization's own id (the sandbox); a
        platform without it has workspaces of its own, claimed by organizations (table `workspaces`).
    team_channels_by_key: every team has a channel here without a binding, its id the team's key (the
        sandbox); otherwise a team's channel must be bound (`/okr bind`, `channels:` in the import file).
    people_by_email: a person with no account here is reached by their email as the account id (the
        sandbox); otherwise only a person whose account the platform has shown us can be reached.
    """

    name: str
    prefix: str
    rank: int = 50
    workspace_is_organization: bool = False
    team_channels_by_key: bool = False
    people_by_email: bool = False


class UnknownPlatform(LookupError):
    """A platform name no adapter registered: a bug or a stale row, never treated as another platform."""

    def __init__(self, name: str) -> None:
        super().__init__(f"no platform {name!r} is registered (known: {', '.join(names()) or 'none'})")
        self.name = name


_REGISTRY: dict[str, PlatformSpec] = {}


def register(spec: PlatformSpec) -> PlatformSpec:
    """Make a platform known; registering the same spec again is a no-op, a different one under a taken
    name is refused (two adapters must not claim one name)."""
    known = _REGISTRY.get(spec.name)
    if known is not None and known != spec:
        raise ValueError(f"platform {spec.name!r} is registered already, differently")
    _REGISTRY[spec.name] = spec
    return spec


def unregister(name: str) -> None:
    """Forget a platform (a test's toy platform when the test ends)."""
    _REGISTRY.pop(name, None)


def spec(name: str) -> PlatformSpec:
    """The registered platform of that name; UnknownPlatform otherwise."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownPlatform(name) from None


def is_registered(name: str) -> bool:
    return name in _REGISTRY


def sort_key(name: str) -> tuple[int, str]:
    """Platforms in rank order (best first), then by name; an unregistered one last."""
    known = _REGISTRY.get(name)
    return (known.rank if known else 1 << 30, name)


def names() -> tuple[str, ...]:
    """Every registered platform, in rank order."""
    return tuple(sorted(_REGISTRY, key=sort_key))


def with_accounts() -> tuple[str, ...]:
    """The registered platforms whose people have accounts and whose organizations have workspaces of their own
    (every one but the sandbox's kind): the import format's person keys and `organization.workspaces` keys."""
    return tuple(name for name in names() if not _REGISTRY[name].workspace_is_organization)


def ranked(platforms: Iterable[str]) -> list[PlatformSpec]:
    """The specs of these platforms (unknown ones left out), best rank first."""
    return [_REGISTRY[p] for p in sorted(platforms, key=sort_key) if p in _REGISTRY]
