"""The demo fleet of the 119 desk and its demo history (`make run`; marked is_demo).
Idempotent."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from kotacerdas.emergency import demo


class Command(BaseCommand):
    help = "Seed the demo ambulance and fire-truck fleet and a demo history of calls."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--calls", type=int, default=demo.HISTORY_CALLS)

    def handle(self, *args: Any, calls: int, **options: Any) -> None:
        units = demo.seed_fleet()
        self.stdout.write(f"demo fleet: {units} units" if units else "demo fleet: present")
        made = demo.seed_history(n=calls)
        self.stdout.write(f"demo calls: {made} generated" if made else "demo calls: present")
