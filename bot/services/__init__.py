"""Use cases over the storage. Importing this package imports nothing: bot.core lists the modules whose
handlers it dispatches to (bot.core.SERVICES, checked by bot.handlers.build when a Core is made)."""
