from __future__ import annotations

from django_tasks import task


@task()
def desk_events_prune() -> int:
    """Drop the desk's change-feed rows older than a day (daily from the scheduler)."""
    from .services import desk_events_prune as run

    return run()
