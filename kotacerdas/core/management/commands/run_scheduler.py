"""Enqueue the registered periodic tasks on their schedule (see kotacerdas.core.schedule)."""

from __future__ import annotations

import logging
from typing import Any

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils.module_loading import import_string

from kotacerdas.core.schedule import periodic_jobs

logger = logging.getLogger("kotacerdas.scheduler")


def _enqueue(task_path: str) -> None:
    close_old_connections()
    try:
        import_string(task_path).enqueue()
    except Exception:  # a failed enqueue must not stop the scheduler
        logger.exception("could not enqueue %s", task_path)
    finally:
        close_old_connections()


class Command(BaseCommand):
    help = "Run the scheduler that enqueues periodic tasks (exactly one per deployment)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--list", action="store_true", help="List the jobs and exit.")

    def handle(self, *args: Any, **options: Any) -> None:
        jobs = periodic_jobs()
        if options["list"]:
            for job in jobs:
                self.stdout.write(f"{job.key}\t{job.cron}\t{job.task}")
            return
        scheduler = BlockingScheduler(timezone="Asia/Jakarta")
        for job in jobs:
            scheduler.add_job(
                _enqueue,
                CronTrigger.from_crontab(job.cron, timezone="Asia/Jakarta"),
                args=[job.task],
                id=job.key,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=60,
            )
        self.stdout.write(f"Scheduler: {len(jobs)} periodic jobs.")
        # A heartbeat at start, so /readyz sees the worker without waiting a minute.
        _enqueue("kotacerdas.core.tasks.worker_heartbeat")
        try:
            scheduler.start()
        except (KeyboardInterrupt, SystemExit):
            scheduler.shutdown(wait=False)
