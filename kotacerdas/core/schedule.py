"""Periodic jobs. The Tasks backport has no scheduler: `manage.py run_scheduler` (one process,
started by `make run` beside the worker; a systemd unit in production) enqueues the registered
tasks on their schedule, and the workers run them. Run exactly one scheduler per deployment."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Periodic:
    key: str
    task: str  # dotted path of a django_tasks Task
    cron: str  # five-field crontab in WIB, e.g. "*/1 * * * *"


_jobs: dict[str, Periodic] = {}


def register_periodic(job: Periodic) -> None:
    _jobs[job.key] = job


def periodic_jobs() -> list[Periodic]:
    return sorted(_jobs.values(), key=lambda j: j.key)


register_periodic(
    Periodic("core.worker_heartbeat", "kotacerdas.core.tasks.worker_heartbeat", "* * * * *")
)
register_periodic(
    Periodic("core.clear_sessions", "kotacerdas.core.tasks.clear_expired_sessions", "17 2 * * *")
)
register_periodic(
    Periodic("core.prune_tasks", "kotacerdas.core.tasks.prune_finished_tasks", "27 2 * * *")
)
