"""Human wording lives in prompts/*.j2: the card and form renderers hold symbols and markup, never words, and
neither do the dashboard's routes (page titles), the Slack and Teams manifests, the Teams delivery's
failure reasons or the card model (a form's submit label), nor the importer and the command line, whose
raised messages are read by people too, nor the REST API and the sandbox, whose raised problems and HTTP
answers are.

A string of two or more words in those modules' code (docstrings, the messages of raised errors and of
log calls, which are for developers, aside) or in the text of the card and form HTML templates fails here: it
belongs in a prompts/ macro (card_words.j2, form_words.j2, errors.j2, ...) that the code calls.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from jinja2 import nodes

from adapters.web.html import environment

ROOT = Path(__file__).resolve().parents[1]
RENDERERS = [
    "adapters/slack/blocks.py",
    "adapters/teams/cards.py",
    "adapters/teams/markdown.py",
    "adapters/web/html.py",
    "okrbot/textcard.py",
    "bot/markup.py",
    "bot/cards.py",
    "bot/model.py",
    "adapters/web/routes.py",
    "adapters/web/access.py",
    "adapters/web/errors.py",
    "adapters/web/guard.py",
    "adapters/slack/manifest.py",
    "adapters/teams/manifest.py",
    "adapters/teams/delivery.py",
]
# Modules that speak to people through what they raise too (the administrator at the command line, whoever wrote an
# import file): their raised messages count, only docstrings and log calls are skipped.
SPEAKERS = [
    "bot/importer.py",
    "bot/history.py",
    "bot/api/problems.py",
    "bot/api/keyresults.py",
    "bot/api/idempotency.py",
    "bot/api/service.py",
    "adapters/api/__init__.py",
    "adapters/sandbox/routes.py",
    "okrbot/cli.py",
    "okrbot/cli_api.py",
    "okrbot/cli_cycles.py",
    "okrbot/cli_data.py",
    "okrbot/cli_manifest.py",
    "okrbot/cli_rituals.py",
    "okrbot/cli_signin.py",
    "okrbot/workers.py",
]
STORED = {
    "changed by import",  # a check-in's note as the database keeps it: data, not a message
    'Bearer realm="okrbot"',  # protocol text (WWW-Authenticate) that happens to look like words
}
GETTEXT = {"gettext", "ngettext", "pgettext"}  # words through the catalogs (bot.i18n) are where they belong
NAMING = {"say", "said", "helped"}  # okrbot.cli and bot.importer: their positional arguments name a macro and a key
LOG_CALLS = {"debug", "info", "warning", "error", "exception", "critical"}
TEMPLATES = ["card.html.j2", "form.html.j2"]
WORDS = re.compile(r"[A-Za-z]{2,} [a-z]{2,}")


def _code_strings(source: str, raises_speak: bool = False) -> list[str]:
    tree = ast.parse(source)
    skipped: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        first = body[0] if isinstance(body, list) and body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
            skipped.add(id(first.value))  # a docstring
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in NAMING:
            skipped.update(id(arg) for arg in node.args)  # a macro's name and key, not words
        if (isinstance(node, ast.Raise) and not raises_speak) or (
                isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in LOG_CALLS):
            skipped.update(id(inner) for inner in ast.walk(node))
        if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None)) in GETTEXT:
            skipped.update(id(inner) for inner in ast.walk(node))
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skipped]


def _template_text(name: str) -> list[str]:
    source = environment().loader.get_source(environment(), name)[0]  # type: ignore[union-attr]
    tree = environment().parse(source)
    texts = []
    for node in tree.find_all(nodes.TemplateData):
        text = re.sub(r"^[^<]*?>", " ", node.data)  # the end of a tag an expression interrupted
        texts.append(re.sub(r"<[^>]*(>|$)", " ", text))  # tags, and the start of an interrupted one
    texts.extend(node.value for node in tree.find_all(nodes.Const) if isinstance(node.value, str))
    return texts


@pytest.mark.parametrize("path", RENDERERS)
def test_renderers_hold_no_words(path):
    found = [s for s in _code_strings((ROOT / path).read_text(encoding="utf-8")) if WORDS.search(s)]
    assert not found, f"{path}: move {found} into a prompts/*.j2 macro"


@pytest.mark.parametrize("path", SPEAKERS)
def test_modules_that_speak_to_people_hold_no_words(path):
    source = (ROOT / path).read_text(encoding="utf-8")
    found = [s for s in _code_strings(source, raises_speak=True) if WORDS.search(s) and s not in STORED]
    assert not found, f"{path}: move {found} into a prompts/*.j2 macro"


@pytest.mark.parametrize("name", TEMPLATES)
def test_card_and_form_templates_hold_no_words(name):
    found = [s.strip() for s in _template_text(name) if WORDS.search(s)]
    assert not found, f"{name}: move {found} into a prompts/*.j2 macro"


def test_the_check_finds_words():
    assert _code_strings('x = f"{d} since last week"\nraise TypeError("no such thing")') == [" since last week"]
    assert _code_strings('log.warning("a Slack reply failed")\nForm(label="Save it now")') == ["Save it now"]
    assert [t for t in _template_text("card.html.j2") if "confidence" in t] == []
    assert " is not a date" in _code_strings('raise SystemExit(f"--at {t} is not a date")', raises_speak=True)
    raised = 'raise web.HTTPNotFound(text="No such channel.")'
    assert _code_strings(raised) == [] and _code_strings(raised, raises_speak=True) == ["No such channel."]
    assert _code_strings('name = i18n.gettext("New organization")') == []
