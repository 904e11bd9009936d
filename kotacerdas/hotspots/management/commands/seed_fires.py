"""`manage.py seed_fires`: demo sensors (see hotspots/demo.py). Idempotent."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from kotacerdas.hotspots.demo import seed_fires


class Command(BaseCommand):
    help = "Create the demo fire sensors (marked demo)."

    def handle(self, *args: Any, **options: Any) -> None:
        created = seed_fires()
        if options["verbosity"] > 0 and created:
            self.stdout.write(
                f"{len(created)} demo sensors; secrets in var/demo_sensors.txt "
                "(try: manage.py sensor_publish CODE SECRET)"
            )
