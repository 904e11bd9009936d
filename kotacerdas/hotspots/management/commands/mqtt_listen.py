"""`manage.py mqtt_listen`: subscribe to the sensors' MQTT topics and act on every message
(alarms open fire incidents on the 119 desk). Runs until stopped; reconnects by itself."""

from __future__ import annotations

import contextlib
from typing import Any

from django.core.management.base import BaseCommand

from kotacerdas.hotspots.mqtt import Listener, topic_filter


class Command(BaseCommand):
    help = "Listen to building sensors over MQTT (MQTT_URL, MQTT_TOPIC_PREFIX)."

    def handle(self, *args: Any, **options: Any) -> None:
        listener = Listener()
        self.stdout.write(f"listening on {listener.host}:{listener.port} {topic_filter()}")
        with contextlib.suppress(KeyboardInterrupt):
            listener.run_forever()
