"""Use cases over the storage. Importing this package registers every handler."""

from bot.services import advice, checkins, foursquare, general, status_report, weekly  # noqa: F401
from bot.services import dashboard_link  # noqa: F401
