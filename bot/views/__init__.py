"""Read models: what a page shows, as plain dataclasses built from SQL, with who may see what.

They live in the core, beside the services, so any adapter can render them (the web dashboard's
templates do today) and the privacy rule (bot.views.privacy) has one definition whatever renders it.
Nothing here renders HTML or draws a chart.
"""
