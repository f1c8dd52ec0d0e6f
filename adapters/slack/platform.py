"""What the core knows of Slack (bot.platforms): its name, its `/okr` command; its rituals go first."""

from bot.platforms import PlatformSpec

PLATFORM = PlatformSpec(name="slack", prefix="/okr", rank=0)
