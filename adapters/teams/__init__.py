"""Microsoft Teams: the Bot Framework CloudAdapter at POST /api/messages and the Teams Messenger.

Every botbuilder import of okrbot lives in this folder: the Bot Framework SDK is archived, and
moving to the Microsoft 365 Agents SDK must stay a one-folder change. Building the Messenger
(`messenger.build_messenger`, the clock's need) and mounting /api/messages (`endpoint.mount`, the web
server's) are separate steps; the adapter's configuration is its own (`config.TeamsConfig`).
"""
