"""What the core knows of Microsoft Teams (bot.platforms): people @mention the bot to give it a command."""

from bot.platforms import PlatformSpec

PLATFORM = PlatformSpec(name="teams", prefix="@okrbot", rank=1)
