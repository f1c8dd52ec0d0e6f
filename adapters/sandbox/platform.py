"""What the core knows of the sandbox (bot.platforms), the pretend chat of adapters/sandbox.

Its conventions live here, not in the core: the workspace is the organization itself (its id), every
team has a channel named by the team's key without binding one, and a person is their email address,
so an organization imported without Slack or Teams sees its rituals and direct messages in the sandbox.
It ranks last: a team's bound Slack or Teams channel gets its rituals first.
"""

from bot.platforms import PlatformSpec

PLATFORM = PlatformSpec(name="sandbox", prefix="/okr", rank=100, workspace_is_organization=True,
                        team_channels_by_key=True, people_by_email=True)
