"""A bug behind a dashboard or sandbox page shows a friendly page, never a stack trace.

Only this adapter's paths are wrapped: Slack and Teams answer their platforms their own way.
"""

from __future__ import annotations

import logging

from aiohttp import web

from adapters.web.access import chrome, speak_page
from adapters.web.html import page

log = logging.getLogger(__name__)
PREFIXES = ("/sandbox", "/advice", "/signin", "/signout")


def ours(path: str) -> bool:
    return path == "/" or path.startswith(PREFIXES)


@web.middleware
async def friendly_errors(request: web.Request, handler):
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except Exception:
        if not ours(request.path):
            raise
        log.exception("%s %s failed", request.method, request.path)
        speak_page(request, None)
        body = page("message.html.j2", chrome=chrome(request, None), reason="internal")
        return web.Response(text=body, status=500, content_type="text/html")
