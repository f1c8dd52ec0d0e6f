"""`okrbot manifest teams`: the package a Teams admin uploads as is."""

from __future__ import annotations

import json
import re
import struct
import zipfile
import zlib
from dataclasses import replace
from pathlib import Path

import pytest
from jsonschema import Draft4Validator, FormatChecker

from adapters.teams import manifest as teams
from bot.commands import GRAMMAR, USAGE, UsageError, parse
from bot.render import render_macro
from okrbot.cli import main

APP_ID = "11111111-2222-3333-4444-555555555555"
# Microsoft's Teams app manifest schema v1.17 as published (MIT licence), unchanged: the version of
# OfficeDev/microsoft-teams-app-schema's MicrosoftTeams.schema.json whose manifestVersion is "1.17".
SCHEMA_FILE = Path(__file__).parent / "schema" / f"MicrosoftTeams.schema.v{teams.MANIFEST_VERSION}.json"
SCHEMA = json.loads(SCHEMA_FILE.read_text())
MANIFEST_SCHEMA = Draft4Validator(SCHEMA, format_checker=FormatChecker())


def _schema_errors(manifest: dict) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message[:200]}" for e in MANIFEST_SCHEMA.iter_errors(manifest)]


def _manifest_of(tmp_path, *options: str) -> dict:
    out = tmp_path / "okrbot-teams.zip"
    assert main(["manifest", "teams", "--app-id", APP_ID, "--out", str(out), *options]) == 0
    with zipfile.ZipFile(out) as archive:
        return json.loads(archive.read("manifest.json"))


@pytest.mark.parametrize("options", [(), ("--version", "2.10.3")])
def test_the_package_manifest_is_valid_against_the_teams_schema(tmp_path, options):
    manifest = _manifest_of(tmp_path, *options)
    assert manifest["manifestVersion"] == SCHEMA["properties"]["manifestVersion"]["const"]
    assert manifest["$schema"].endswith(f"/v{teams.MANIFEST_VERSION}/MicrosoftTeams.schema.json")
    assert _schema_errors(manifest) == []


@pytest.mark.parametrize("breakage", [
    lambda m: m["bots"][0]["commandLists"][0]["commands"][0].update(title="x" * 33),
    lambda m: m["bots"][0].update(scopes=["team", "everyone"]),
    lambda m: m.update(accentColor="blue"),
    lambda m: m.pop("developer"),
    lambda m: m.update(unknownField=True),
], ids=["long-command-title", "unknown-scope", "accent-colour", "no-developer", "unknown-field"])
def test_the_schema_refuses_what_teams_would_refuse(tmp_path, breakage):
    manifest = _manifest_of(tmp_path)
    breakage(manifest)
    assert _schema_errors(manifest)


def _decode_png(data: bytes) -> tuple[int, int, list[tuple[int, int, int, int]]]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, idat, header = 8, b"", None
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind, body = data[position + 4 : position + 8], data[position + 8 : position + 8 + length]
        (crc,) = struct.unpack(">I", data[position + 8 + length : position + 12 + length])
        assert zlib.crc32(kind + body) & 0xFFFFFFFF == crc
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        position += 12 + length
    width, height, depth, colour_type, *_ = header
    assert (depth, colour_type) == (8, 6)
    raw = zlib.decompress(idat)
    stride = width * 4 + 1
    pixels = []
    for y in range(height):
        row = raw[y * stride : (y + 1) * stride]
        assert row[0] == 0
        pixels.extend(tuple(row[1 + 4 * x : 5 + 4 * x]) for x in range(width))
    return width, height, pixels


def test_package_has_manifest_and_icons(tmp_path, capsys):
    out = tmp_path / "okrbot-teams.zip"
    assert main(["manifest", "teams", "--app-id", APP_ID, "--out", str(out)]) == 0
    assert "upload" in capsys.readouterr().out.lower()
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == ["color.png", "es.json", "manifest.json", "outline.png", "zh-cn.json"]
        manifest = json.loads(archive.read("manifest.json"))
        colour = _decode_png(archive.read("color.png"))
        outline = _decode_png(archive.read("outline.png"))

    assert manifest["id"] == APP_ID and manifest["manifestVersion"] == "1.17"
    [bot] = manifest["bots"]
    assert bot["botId"] == APP_ID and set(bot["scopes"]) == {"team", "personal", "groupChat"}
    assert manifest["authorization"]["permissions"]["resourceSpecific"] == [
        {"name": "ChannelMessage.Read.Group", "type": "Application"}]
    assert manifest["webApplicationInfo"]["id"] == APP_ID
    for command_list in bot["commandLists"]:
        assert len(command_list["commands"]) <= 10
        for command in command_list["commands"]:
            assert len(command["title"]) <= 32 and len(command["description"]) <= 128
            parsed = parse(command["title"])  # every listed command is one okrbot understands
            assert not (isinstance(parsed, UsageError) and parsed.error == "unknown_command"), command
    assert len(manifest["description"]["short"]) <= 80 and len(manifest["name"]["short"]) <= 30

    width, height, pixels = colour
    assert (width, height) == (192, 192) and all(a == 255 for *_, a in pixels)
    assert len({p[:3] for p in pixels}) == 2
    width, height, pixels = outline
    assert (width, height) == (32, 32)
    assert set(pixels) == {(255, 255, 255, 255), (0, 0, 0, 0)}  # white on transparent only
    assert pixels[0] == (0, 0, 0, 0)


