"""The sandbox's people and channels for the set-up in chat (bot.directory.Directory): a pretend workspace.

The sandbox addresses people by email, so anyone with an address exists (named after it); any channel
name is a channel okrbot is in (its id is the name as a team key, the way the sandbox names channels),
with nobody in it yet: a team set up from it has the lead you name, and others join with `team add`
forms or the import. It lets a visitor walk the same set-up as Slack and Teams on an empty organization.
"""

from __future__ import annotations

import re

from bot.directory import ChannelInfo, Profile


def key_of(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.strip().lstrip("#").lower()).strip("-")[:48]


def _name_of(email: str) -> str:
    return " ".join(part.capitalize() for part in re.split(r"[._-]+", email.split("@", 1)[0]) if part) or email


class SandboxDirectory:
    def profile(self, workspace: str, account_id: str) -> Profile | None:
        return Profile(account_id, _name_of(account_id), account_id) if "@" in account_id else None

    def find_by_email(self, workspace: str, email: str) -> Profile | None:
        return self.profile(workspace, email.strip().lower())

    def channel(self, workspace: str, channel_id: str) -> ChannelInfo | None:
        key = key_of(channel_id)
        return ChannelInfo(key, channel_id.strip().lstrip("#")) if key else None

    def members(self, workspace: str, channel_id: str) -> list[Profile]:
        return []

    def channels(self, workspace: str) -> list[ChannelInfo]:
        return []
