"""The local sandbox: a third adapter beside Slack and Teams, a pretend chat in the browser.

Same core, same command language, same Messenger port: the rituals post here through
`messenger.SandboxMessenger` (built on its own, the clock's need) and the pages (`routes.mount`) turn what
a person types or clicks into Interactions. On by default when no platform is configured (or with
OKRBOT_SANDBOX=1). Its conventions for the core (a workspace is the organization, a team's channel is
its key, a person is their email) are its registration, `platform.PLATFORM`.
"""
