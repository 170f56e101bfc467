"""Background work of the words: a round's task convergence, through Django's Tasks API
(the worker is ``tracelead worker``), so that loading the sentence model never holds up a
page."""

from __future__ import annotations

from django_tasks import task


@task()
def compute_convergence(assessment_id: int) -> str:
    """Work out the convergence of a round's published task statements; what became of it
    ("done", "failed", or "nothing" when the round shows no statements)."""
    from .services import convergence_compute

    row = convergence_compute(assessment_id=assessment_id)
    return "nothing" if row is None else str(row.status)