# What Microsoft's localization schema (MicrosoftTeams.Localization.schema.json) lets a language file say: the
# manifest's strings by where they are, with the manifest's own limits.
LOCALIZED = {r"name\.short": 30, r"name\.full": 100, r"description\.short": 80, r"description\.full": 4000,
             r"bots\[0\]\.commandLists\[[0-9]\]\.commands\[[0-9]\]\.title": 32,
             r"bots\[0\]\.commandLists\[[0-9]\]\.commands\[[0-9]\]\.description": 128}


def _localization_problems(strings: dict, manifest: dict) -> list[str]:
    problems = [] if strings.get("$schema") == teams.LOCALIZATION_SCHEMA else ["$schema"]
    for key, value in strings.items():
        limit = next((size for pattern, size in LOCALIZED.items() if re.fullmatch(pattern, key)), None)
        if key != "$schema" and (limit is None or not isinstance(value, str) or not 0 < len(value) <= limit):
            problems.append(f"{key}: {value!r}")
    commands = [(i, j) for i, listed in enumerate(manifest["bots"][0]["commandLists"])
                for j, _ in enumerate(listed["commands"])]
    for i, j in commands:  # every command of the manifest, and nothing more
        where = f"bots[0].commandLists[{i}].commands[{j}]"
        if strings.get(f"{where}.title") != manifest["bots"][0]["commandLists"][i]["commands"][j]["title"]:
            problems.append(f"{where}.title is not the command typed")
    if sum(key.endswith(".description") and key.startswith("bots") for key in strings) != len(commands):
        problems.append("not one description per command")
    return problems


def test_every_shipped_language_has_its_localization_file(tmp_path):
    """The manifest names a localization file per shipped language (Teams picks it by the client's language), and
    each is valid JSON in Microsoft's localization format, in its language: what an admin installs reads Chinese
    in a Chinese Teams."""
    out = tmp_path / "okrbot-teams.zip"
    assert main(["manifest", "teams", "--app-id", APP_ID, "--out", str(out)]) == 0
    with zipfile.ZipFile(out) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        files = {entry["languageTag"]: json.loads(archive.read(entry["file"]))
                 for entry in manifest["localizationInfo"]["additionalLanguages"]}
    assert manifest["localizationInfo"]["defaultLanguageTag"] == "en"
    assert sorted(files) == ["es", "zh-cn"]
    for tag, strings in files.items():
        assert _localization_problems(strings, manifest) == [], tag
        assert strings["description.short"] != manifest["description"]["short"], tag
        said = " ".join(v for k, v in strings.items() if k.endswith(".description"))
        english = [c["description"] for listed in manifest["bots"][0]["commandLists"] for c in listed["commands"]]
        assert said != " ".join(english), tag
    assert "信心指数" in files["zh-cn"]["description.short"]
    assert "prioridades" in files["es"]["description.short"]


def test_the_localization_check_can_fail():
    manifest = teams.teams_manifest(APP_ID)
    strings = teams.localization("es")
    assert _localization_problems({**strings, "name.full": "x" * 101}, manifest)
    assert _localization_problems({**strings, "bots[0].commandLists[0].commands[0].title": "ayuda"}, manifest)
    assert _localization_problems({**strings, "accentColor": "#000000"}, manifest)


def test_bad_app_id_is_explained(tmp_path, capsys):
    assert main(["manifest", "teams", "--app-id", "my-bot", "--out", str(tmp_path / "x.zip")]) == 2
    assert "GUID" in capsys.readouterr().err
    assert not (tmp_path / "x.zip").exists()


def test_the_command_lists_are_the_grammars_menus(tmp_path):
    """Each list is the grammar's entries offered in that menu (Verb.menu), each described by its usage and the
    line help says of it: a command's menu entry is written once, in the grammar and its help line."""
    personal, team = _manifest_of(tmp_path)["bots"][0]["commandLists"]
    assert personal["scopes"] == ["personal"] and team["scopes"] == ["team", "groupChat"]
    for listed, menu in ((personal, "personal"), (team, "team")):
        assert [c["title"] for c in listed["commands"]] == [v.name for v in GRAMMAR.values() if menu in v.menu]
    described = {c["title"]: c["description"] for c in personal["commands"] + team["commands"]}
    assert described["confidence"] == "confidence KR 1-10 [note]: " + render_macro("commands", "confidence",
                                                                                   prefix="@okrbot")
    assert described["schedule"].startswith(USAGE["schedule"].split("  ·  ")[0][:60])  # the catalog's rituals
    assert described["mine"] == render_macro("commands", "mine", prefix="@okrbot")


def test_a_menu_longer_than_teams_allows_fails_the_build(monkeypatch):
    first = list(GRAMMAR.items())[:teams.MENU_SIZE + 1]
    crowded = {name: replace(verb, menu=("personal",)) for name, verb in first}
    monkeypatch.setattr("adapters.teams.manifest.GRAMMAR", {**GRAMMAR, **crowded})
    with pytest.raises(ValueError, match=f"at most {teams.MENU_SIZE} commands"):
        teams.command_list("personal")
