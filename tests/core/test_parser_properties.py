"""Property tests of the grammar: no input makes `parse` raise, every refusal can be told in words,
and what people type for a command parses back to exactly that command."""

from hypothesis import example, given
from hypothesis import strategies as st

from bot import commands as c
from bot.render import environment, render_error
from bot.rituals import catalog

WORD = st.text(
    alphabet=st.characters(blacklist_categories=("Zs", "Zl", "Zp", "Cc", "Cs")), min_size=1, max_size=15
).filter(lambda w: w.split() == [w])
WORDS = st.lists(WORD, min_size=1, max_size=8).map(" ".join)
NOTE = st.none() | WORDS
ERROR_MACROS = set(environment().get_template("errors.j2").make_module().__dict__)


@given(st.text(max_size=300))
@example("")
@example("/okr")
@example("@okrbot confidence")
@example("c 1 10/10")
@example("progress 1 1e400")
@example("progress 1 ,")
@example("priority drop #0 reason")
@example("schedule monday 24:00")
@example("skip 2026-W53")
@example("health red red red")
@example("\x00\u2028\u00a0")
def test_parse_never_raises_and_every_refusal_renders(text):
    result = c.parse(text)
    assert isinstance(result, (*c.Command.__args__, c.UsageError))
    if isinstance(result, c.UsageError):
        assert result.error in ERROR_MACROS and result.usage in c.USAGE
        assert render_error(result.error, prefix="/okr", **result.context)


PREFIXES = ("/okr", "@okrbot", "okrbot")


@given(st.sampled_from(PREFIXES), st.text(max_size=100).filter(lambda t: t[:1].isspace() or not t.startswith(PREFIXES)))
@example("/okr", "/okr mine")  # only one prefix is taken off: the second is an unknown command
def test_a_prefix_changes_nothing(prefix, text):
    words = text.split()
    if words and words[0].lower() in PREFIXES:
        assert isinstance(c.parse(f"{prefix} {text}"), c.UsageError)
    else:
        assert c.parse(f"{prefix} {text}") == c.parse(text)


@given(st.sampled_from(["confidence", "conf", "c", "CONF"]), WORD, st.integers(1, 10), st.booleans(), NOTE)
def test_confidence_round_trip(name, kr, value, out_of_ten, note):
    typed = f"{name} {kr} {value}{'/10' if out_of_ten else ''}" + (f" {note}" if note else "")
    assert c.parse(typed) == c.Confidence(kr, value, note)


@given(WORD, st.integers().filter(lambda n: not 1 <= n <= 10) | WORD.filter(lambda w: not w.isdigit()))
def test_confidence_outside_one_to_ten_is_refused(kr, value):
    result = c.parse(f"confidence {kr} {value}")
    if str(value).endswith("/10") and c.parse_confidence(str(value)) is not None:
        return  # "7/10" spelled by the generator is a valid confidence
    assert isinstance(result, c.UsageError) and result.error == "bad_confidence"


@given(WORD, st.integers(-10**9, 10**9), st.integers(0, 99), st.booleans(), NOTE)
def test_progress_round_trip(kr, whole, cents, percent, note):
    number = f"{whole}.{cents:02d}" if cents else str(whole)
    typed = f"progress {kr} {number}{'%' if percent else ''}" + (f" {note}" if note else "")
    assert c.parse(typed) == c.Progress(kr, float(number), note)


@given(st.sampled_from(["P1", "P2", "p1", "p2"]), WORDS, st.booleans())
def test_priority_add_round_trip(level, text, short):
    typed = f"priority {level} {text}" if short else f"priority add {level} {text}"
    assert c.parse(typed) == c.PriorityAdd(level.upper(), text)


@given(st.integers(1, 999), st.booleans(), NOTE)
def test_priority_done_and_drop_round_trip(number, hashed, reason):
    ref = f"#{number}" if hashed else str(number)
    assert c.parse(f"priority done {ref}") == c.PriorityDone(number)
    dropped = c.parse(f"priority drop {ref} {reason or ''}")
    assert dropped == (c.PriorityDrop(number, reason) if reason else c.UsageError(
        "missing", "priority", (("what", "priority.reason"),)))


@given(st.sampled_from(["plan", "win"]), WORDS)
def test_plan_and_win_round_trip(name, text):
    assert c.parse(f"{name} {text}") == (c.PlanAdd(text) if name == "plan" else c.WinAdd(text))


@given(st.sampled_from([("plan", c.MAX_TEXT), ("win", c.MAX_WIN), ("priority add P1", c.MAX_TEXT)]),
       st.integers(1, 50))
def test_over_long_text_is_refused_with_its_length(command, extra):
    name, limit = command
    result = c.parse(f"{name} {'x' * (limit + extra)}")
    assert isinstance(result, c.UsageError) and result.error == "too_long"
    assert result.context["length"] == str(limit + extra) and result.context["limit"] == str(limit)


NAME_WORD = WORD.filter(lambda w: w.lower() not in (*c.COLOURS, "new"))


@given(st.lists(NAME_WORD, min_size=1, max_size=4).map(" ".join), st.sampled_from(c.COLOURS), NOTE,
       st.booleans())
def test_health_round_trip(name, status, note, new):
    typed = f"health {'NEW ' if new else ''}{name} {status.upper()}" + (f" {note}" if note else "")
    assert c.parse(typed) == c.Health(name, status, note, new)


def test_a_metric_called_new_is_set_not_created():
    assert c.parse("health new green") == c.Health("new", "green")


@given(st.sampled_from(["okrs", "okr", "report", "status"]), st.none() | WORD)
def test_team_views_round_trip(name, team):
    result = c.parse(f"{name} {team or ''}")
    cls = c.Okrs if name.startswith("okr") else c.Report
    assert result == cls(team[:64] if team else None)


@given(st.integers(2000, 2100), st.integers(1, 53))
def test_skip_accepts_exactly_the_real_iso_weeks(year, week):
    from datetime import date

    try:
        date.fromisocalendar(year, week, 1)
        real = True
    except ValueError:
        real = False
    result = c.parse(f"skip {year}-w{week:02d}")
    assert result == (c.Skip(f"{year}-W{week:02d}") if real else c.UsageError(
        "bad_week", "skip", (("given", f"{year}-w{week:02d}"),)))


@given(st.sampled_from(catalog.names()), st.sampled_from(sorted(c.WEEKDAYS)), st.integers(0, 23), st.integers(0, 59))
def test_schedule_round_trip(ritual, day, hour, minute):
    assert c.parse(f"schedule {ritual} {day} {hour}:{minute:02d}") == c.Schedule(
        ritual, c.WEEKDAYS[day], f"{hour:02d}:{minute:02d}", True)
    assert c.parse(f"schedule {ritual} off") == c.Schedule(ritual, enabled=False)
