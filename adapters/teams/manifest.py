"""The Teams app package (manifest.json + two icons, zipped) a Teams admin uploads as is.

- The bot runs in the team, personal and groupChat scopes, with the command lists Teams shows, drawn
  from the grammar (bot.commands.Verb.menu).
- The resource-specific permission ChannelMessage.Read.Group lets the bot hear every reply in the
  Friday wins thread, not only the ones that @mention it (a team owner consents on install).
- The manifest speaks English (`localizationInfo.defaultLanguageTag`); each other shipped language has its
  localization file (`zh-cn.json`, `es.json`) beside it, drawn from the catalogs: the app's full name, its
  descriptions and the command lists' descriptions, which Teams shows by the client's language. Command titles
  are what a click types, so they stay the English command words.
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

from adapters.teams.platform import PLATFORM as TEAMS
from bot import i18n
from bot.commands import GRAMMAR, Verb
from bot.render import render_macro

MANIFEST_VERSION = "1.17"
SCHEMA = f"https://developer.microsoft.com/json-schemas/teams/v{MANIFEST_VERSION}/MicrosoftTeams.schema.json"
LOCALIZATION_SCHEMA = (f"https://developer.microsoft.com/json-schemas/teams/v{MANIFEST_VERSION}/"
                       "MicrosoftTeams.Localization.schema.json")
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
RSC = "ChannelMessage.Read.Group"
BLUE = (38, 99, 235)
WHITE = (255, 255, 255)

# Teams' command lists: at most 10 commands each, a title up to 32 characters, a description up to 128. Which
# commands, and what they say, come from the grammar (`Verb.menu`, its usage, its help line): nothing here.
MENU_SIZE, TITLE_SIZE, DESCRIPTION_SIZE = 10, 32, 128
MENUS = (("personal", ["personal"]), ("team", ["team", "groupChat"]))  # a grammar menu -> the Teams scopes


def words(macro: str, **context: object) -> str:
    return render_macro("manifests", macro, **context)


def teams_manifest(app_id: str, *, name: str = "okrbot", url: str = "https://github.com/okrbot/okrbot",
                   version: str = "1.0.0") -> dict[str, Any]:
    if not GUID.match(app_id):
        raise ValueError(f"{app_id!r} is not a Microsoft App ID (a GUID like 00000000-0000-0000-0000-000000000000)")
    with i18n.speaking(i18n.ENGLISH):
        return _manifest(app_id, name, url, version)


def _manifest(app_id: str, name: str, url: str, version: str) -> dict[str, Any]:
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
            "commandLists": [{"scopes": scopes, "commands": command_list(menu)} for menu, scopes in MENUS],
        }],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [],
        "webApplicationInfo": {"id": app_id, "resource": "https://RscPermission"},
        "authorization": {"permissions": {"resourceSpecific": [{"name": RSC, "type": "Application"}]}},
        "localizationInfo": {
            "defaultLanguageTag": i18n.ENGLISH,
            "additionalLanguages": [{"languageTag": tag, "file": f"{tag}.json"} for tag in other_languages()],
        },
    }


def other_languages() -> list[str]:
    """The shipped languages besides English, as Teams writes a language tag (`zh-cn`, `es`)."""
    return [tag.lower() for tag, _name in i18n.languages() if tag != i18n.ENGLISH]


def localization(tag: str, *, name: str = "okrbot") -> dict[str, Any]:
    """A language's localization file (Microsoft's Teams localization schema): the manifest's strings that
    people read, in that language, keyed by where they are in manifest.json."""
    with i18n.speaking(tag):
        strings: dict[str, Any] = {
            "$schema": LOCALIZATION_SCHEMA,
            "name.short": name,
            "name.full": words("teams_name", app=name),
            "description.short": words("teams_short"),
            "description.full": words("teams_full"),
        }
        for index, (menu, _scopes) in enumerate(MENUS):
            for position, command in enumerate(command_list(menu)):
                where = f"bots[0].commandLists[{index}].commands[{position}]"
                strings[f"{where}.title"] = command["title"]
                strings[f"{where}.description"] = command["description"]
    return strings


def command_list(menu: str) -> list[dict[str, str]]:
    """The grammar's commands offered in `menu`, in the grammar's order: the title is the command, the
    description its first usage form and its help line (what `help` says of it, the prefix dropped)."""
    verbs = [verb for verb in GRAMMAR.values() if menu in verb.menu]
    if len(verbs) > MENU_SIZE:
        raise ValueError(f"Teams lists at most {MENU_SIZE} commands; the grammar offers {len(verbs)} in the "
                         f"{menu} menu: {', '.join(v.name for v in verbs)}")
    return [{"title": verb.name[:TITLE_SIZE], "description": _description(verb)} for verb in verbs]


def _description(verb: Verb) -> str:
    says = render_macro(verb.words, verb.name, prefix=TEAMS.prefix).replace("`", "").strip()
    form = verb.forms[0]
    text = says if form == verb.name else f"{form}: {says}"
    return text if len(text) <= DESCRIPTION_SIZE else text[: DESCRIPTION_SIZE - 1].rstrip() + "…"


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
    """The zip Teams admin centre ("Upload a custom app") accepts: the manifest, its localization files and the
    two icons, at its root."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(teams_manifest(app_id, **manifest), indent=2))
        for tag in other_languages():
            strings = localization(tag, name=manifest.get("name", "okrbot"))
            archive.writestr(f"{tag}.json", json.dumps(strings, indent=2, ensure_ascii=False))
        archive.writestr("color.png", colour_icon())
        archive.writestr("outline.png", outline_icon())
    return buffer.getvalue()
