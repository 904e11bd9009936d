"""`manage.py fetch_firms`: fetch the latest hotspots for the regency from the FIRMS area API
now (the scheduler does it every 30 minutes). Says so and does nothing without FIRMS_MAP_KEY."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from kotacerdas.hotspots import services


class Command(BaseCommand):
    help = "Fetch NASA FIRMS hotspots for the regency now."

    def handle(self, *args: Any, **options: Any) -> None:
        result = services.firms_fetch()
        if not result.configured:
            self.stderr.write(result.message)
            return
        for run in result.runs:
            self.stdout.write(f"{run.filename}: {run.message}")
        self.stdout.write(result.message)
