"""The demo reports of `make run` (generated with a fixed seed, marked is_demo). Loads the
default catalogue first when none is loaded. Idempotent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from kotacerdas.reports import demo
from kotacerdas.reports.selectors import category_list

CATALOGUE = Path(settings.BASE_DIR) / "data" / "reports" / "catalogue.json"


class Command(BaseCommand):
    help = "Load the report catalogue (if empty) and generate the demo reports."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--count", type=int, default=400)

    def handle(self, *args: Any, count: int, **options: Any) -> None:
        if not category_list(active_only=False).exists():
            call_command("import_report_catalogue", str(CATALOGUE), verbosity=options["verbosity"])
        made = demo.seed(n=count)
        self.stdout.write(f"demo reports: {made} generated" if made else "demo reports: present")
