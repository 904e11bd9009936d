"""Server-sent events for the live board and the caller's status page.

The stream does not carry state: it says "something changed, up to sequence N" (`event:
change`, `id: N`, `data: {"seq": N}`) and the page fetches the state it shows (the board's JSON,
the status JSON). It looks at the desk's change feed (`DeskEvent`) every
`EMERGENCY_STREAM_POLL_SECONDS`, so any process's change reaches every connected page within
that time, on SQLite and PostgreSQL alike. A `ping` event every 15 s keeps proxies from closing an
idle stream and tells the page the stream is alive; after `EMERGENCY_STREAM_MAX_SECONDS` the stream ends and EventSource reconnects
with `Last-Event-ID`, so nothing is missed. Pages also poll when the stream drops.

This streams only under ASGI (uvicorn/granian); under runserver or WSGI the response is
buffered, which is why pages always have the polling fallback.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpRequest, StreamingHttpResponse

from . import selectors

KEEPALIVE_SECONDS = 15.0


def last_event_id(request: HttpRequest) -> int:
    """Where the client left off: the Last-Event-ID header (a reconnect) or ?since=."""
    raw = request.headers.get("Last-Event-ID") or request.GET.get("since") or ""
    return int(raw) if raw.isdigit() else -1


async def _events(since: int, incident_id: int | None) -> AsyncIterator[str]:
    poll = float(settings.EMERGENCY_STREAM_POLL_SECONDS)
    deadline = time.monotonic() + float(settings.EMERGENCY_STREAM_MAX_SECONDS)
    changes = sync_to_async(selectors.changes_since)
    latest = sync_to_async(selectors.latest_seq)
    if since < 0:
        since = await latest()
        yield f"retry: 3000\nid: {since}\nevent: change\ndata: {json.dumps({'seq': since})}\n\n"
    quiet_since = time.monotonic()
    while time.monotonic() < deadline:
        seq, incidents, units = await changes(since=since, incident_id=incident_id)
        if seq > since:
            since = seq
            payload = {"seq": seq, "incidents": sorted(incidents), "units": sorted(units)}
            yield f"id: {seq}\nevent: change\ndata: {json.dumps(payload)}\n\n"
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= KEEPALIVE_SECONDS:
            # A named event, not a comment: pages see that a quiet stream is alive.
            yield f"event: ping\ndata: {json.dumps({'seq': since})}\n\n"
            quiet_since = time.monotonic()
        await asyncio.sleep(poll)


def event_stream(request: HttpRequest, *, incident_id: int | None = None) -> StreamingHttpResponse:
    """The streaming response (call from an `async def` view after checking access)."""
    response = StreamingHttpResponse(
        _events(last_event_id(request), incident_id), content_type="text/event-stream"
    )
    response["Cache-Control"] = "no-cache, no-store"
    response["X-Accel-Buffering"] = "no"  # nginx: do not buffer the stream
    return response
