"""The neutral vocabulary between the core and the adapters.

Adapters turn whatever arrived (a slash command, a button click, a modal submit, a thread reply, a
Teams activity, a sandbox form) into one frozen `Interaction`; the core answers with a `Reply`.
Outbound, the core and the rituals see one port, `Messenger`. Nothing here knows Slack or Teams:
each adapter draws `Card` and `Form` natively with a pure renderer.

Text in cards is a small markdown subset that every platform can draw: `*bold*`, `_italic_`,
line breaks and "• " bullets. It never contains raw markup (`<`, `>`, `&` are plain characters):
each renderer escapes for its platform, so user text can never ping a channel or inject HTML.
Likewise every piece of text a card carries is sealed against bidi controls (`bot.bidi.isolate`)
when the element is built, so no renderer can let a right-to-left override in a title or a name
reverse the words after it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

from bot import i18n
from bot.bidi import isolate
from bot.render import render_macro
from bot.storable import has_unstorable, storable

Platform = str  # a registered platform's name (bot.platforms); the core never branches on it
Colour = Literal["red", "yellow", "green"]


# ---------------------------------------------------------------- inbound


@dataclass(frozen=True)
class Interaction:
    """Something a person did in a chat, in platform-neutral terms.

    kind:
      - "command": `text` is what followed `/okr` or `@okrbot` ("confidence 2 7 vendor signed").
      - "action": a button; `name` is its action id, `value` its value.
      - "submit": a form; `name` is the form id, `form` the submitted values, `value` the form's
        metadata as it was handed out in `Form.metadata`.
      - "message", "message_edited", "message_deleted": a message in a thread the bot opened
        (wins); `message_id` identifies it, `thread_id` the thread root.
    """

    platform: Platform
    workspace: str  # the platform's workspace id (a Slack team, a Teams tenant; the sandbox's organization id)
    actor: str  # the person's user id on that platform
    kind: Literal["command", "action", "submit", "message", "message_edited", "message_deleted"]
    name: str = ""
    text: str = ""
    value: str = ""
    form: Mapping[str, str] = field(default_factory=dict)
    conversation: str | None = None  # channel / conversation id where it happened
    message_id: str | None = None
    thread_id: str | None = None
    actor_email: str | None = None  # when the adapter knows it; used to link unknown accounts
    actor_name: str | None = None
    # The person's locale as the platform reports it (`es-CL`; "" when the platform was asked and had none,
    # None when not asked this time): bot.i18n speaks it unless the person chose a language.
    actor_locale: str | None = None
    # The platform's id for this one sending (Slack view id and hash, a trigger_id, a Teams form token):
    # a second arrival with the same key is handled as a duplicate and stores nothing (bot.inbox).
    key: str | None = None

    def __post_init__(self) -> None:
        """Every input of every adapter passes here: characters no database can store are dropped, so no
        lookup or write behind the core ever sees them (bot.storable)."""
        for name, value in vars(self).items():
            if isinstance(value, str) and has_unstorable(value):
                object.__setattr__(self, name, storable(value))
        if any(has_unstorable(k) or isinstance(v, str) and has_unstorable(v) for k, v in self.form.items()):
            object.__setattr__(self, "form", {storable(k): storable(v) if isinstance(v, str) else v
                                              for k, v in self.form.items()})


# ---------------------------------------------------------------- cards


def _seal(element: object, *names: str) -> None:
    """Isolate the named text attributes of a frozen element (a no-op for ordinary text)."""
    for name in names:
        value = getattr(element, name)
        if value:
            object.__setattr__(element, name, isolate(value))


@dataclass(frozen=True)
class Text:
    markdown: str

    def __post_init__(self) -> None:
        _seal(self, "markdown")


@dataclass(frozen=True)
class Fields:
    items: tuple[tuple[str, str], ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "items", tuple((isolate(label), isolate(value)) for label, value in self.items))


@dataclass(frozen=True)
class KeyResultLine:
    """One key result with its confidence badge; colour is never the only signal (number too)."""

    code: str
    title: str
    confidence: int
    colour: Colour
    delta: int | None = None  # change since last week
    trend: tuple[int, ...] = ()  # weekly confidence, oldest first
    flagged: bool = False  # dropped by 2 or more: "talk about this"
    progress: str | None = None  # "62 / 80 %" or the milestone
    owner: str | None = None
    level: str | None = None  # the objective's level as a word of the card's language (bot.cards.kr_line)
    url: str | None = None  # the key result's dashboard page (bot.links); renderers link the code to it

    def __post_init__(self) -> None:
        _seal(self, "code", "title", "progress", "owner")


@dataclass(frozen=True)
class Button:
    label: str
    action_id: str
    value: str = ""
    style: Literal["primary", "danger"] | None = None
    url: str | None = None  # a link button; action_id is still set for platforms that need one

    def __post_init__(self) -> None:
        _seal(self, "label")


@dataclass(frozen=True)
class Actions:
    buttons: tuple[Button, ...]


@dataclass(frozen=True)
class Divider:
    pass


@dataclass(frozen=True)
class Context:
    """Small print under a card: who, when, hints."""

    markdown: str

    def __post_init__(self) -> None:
        _seal(self, "markdown")


Element = Text | Fields | KeyResultLine | Actions | Divider | Context


@dataclass(frozen=True)
class Card:
    title: str | None
    elements: tuple[Element, ...] = ()
    # Plain text for notifications and screen readers.
    fallback: str = ""
    # The language the card was built in (bot.i18n). A renderer draws later, outside the reply's or the ritual's
    # language context, and the words it adds itself (card_words: "since last week") must speak this one.
    language: str = field(default_factory=i18n.current)

    def __post_init__(self) -> None:
        _seal(self, "title", "fallback")


# ---------------------------------------------------------------- forms


@dataclass(frozen=True)
class Option:
    label: str
    value: str

    def __post_init__(self) -> None:
        _seal(self, "label")


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    # "channel": a channel of the workspace. A platform with a channel picker draws its own (Slack); elsewhere it
    # is a select of `options` (the channels the adapter listed), or a text field when there are none.
    kind: Literal["text", "multiline", "number", "select", "channel"] = "text"
    options: tuple[Option, ...] = ()
    initial: str | None = None
    optional: bool = False
    hint: str | None = None
    max_length: int | None = None

    def __post_init__(self) -> None:
        _seal(self, "label", "hint")  # never `initial`: it is what the person submits back

    @property
    def choice(self) -> bool:
        """Drawn as a select: a select, or a channel given as a list of channels."""
        return self.kind == "select" or (self.kind == "channel" and bool(self.options))


@dataclass(frozen=True)
class Form:
    form_id: str  # comes back as Interaction.name on submit
    title: str
    fields: tuple[FormField, ...]
    submit_label: str = field(default_factory=lambda: render_macro("form_words", "save"))
    intro: str | None = None
    metadata: str = ""  # comes back as Interaction.value on submit

    def __post_init__(self) -> None:
        _seal(self, "title", "submit_label", "intro")


# ---------------------------------------------------------------- replies


@dataclass(frozen=True)
class Reply:
    """What the core answers to an Interaction.

    - `card` with visibility "ephemeral" is shown to the actor only; "channel" is posted for all.
    - `form` asks the adapter to open a form (a Slack modal, a Teams dialog).
    - `errors` (field name -> message) sends a submitted form back with the errors by the fields.
    - nothing set: acknowledge silently (e.g. a thread reply that was recorded as a win).
    - `duplicate`: the Interaction's key was handled before, nothing was done; `card` says so, for the
      adapters that show it (a replayed command) rather than stay quiet (a second click on Submit).
    """

    card: Card | None = None
    visibility: Literal["ephemeral", "channel"] = "ephemeral"
    form: Form | None = None
    errors: Mapping[str, str] | None = None
    duplicate: bool = False


# ---------------------------------------------------------------- outbound


@dataclass(frozen=True)
class Conversation:
    """Where to post: a workspace (Slack team, Teams tenant, sandbox org) and a channel in it."""

    platform: Platform
    workspace: str
    channel_id: str


@dataclass(frozen=True)
class MessageRef:
    """A posted message, serialisable into SQL (ritual_runs.message_ref / thread_ref)."""

    channel_id: str
    message_id: str
    thread_id: str | None = None  # Teams reply chain id; Slack threads hang off message_id


class DeliveryError(Exception):
    """One attempt at a post that did not get through, as the adapter classifies it.

    Adapters try once and raise one of the three kinds below; whoever sends decides whether to try
    again (for ritual posts that is bot.rituals.delivery.Deliverer, the one retry budget per post).
    `permanent` and `retry_after` say the same as the type, for callers that only log them.
    """

    permanent = False
    retry_after: float | None = None  # seconds the platform asked us to wait, if it said

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PermanentFailure(DeliveryError):
    """Retrying will not help (channel gone, bot removed, token revoked): the lead is told."""

    permanent = True


class RetryAfter(DeliveryError):
    """The platform said "later" (HTTP 429, or an error with a Retry-After): wait `retry_after` seconds
    (None: it named no time) before the next attempt to that workspace."""

    def __init__(self, reason: str, retry_after: float | None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class TransientFailure(DeliveryError):
    """Worth another try after a backoff: a 5xx, a timeout, a connection reset."""


class Messenger(Protocol):
    """The one outbound port; each adapter implements it."""

    platform: Platform

    async def post(self, to: Conversation, card: Card) -> MessageRef: ...

    async def reply(self, to: Conversation, thread: MessageRef, card: Card) -> MessageRef: ...

    async def update(self, to: Conversation, message: MessageRef, card: Card) -> None: ...

    async def send_direct(self, platform_user_id: str, workspace: str, card: Card) -> MessageRef: ...
