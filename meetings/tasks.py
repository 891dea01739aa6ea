"""Background work for the programme. Thin: each task calls one service."""

from __future__ import annotations

from celery import shared_task

from meetings import services


@shared_task(name=services.MATERIALISE_TASK_NAME, acks_late=True)
def cadences_materialise() -> dict[str, dict[str, list[int]]]:
    """Keep every active cadence's next meetings scheduled. Idempotent: safe to run twice or to die."""
    results = services.cadences_materialise_all()
    return {
        str(pk): {"created": r.created, "moved": r.moved, "cancelled": r.cancelled}
        for pk, r in results.items()
        if r.changed
    }


@shared_task(name=services.SEND_AGENDAS_TASK_NAME, acks_late=True)
def agendas_send_due() -> list[int]:
    """Email agendas that are due; each meeting's send is claimed once, so a rerun sends nothing twice."""
    return services.agendas_send_due()
