"""The MQTT side of building sensors: one long-running subscriber (`manage.py mqtt_listen`,
started by `make run` and by systemd in production) that hands every message on
`{MQTT_TOPIC_PREFIX}/{sensor}/{type}` to `services.sensor_message_receive`.

The broker is Mosquitto. In production each sensor also has its own broker user limited by an
ACL to its own topic (docs/operations.md); the platform still checks each message's HMAC
signature, time and nonce, so a leaked broker password alone cannot raise an alarm.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import urllib.parse
from typing import Any

import paho.mqtt.client as mqtt
from django.conf import settings
from django.db import close_old_connections

from . import services
from .models import MessageChannel

logger = logging.getLogger("kotacerdas.hotspots.mqtt")


def broker() -> tuple[str, int, str, str, bool]:
    url = urllib.parse.urlsplit(settings.MQTT_URL)
    tls = url.scheme in ("mqtts", "ssl")
    return (
        url.hostname or "127.0.0.1",
        url.port or (8883 if tls else 1883),
        urllib.parse.unquote(url.username or ""),
        urllib.parse.unquote(url.password or ""),
        tls,
    )


def topic_filter() -> str:
    return f"{settings.MQTT_TOPIC_PREFIX.rstrip('/')}/+/+"


def sensor_from_topic(topic: str) -> str | None:
    prefix = settings.MQTT_TOPIC_PREFIX.rstrip("/") + "/"
    if not topic.startswith(prefix):
        return None
    parts = topic[len(prefix) :].split("/")
    return parts[0] if len(parts) == 2 and parts[0] else None


def handle(topic: str, payload: bytes) -> services.Received:
    close_old_connections()
    code = sensor_from_topic(topic) or ""
    try:
        return services.sensor_message_receive(
            channel=MessageChannel.MQTT, raw=payload, topic_code=code
        )
    finally:
        close_old_connections()


class Listener:
    """A paho client that subscribes and dispatches. `start()` runs its network loop in a
    thread (tests, benchmarks); `run_forever()` blocks (the management command)."""

    def __init__(self, *, client_id: str = "") -> None:
        # A distinct id per process: a broker drops an older session that reuses an id.
        client_id = client_id or f"kotacerdas-listener-{socket.gethostname()}-{os.getpid()}"
        host, port, user, password, tls = broker()
        self.host, self.port = host, port
        self.connected = threading.Event()
        self.handled = 0
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=True
        )
        if user:
            self.client.username_pw_set(user, password or None)
        if tls:
            self.client.tls_set()
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.reconnect_delay_set(min_delay=1, max_delay=30)

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if getattr(reason, "is_failure", False):
            logger.error("MQTT connection refused: %s", reason)
            return
        client.subscribe(topic_filter(), qos=1)
        logger.info("MQTT subscribed to %s on %s:%s", topic_filter(), self.host, self.port)
        self.connected.set()

    def _on_message(self, client: Any, userdata: Any, msg: Any) -> None:
        try:
            handle(msg.topic, msg.payload)
        except Exception:  # never let one message stop the listener
            logger.exception("sensor message on %s failed", msg.topic)
        self.handled += 1

    def start(self, timeout: float = 10.0) -> None:
        self.client.connect(self.host, self.port, keepalive=30)
        self.client.loop_start()
        if not self.connected.wait(timeout):
            self.stop()
            raise TimeoutError(f"no MQTT broker answered at {self.host}:{self.port}")

    def stop(self) -> None:
        # Disconnect first: the network thread then ends at once (stopping the loop first
        # waits out its one-second select).
        self.client.disconnect()
        self.client.loop_stop()

    def run_forever(self) -> None:
        self.client.connect(self.host, self.port, keepalive=30)
        self.client.loop_forever(retry_first_connection=True)


def publish(topic: str, payload: bytes, *, qos: int = 1, timeout: float = 5.0) -> None:
    """Publish one message (demo command and tests): connect, send, wait, disconnect."""
    host, port, user, password, tls = broker()
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    if user:
        client.username_pw_set(user, password or None)
    if tls:
        client.tls_set()
    client.connect(host, port, keepalive=30)
    client.loop_start()
    try:
        info = client.publish(topic, payload, qos=qos)
        info.wait_for_publish(timeout)
    finally:
        client.disconnect()  # before loop_stop, which otherwise waits a second
        client.loop_stop()
