"""Use cases over the storage. Importing this package registers every handler."""

from bot.services import (  # noqa: F401
    advice,
    checkins,
    dashboard_link,
    foursquare,
    general,
    priorities,
    settings,
    status_report,
    weekly,
)
