"""What a command lacks or has too much of is said from the grammar's argument names (bot.commands: `VERB` or
`VERB.PART`), and errors.j2 words each one in every shipped language: no argument of the grammar is left to show
its key, or its English, to a person who speaks another language."""

from __future__ import annotations

import pytest

from bot import commands, i18n
from bot.render import environment, render_error

LONG = "x" * 5000
# Inputs that leave out, or overfill, each argument of each command; `{verb}` is the command word.
PROBES = ("{verb}", "{verb} 1", "{verb} 1 2", "{verb} add", "{verb} add P1", "{verb} drop 1", "{verb} P1",
          "{verb} " + LONG, "{verb} 1 " + LONG, "{verb} 1 5 " + LONG, "{verb} add P1 " + LONG,
          "{verb} drop 1 " + LONG, "{verb} P1 " + LONG, "{verb} " + LONG + " @zhaolei", "{verb} sales " + LONG,
          "{verb} " + "n" * 101 + " green", "{verb} 1 remove because " + LONG)
FIELDS = [f"change 1 {field} because why" for field in commands.CHANGE_FIELDS if field != "remove"] + [
    f"change 1 {field} {'9' * 40} because why" for field in commands.CHANGE_FIELDS if field != "remove"] + [
    f"change 1 title {'t' * 301} because why", f"change 1 why {'w' * 2001} because why"]


def refusals() -> dict[tuple[str, str], str]:
    """(error, argument) -> a command typed that way, for every `missing` and `too_long` the grammar says."""
    found = {}
    typed = [probe.format(verb=verb) for verb in commands.GRAMMAR for probe in PROBES] + FIELDS
    for text in typed:
        parsed = commands.parse(text)
        if isinstance(parsed, commands.UsageError) and parsed.error in ("missing", "too_long"):
            found.setdefault((parsed.error, parsed.context["what"]), text)
    return found


def test_the_probes_reach_every_kind_of_argument():
    found = refusals()
    assert len({what for error, what in found if error == "missing"}) >= 20
    assert ("too_long", "change.title") in found and ("missing", "change.why") in found


def test_every_argument_the_grammar_names_is_worded():
    """errors.j2's `argument` knows each one (the catalog check then holds each wording in every language)."""
    words = environment().get_template("errors.j2").make_module()
    unknown = sorted(f"{error} {what} (typed {text[:30]!r})" for (error, what), text in refusals().items()
                     if not str(words.argument(what, error)).strip())
    assert not unknown, f"add these to errors.j2's argument: {unknown}"


@pytest.mark.parametrize("language", [tag for tag, _name in i18n.languages() if tag != i18n.ENGLISH])
def test_a_missing_argument_is_said_in_the_language(language):
    with i18n.speaking(language):
        said = render_error("missing", what="help-needed")
    assert "help" not in said and "@" in said, said
