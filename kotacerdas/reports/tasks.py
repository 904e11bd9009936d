from __future__ import annotations

from django_tasks import task


@task()
def reports_escalate() -> dict[str, int]:
    """Escalate overdue reports and close completed ones past the dispute window (every
    15 minutes from the scheduler; safe to run twice)."""
    from .services import reports_escalate as run

    return run()
