"""The Slack adapter: what the core knows of Slack (`platform`), its Messenger (`messenger`, built on its
own: the clock needs no web application) and its routes (`routes`, mounted by `okrbot serve`).

This package imports nothing heavy by itself: okrbot registers every platform at start, and slack-bolt
is loaded only where Slack runs. Its configuration is its own (`config.SlackConfig`), never okrbot's.
"""
