"""Re-encrypt NIK/KK with the newest key of FIELD_ENCRYPTION_KEYS (put the new key first, run
this, then drop the old key)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from kotacerdas.accounts.services import citizen_identity_reencrypt


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            count = citizen_identity_reencrypt()
        self.stdout.write(f"Re-encrypted {count} citizen identities.")
