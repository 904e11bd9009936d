"""Seed the demo (only with KOTACERDAS_DEMO=1 or --force): demo agencies, one account per role,
generated citizens, then the masterplan programs. A second run changes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand

from kotacerdas.accounts import demo


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--force", action="store_true", help="Seed even without KOTACERDAS_DEMO."
        )
        parser.add_argument("--citizens", type=int, default=demo.GENERATED_CITIZENS)

    def handle(self, *args: Any, **options: Any) -> None:
        if not (settings.KOTACERDAS_DEMO or options["force"]):
            self.stdout.write("Demo mode is off (KOTACERDAS_DEMO): nothing seeded.")
            return
        accounts_file = Path(settings.VAR_DIR) / "demo-accounts.txt"
        if demo.demo_exists():
            self.stdout.write(f"Demo accounts already exist (listed in {accounts_file}).")
        else:
            accounts = demo.seed(citizens=options["citizens"])
            demo.write_accounts_file(accounts_file, accounts, settings.OTP_TOTP_ISSUER)
            self.stdout.write(
                self.style.SUCCESS(f"Demo accounts (shown once; also in {accounts_file}):")
            )
            self.stdout.write(accounts_file.read_text())
        # Other apps' demo data, when those apps are installed (accounts does not import them).
        for command in ("seed_programs", "seed_reports", "seed_emergency", "seed_fires"):
            if command in get_commands():
                call_command(command, verbosity=options["verbosity"])
