"""Reading Teams activities: who, where, which thread. Pure functions over the SDK's Activity.

Teams ids worth knowing: a channel is "19:…@thread.tacv2"; a message in a channel arrives in the
conversation "CHANNEL;messageid=ROOT", ROOT being the id of the thread's first message (the
message's own id when it starts the thread). People are keyed by their AAD object id, which is the
same in every chat and team of the tenant.
"""

from __future__ import annotations

import html
import re
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ConversationReference

THREAD_MARK = ";messageid="
_TAGS = re.compile(r"<[^>]+>")


def tenant_id(activity: Activity) -> str:
    data = activity.channel_data or {}
    tenant = (data.get("tenant") or {}).get("id") if isinstance(data, dict) else None
    return tenant or getattr(activity.conversation, "tenant_id", None) or ""


def conversation_type(activity: Activity) -> str:
    """personal, groupChat or channel."""
    return (activity.conversation.conversation_type if activity.conversation else None) or "personal"


def channel_id(activity: Activity) -> str | None:
    """The channel (or group chat) the activity happened in: the key bindings and references use."""
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    channel = (data.get("channel") or {}).get("id")
    if channel:
        return channel
    if conversation_type(activity) == "personal" or not activity.conversation:
        return None
    return activity.conversation.id.split(THREAD_MARK, 1)[0]


def team_group_id(activity: Activity) -> str | None:
    """The Azure AD group id of the team a channel activity happened in (channelData.team.aadGroupId)."""
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    return (data.get("team") or {}).get("aadGroupId") or None


def thread_root(activity: Activity) -> str | None:
    """The id of the thread's first message when this activity is a reply in a channel thread."""
    conversation = activity.conversation.id if activity.conversation else ""
    if THREAD_MARK not in conversation:
        return None
    root = conversation.split(THREAD_MARK, 1)[1]
    return root if root and root != activity.id else None


def actor_id(activity: Activity) -> str:
    sender = activity.from_property
    return (sender.aad_object_id or sender.id) if sender else ""


def mentions_bot(activity: Activity) -> bool:
    recipient = activity.recipient.id if activity.recipient else None
    return any(
        (mention.additional_properties.get("mentioned") or {}).get("id") == recipient
        for mention in TurnContext.get_mentions(activity)
    )


def command_text(activity: Activity) -> str:
    """The text without the bot's @mention (the SDK's helper), tags and entities, whitespace folded."""
    text = TurnContext.remove_recipient_mention(activity) or ""
    text = html.unescape(_TAGS.sub(" ", text)).replace("\xa0", " ")
    return " ".join(text.split())


def message_text(activity: Activity) -> str:
    """A thread reply's text as people wrote it (a win): the bot's mention removed, line breaks kept."""
    text = TurnContext.remove_recipient_mention(activity) or ""
    text = re.sub(r"<br\s*/?>|</p>\s*<p>", "\n", text, flags=re.IGNORECASE)
    text = html.unescape(_TAGS.sub("", text)).replace("\xa0", " ")
    return "\n".join(" ".join(line.split()) for line in text.strip().splitlines()).strip()


def reference_to(activity: Activity, conversation: str | None = None) -> dict[str, Any]:
    """The serialised ConversationReference for the activity's conversation (or another id in it)."""
    reference = TurnContext.get_conversation_reference(activity)
    reference.activity_id = None
    if conversation:
        reference.conversation.id = conversation
    data = reference.serialize()
    data.setdefault("conversation", {})["tenantId"] = tenant_id(activity) or None
    return data


def reference_from(data: dict[str, Any]) -> ConversationReference:
    return ConversationReference.deserialize(data)
