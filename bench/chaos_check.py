"""The chaos bench's independent checker: what the platforms received (the fakes' records) against what
the database says, with the schedule recomputed here from the ritual settings and zoneinfo alone
(none of okrbot's scheduling code), so a bug there cannot hide itself.

It proves, for the simulated quarter [start, end]:
- every due ritual of every team has its run, posted exactly once on the platform, inside its local
  window (due time to the end of that local day; the report: to the end of its week), or recorded
  skipped or failed with its reason (a permanent failure with the lead told);
- no ritual post is orphaned (a ritual message on a platform that no posted run accounts for);
- every check-in that received an answer is stored exactly once, and none is stored twice;
- no win (nor priority) is stored twice, and every answered one is stored.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

CHANNEL_RITUALS = ("monday", "friday", "wrapup")
# The weekly rituals, whose schedule is recomputed here; the once-per-cycle ones (kickoff, mid-quarter
# review...) are due on days of the cycle, and tests/rituals/test_cycle_rituals.py holds them to it.
WEEKLY = ("monday", "friday", "wrapup", "report", "nudge")
KINDS = (("monday", re.compile(r"four-square of (\d{4}-W\d\d)")),
         ("monday", re.compile(r", (\d{4}-W\d\d): \d+ priorit")),  # Slack's fallback of the four-square
         ("friday", re.compile(r"wins of (\d{4}-W\d\d)")),
         ("wrapup", re.compile(r": \d+ wins? in (\d{4}-W\d\d)")),  # Slack's fallback of the wrap-up
         ("wrapup", re.compile(r" wins · (\d{4}-W\d\d)")))  # its title, which a Teams card shows
# An answer that says nothing was kept: an apology (the database restarting under it) or a refusal by the
# method's rules (a fifth priority). Such a request is answered but rightly not stored; the summary counts
# them. Bolt's "your installation ... is no longer available" is not one: it was a lost request (#17).
REFUSED = re.compile(r"nothing was changed|nothing was saved|the most the method allows|Sorry|Something went wrong")
TOKEN = re.compile(r"\b((?:checkin|win|priority|winform)-\d+)\b")


def ritual_of(text: str) -> tuple[str, str] | None:
    """(ritual, week) of a channel post, from its text (the title each ritual's card carries)."""
    for ritual, pattern in KINDS:
        if found := pattern.search(text or ""):
            return ritual, found.group(1)
    return None


@dataclass
class Post:
    platform: str
    channel: str
    ref: str  # Slack ts; Teams activity id
    ritual: str
    week: str


@dataclass
class Records:
    """What the fakes recorded, detached from them: ritual posts, and each person's request with its answer."""

    posts: list[Post]
    sent: list[Any]  # bench.chaos.Sent
    answers: dict[str, str]  # token -> the bot's answer through the platform (response_url, reply)
    calls: Counter
    dropped: int = 0  # ritual posts carried out whose answer was dropped: okrbot could not tell they arrived

    @classmethod
    def of(cls, slack, connector, sent: list[Any]) -> Records:
        posts, answers, calls, dropped = [], {}, Counter(), 0
        for channel, messages in slack.messages.items():
            for message in messages:
                if message.get("bot_id") == slack.bot_id and (kind := ritual_of(message.get("text", ""))):
                    posts.append(Post("slack", channel, message["ts"], *kind))
        for call in slack.calls:
            calls[f"slack {call.method}"] += 1
            dropped += call.method == "chat.postMessage" and call.fault == "dropped" and bool(
                ritual_of(call.body.get("text", "")))
            if call.method == "response_url":
                answers[call.path.rsplit("/", 1)[-1]] = call.body.get("text") or str(call.body)
        for call in connector.calls:
            calls[f"teams {call.kind}"] += 1
            if call.answer_status >= 300:
                continue
            dropped += call.kind in ("create", "reply", "send") and call.fault == "dropped" and bool(
                ritual_of(call.text))
            if call.kind == "create" and (kind := ritual_of(call.text)):
                channel = ((call.body.get("channelData") or {}).get("channel") or {}).get("id", "")
                posts.append(Post("teams", channel, call.activity_id, *kind))
            elif call.kind in ("reply", "send") and (kind := ritual_of(call.text)) and ";messageid=" in (
                    call.conversation or ""):
                posts.append(Post("teams", call.conversation.split(";")[0], call.reply_id or call.activity_id,
                                  *kind))
            elif call.kind == "reply" and call.activity_id:
                answers[call.activity_id] = call.text
        return cls(posts, list(sent), answers, calls, dropped)


@dataclass
class Report:
    due: int = 0
    states: Counter = field(default_factory=Counter)
    reasons: Counter = field(default_factory=Counter)
    lateness: list[float] = field(default_factory=list)  # simulated minutes after the due time
    overran: int = 0  # posted runs recorded after their window closed, within the grace (a send under way)
    posts: int = 0
    doubled: int = 0
    in_doubt: int = 0  # ritual posts whose answer the platform dropped: okrbot had to ask whether they arrived
    orphaned: int = 0
    sent: Counter = field(default_factory=Counter)
    answered: Counter = field(default_factory=Counter)
    refused: Counter = field(default_factory=Counter)  # answered with an apology or a refusal, not stored
    stored: Counter = field(default_factory=Counter)
    stored_twice: Counter = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        late = sorted(self.lateness)
        lines = [
            f"rituals due {self.due}: " + ", ".join(
                f"{s} {self.states[s]}" for s in sorted({"posted", "skipped", "failed", *self.states}))
            + (f"; not posted because: {dict(self.reasons)}" if self.reasons else ""),
            f"ritual channel posts on the platforms {self.posts}: doubled {self.doubled}, orphaned {self.orphaned}; "
            f"{self.in_doubt} of them had their answer dropped (looked for on Slack's history or Teams' Graph, "
            f"not sent again)",
            (f"posted after their due time (simulated minutes): median {statistics.median(late):.0f}, "
             f"p99 {late[int(0.99 * (len(late) - 1))]:.0f}, max {late[-1]:.0f}; recorded after the window closed "
             f"(sending began inside it) {self.overran}") if late else "nothing posted",
        ]
        for kind in sorted(self.sent):
            lines.append(f"{kind}: sent {self.sent[kind]}, answered {self.answered[kind]} (of which refused or "
                         f"apologised {self.refused[kind]}), stored {self.stored[kind]}, "
                         f"stored twice {self.stored_twice[kind]}")
        lines.append(f"checker: {'OK' if self.ok else f'{len(self.problems)} PROBLEMS'}")
        lines += [f"  - {p}" for p in self.problems[:40]]
        if len(self.problems) > 40:
            lines.append(f"  ... and {len(self.problems) - 40} more")
        return "\n".join(lines)


def week_of(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def dues(weekday: int, at: str, zone: str, start: datetime, end: datetime) -> list[tuple[str, datetime, datetime]]:
    """(week, due instant, end of its window) of each occurrence in [start, end], from zoneinfo alone."""
    tz = ZoneInfo(zone)
    hours, minutes = (int(part) for part in at.split(":"))
    day = start.astimezone(tz).date() - timedelta(days=7)
    day -= timedelta(days=day.weekday())
    found = []
    while day <= end.astimezone(tz).date() + timedelta(days=7):
        local = day + timedelta(days=weekday)
        due = datetime.combine(local, time(hours, minutes), tz).astimezone(UTC)
        if start <= due <= end:
            found.append((week_of(local), due, local))
        day += timedelta(days=7)
    return found


def window_end(ritual: str, local_day: date, zone: str) -> datetime:
    last = local_day + timedelta(days=6 - local_day.weekday()) if ritual == "report" else local_day
    return datetime.combine(last + timedelta(days=1), time(0, 0), ZoneInfo(zone)).astimezone(UTC)


def _aware(moment: datetime | None) -> datetime | None:
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=UTC)


def check(database_url: str, records: Records, start: datetime, end: datetime,
          grace: timedelta = timedelta(0)) -> Report:
    """`grace`: how long after its window closed a run may be recorded posted (the simulated time one
    send with its retries takes at the bench's speed; okrbot decides at the start of a send)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as db:
        settings = db.execute(text(
            "SELECT s.team_id, s.ritual, s.weekday, s.time, t.timezone, t.key FROM ritual_settings s "
            "JOIN teams t ON t.id = s.team_id WHERE s.enabled")).all()
        settings = [s for s in settings if s.ritual in WEEKLY]
        channels = {(row.team_id, row.platform): row.channel_id for row in db.execute(text(
            "SELECT team_id, platform, channel_id FROM channel_bindings")).all()}
        runs = {(r.team_id, r.ritual, r.period): r for r in db.execute(text(
            "SELECT team_id, ritual, period, state, reason, posted_at, platform, channel_id, message_ref, "
            "lead_notified FROM ritual_runs")).all()}
        notes = Counter(db.scalars(text("SELECT note FROM checkins WHERE note IS NOT NULL")).all())
        wins = Counter(db.scalars(text("SELECT text FROM wins")).all())
        # a priority carried to the next week is a new row of the same text: only the first one counts
        priorities = Counter(db.scalars(text("SELECT text FROM priorities WHERE carried_from_id IS NULL")).all())
    engine.dispose()
    report = Report()
    _rituals(report, records, settings, channels, runs, start, end, grace)
    _requests(report, records, notes, wins, priorities)
    return report


def _rituals(report: Report, records: Records, settings, channels, runs, start: datetime, end: datetime,
             grace: timedelta) -> None:
    on_platform: dict[tuple[str, str, str], list[Post]] = defaultdict(list)
    for post in records.posts:
        on_platform[(post.channel, post.ritual, post.week)].append(post)
    report.posts = len(records.posts)
    report.in_doubt = records.dropped
    accounted: set[tuple[str, str, str]] = set()
    for s in settings:
        for week, due, local_day in dues(s.weekday, s.time, s.timezone, start, end):
            report.due += 1
            run = runs.get((s.team_id, s.ritual, week))
            where = f"{s.key} {s.ritual} {week} (due {due:%Y-%m-%d %H:%M} UTC, {s.timezone})"
            if run is None:
                report.states["missing"] += 1
                report.problems.append(f"{where}: no run recorded")
                continue
            report.states[run.state] += 1
            if s.ritual not in CHANNEL_RITUALS:
                posts = []
            else:
                channel = run.channel_id or next((c for (team, _), c in channels.items() if team == s.team_id), "")
                accounted.add((channel, s.ritual, week))
                posts = on_platform.get((channel, s.ritual, week), [])
            if run.state == "posted":
                posted = _aware(run.posted_at)
                report.lateness.append((posted - due).total_seconds() / 60)
                closes = window_end(s.ritual, local_day, s.timezone)
                report.overran += closes < posted <= closes + grace
                if not due <= posted <= closes + grace:
                    report.problems.append(f"{where}: posted at {posted:%Y-%m-%d %H:%M} UTC, outside its window")
                if s.ritual in CHANNEL_RITUALS and len(posts) != 1:
                    report.problems.append(f"{where}: posted, but {len(posts)} posts on {run.platform}")
                if s.ritual in ("monday", "friday") and posts and run.message_ref not in {p.ref for p in posts}:
                    report.problems.append(f"{where}: the run's message {run.message_ref} is not on the platform")
            else:
                report.reasons[f"{run.state}: {(run.reason or '').split(':')[0]}"] += 1
                if run.state == "failed" and (run.reason or "").startswith("permanent") and not run.lead_notified:
                    report.problems.append(f"{where}: failed ({run.reason}) and no lead was told")
                if run.state not in ("failed", "skipped"):
                    report.problems.append(f"{where}: left {run.state} ({run.reason})")
                if len(posts) > 0 and run.state == "skipped":
                    report.problems.append(f"{where}: skipped ({run.reason}) yet {len(posts)} posts on the platform")
            if len(posts) > 1:
                report.doubled += len(posts) - 1
    posted_keys = {(r.channel_id, r.ritual, r.period) for r in runs.values() if r.state in ("posted", "failed")}
    for key, posts in on_platform.items():
        if key not in accounted and key not in posted_keys:
            report.orphaned += len(posts)
            report.problems.append(f"{key}: {len(posts)} ritual post(s) no run accounts for")


def _requests(report: Report, records: Records, notes: Counter, wins: Counter, priorities: Counter) -> None:
    stored = {"checkin": notes, "win": Counter(), "winform": Counter(), "priority": Counter()}
    for table, kinds in ((wins, ("win", "winform")), (priorities, ("priority",))):
        for value, count in table.items():
            if found := TOKEN.search(value):
                for kind in kinds:
                    if found.group(1).startswith(kind + "-"):
                        stored[kind][found.group(1)] += count
    for sent in records.sent:
        report.sent[sent.kind] += 1
        count = stored[sent.kind].get(sent.token, 0)
        answered = sent.answer or records.answers.get(sent.token)
        report.answered[sent.kind] += bool(answered)
        report.stored[sent.kind] += count > 0
        if count > 1:
            report.stored_twice[sent.kind] += 1
            report.problems.append(f"{sent.token} ({sent.platform}) stored {count} times")
        elif answered and count == 0 and REFUSED.search(str(answered)):
            report.refused[sent.kind] += 1
        elif answered and count == 0:
            report.problems.append(f"{sent.token} ({sent.platform}) answered {str(answered)[:120]!r} but not stored "
                                   f"(deliveries {sent.statuses})")
