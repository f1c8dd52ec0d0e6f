"""Every command okrbot knows, typed the right way and the wrong ways, derived from bot.commands.

Nothing here lists the commands: they come from `USAGE` (each command's forms, "  ·  " between them)
and `ALIASES`, so a command added to the grammar is swept without editing the sweep. A usage form is
read as words: a lowercase word is typed as is (`add`, `off`); `a|b` is a choice; `[x]` is optional;
an UPPERCASE word is a placeholder filled from `VALUES` (one the sweep does not know is typed both as
written and as `1`). Valid forms vary one slot at a time (not every combination), so the sweep stays
linear in the size of the grammar; invalid forms leave out the arguments, break one placeholder at a
time, or make the text too long.
"""

from __future__ import annotations

import re

from bot.commands import ALIASES, MAX_WIN, USAGE

SEPARATOR = "  ·  "
JUNK = "zz¿"
# What people type for each placeholder; the first is the one used while another slot varies.
VALUES: dict[str, tuple[str, ...]] = {
    "KR": ("1", "rd-o1-kr3", "build"),
    "1-10": ("7",),
    "0.0-1.0": ("0.7",),
    "note": ("sweep note",),
    "VALUE": ("42",),
    "TEXT": ("sweep text",),
    "N": ("1", "#2"),
    "REASON": ("no time this week",),
    "NAME": ("On-call load", "on-call"),
    "TEAM": ("rd-efficiency", "ecology"),
    "DAY": ("tue",),
    "HH:MM": ("09:30",),
    "YYYY-Www": ("2026-W52",),
    "YYYY-MM-DD..YYYY-MM-DD": ("2026-12-21..2027-01-04", "2026-12-24"),
}
TOO_LONG = "x" * (MAX_WIN + 1)


def _slots(form: str) -> list[tuple[tuple[str, ...], bool, bool]]:
    """(choices, optional, placeholder) for each word of a usage form after the command name."""
    slots = []
    for word in form.split()[1:]:
        optional = word.startswith("[") and word.endswith("]")
        word = word.strip("[]")
        choices: list[str] = []
        placeholder = False
        for choice in word.split("|"):
            if choice in VALUES:
                choices.extend(VALUES[choice])
                placeholder = True
            elif re.search(r"[A-Z]", choice) and not re.fullmatch(r"P\d", choice):
                choices.extend((choice, "1"))  # a placeholder this sweep has no words for
                placeholder = True
            else:
                choices.append(choice)
        slots.append((tuple(dict.fromkeys(choices)), optional, placeholder))
    return slots


def valid(form: str) -> list[str]:
    """The form with every slot's first choice, then each other choice of one slot, then without optionals."""
    name = form.split()[0]
    slots = _slots(form)
    base = [choices[0] for choices, _, _ in slots]
    texts = [base]
    for index, (choices, _, _) in enumerate(slots):
        texts.extend(base[:index] + [choice] + base[index + 1:] for choice in choices[1:])
    if any(optional for _, optional, _ in slots):
        texts.append([word for word, (_, optional, _) in zip(base, slots, strict=True) if not optional])
    return [" ".join([name, *words]) for words in texts]


def invalid(form: str) -> list[str]:
    """The command without its arguments, with each placeholder broken in turn, and with far too much text."""
    name = form.split()[0]
    slots = _slots(form)
    if not slots:
        return [f"{name} {JUNK}"]
    base = [choices[0] for choices, _, _ in slots]
    texts = [name]
    texts.extend(" ".join([name, *base[:index], JUNK, *base[index + 1:]])
                 for index, (_, _, placeholder) in enumerate(slots) if placeholder or len(slots[index][0]) > 1)
    texts.append(" ".join([name, *base, TOO_LONG]))
    return texts


def forms() -> list[str]:
    return [form.strip() for usage in USAGE.values() for form in usage.split(SEPARATOR)]


def valid_commands() -> list[str]:
    texts = [text for form in forms() for text in valid(form)]
    first = {form.split()[0]: form for form in reversed(forms())}
    texts.extend(valid(first[target].replace(target, alias, 1))[0] for alias, target in ALIASES.items()
                 if target in first)
    return list(dict.fromkeys(texts))


def invalid_commands() -> list[str]:
    texts = [text for form in forms() for text in invalid(form)]
    return list(dict.fromkeys(["", "frobnicate the thing", *texts]))
