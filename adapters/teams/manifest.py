"""The Teams app package (manifest.json + two icons, zipped) a Teams admin uploads as is.

- The bot runs in the team, personal and groupChat scopes, with the command lists Teams shows.
- The resource-specific permission ChannelMessage.Read.Group lets the bot hear every reply in the
  Friday wins thread, not only the ones that @mention it (a team owner consents on install).
- Icons are drawn here (a target: OKRs aim), written as PNG with the standard library: a 192x192
  colour icon and a 32x32 outline icon, white on transparent, as Teams requires.
"""

from __future__ import annotations

import io
import json
import re
import struct
import zipfile
import zlib
from typing import Any

from bot.render import render_macro
from bot.rituals import catalog

MANIFEST_VERSION = "1.17"
SCHEMA = f"https://developer.microsoft.com/json-schemas/teams/v{MANIFEST_VERSION}/MicrosoftTeams.schema.json"
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
RSC = "ChannelMessage.Read.Group"
BLUE = (38, 99, 235)
WHITE = (255, 255, 255)

# The commands Teams lists, at most 10 per list, titles up to 32 characters; what each does is its
# teams_command line in prompts/manifests.j2.
PERSONAL_COMMANDS = ("mine", "checkin", "confidence", "progress", "okrs", "report", "dashboard", "help")
TEAM_COMMANDS = ("priorities", "win", "wins", "health", "plan", "okrs", "report", "bind", "schedule", "help")


def words(macro: str, **context: object) -> str:
    return render_macro("manifests", macro, **context)


def teams_manifest(app_id: str, *, name: str = "okrbot", url: str = "https://github.com/okrbot/okrbot",
                   version: str = "1.0.0") -> dict[str, Any]:
    if not GUID.match(app_id):
        raise ValueError(f"{app_id!r} is not a Microsoft App ID (a GUID like 00000000-0000-0000-0000-000000000000)")

    def commands(names: tuple[str, ...]) -> list[dict[str, str]]:
        rituals = "|".join(catalog.names()[:2])  # the first rituals, for space
        return [{"title": title, "description": words("teams_command", command=title, rituals=rituals)}
                for title in names]

    return {
        "$schema": SCHEMA,
        "manifestVersion": MANIFEST_VERSION,
        "version": version,
        "id": app_id,
        "developer": {"name": "okrbot", "websiteUrl": url, "privacyUrl": url, "termsOfUseUrl": url},
        "name": {"short": name, "full": words("teams_name", app=name)},
        "description": {"short": words("teams_short"), "full": words("teams_full")},
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": "#{:02X}{:02X}{:02X}".format(*BLUE),
        "bots": [{
            "botId": app_id,
            "scopes": ["team", "personal", "groupChat"],
            "supportsFiles": False,
            "isNotificationOnly": False,
            "commandLists": [
                {"scopes": ["personal"], "commands": commands(PERSONAL_COMMANDS)},
                {"scopes": ["team", "groupChat"], "commands": commands(TEAM_COMMANDS)},
            ],
        }],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [],
        "webApplicationInfo": {"id": app_id, "resource": "https://RscPermission"},
        "authorization": {"permissions": {"resourceSpecific": [{"name": RSC, "type": "Application"}]}},
    }


# ------------------------------------------------------------------ icons


def png(width: int, height: int, pixel) -> bytes:
    """An 8-bit RGBA PNG; `pixel(x, y)` gives (r, g, b, a)."""
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter: none
        for x in range(width):
            rows.extend(pixel(x, y))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(rows), 9))
            + chunk(b"IEND", b""))


def _target(size: int, x: int, y: int) -> bool:
    """A target: an outer ring and a centre dot, in a size x size square."""
    centre = (size - 1) / 2
    distance = ((x - centre) ** 2 + (y - centre) ** 2) ** 0.5 / size
    return 0.30 <= distance <= 0.42 or distance <= 0.14


def colour_icon() -> bytes:
    return png(192, 192, lambda x, y: (*WHITE, 255) if _target(192, x, y) else (*BLUE, 255))


def outline_icon() -> bytes:
    return png(32, 32, lambda x, y: (*WHITE, 255) if _target(32, x, y) else (0, 0, 0, 0))


def package(app_id: str, **manifest: Any) -> bytes:
    """The zip Teams admin centre ("Upload a custom app") accepts: the three files at its root."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(teams_manifest(app_id, **manifest), indent=2))
        archive.writestr("color.png", colour_icon())
        archive.writestr("outline.png", outline_icon())
    return buffer.getvalue()
