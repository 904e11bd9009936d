"""What the emergency desk announces to modules above it (they connect in their ready()).

`fire_incident_opened` is sent after the commit that created a fire incident (a citizen's
button, a recorded phone call or a sensor alarm), with `ref`, `lat`, `lng` and `received_at`.
The fire-detection module links it to satellite events nearby. Receivers must not raise: the
desk's work is already done."""

from __future__ import annotations

from django.dispatch import Signal

fire_incident_opened = Signal()
