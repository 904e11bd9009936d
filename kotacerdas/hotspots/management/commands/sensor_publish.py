"""`manage.py sensor_publish CODE SECRET [--type alarm|heartbeat] [--value N]`: sign and
publish one sensor message to the MQTT broker, as a device would (for trying the platform
and for commissioning a real sensor's firmware against a known-good message)."""

from __future__ import annotations

import secrets
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from kotacerdas.hotspots import mqtt, signing


class Command(BaseCommand):
    help = "Publish one signed sensor message over MQTT."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("code")
        parser.add_argument("secret")
        parser.add_argument("--type", default="alarm", choices=list(signing.TYPES))
        parser.add_argument("--value", type=float, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        code, kind = options["code"], options["type"]
        body = signing.signed_message(
            options["secret"], code, kind, int(time.time()), secrets.token_hex(8), options["value"]
        )
        topic = f"{settings.MQTT_TOPIC_PREFIX.rstrip('/')}/{code}/{kind}"
        mqtt.publish(topic, body)
        self.stdout.write(f"published to {topic}: {body.decode()}")
