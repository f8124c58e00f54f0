"""What the recruiters' live monitor shows of a test: who is connected, each running attempt's
progress and time left, and the latest integrity events and chat."""

from datetime import datetime
from typing import Any

from django.db.models import Count, Q

from assessments import clock
from assessments.clock import seconds_left
from assessments.models import Assessment, ChatMessage, IntegrityEvent, Test
from assessments.selectors.sessions import live_sessions

LIVE_INTEGRITY_EVENTS = 25


def blueprint_live_state(*, test: Test, now: datetime | None = None) -> dict[str, Any]:
    """Who is connected to `test` now, the running attempts, and the latest integrity events.

    Connections come from CandidateSession, which every worker writes (`live_sessions`), whichever
    process holds them; the rows of a worker that died stop counting once they go stale.
    """
    now = now or clock.now()
    sessions = {s.candidate_id: s for s in live_sessions(now=now).filter(test=test).select_related("candidate")}
    running = list(
        Assessment.objects.filter(test=test, status=Assessment.Status.IN_PROGRESS)
        .select_related("candidate")
        .annotate(
            _answered=Count("responses", filter=Q(responses__answered_at__isnull=False)),
        )
        .order_by("started_at", "id")
    )
    integrity = dict(
        IntegrityEvent.objects.filter(assessment__in=running)
        .values("assessment_id")
        .annotate(n=Count("pk"))
        .values_list("assessment_id", "n")
    )
    hints = dict(
        ChatMessage.objects.filter(assessment__in=running, role=ChatMessage.Role.CANDIDATE)
        .values("assessment_id")
        .annotate(n=Count("pk"))
        .values_list("assessment_id", "n")
    )
    rows: list[dict[str, Any]] = []
    for assessment in running:
        session = sessions.pop(assessment.candidate_id, None)
        answered = int(getattr(assessment, "_answered", 0))
        rows.append(
            {
                "assessment_id": assessment.pk,
                "candidate": assessment.candidate.get_username(),
                "attempt": assessment.attempt_number,
                "connected": session is not None,
                "worker": session.worker if session else "",
                "connected_at": session.connected_at.isoformat() if session and session.connected_at else None,
                "answered": answered,
                "total": assessment.max_score,
                "progress": round(100.0 * answered / assessment.max_score, 1) if assessment.max_score else 0.0,
                "started_at": assessment.started_at.isoformat(),
                "deadline": assessment.deadline_at.isoformat(),
                "remaining_seconds": seconds_left(deadline=assessment.deadline_at, now=now),
                "integrity_events": integrity.get(assessment.pk, 0),
                "hints": hints.get(assessment.pk, 0),
            }
        )
    for session in sessions.values():  # connected, but with no running attempt (before start, or after the end)
        rows.append(
            {
                "assessment_id": None,
                "candidate": session.candidate.get_username(),
                "attempt": None,
                "connected": True,
                "worker": session.worker,
                "connected_at": session.connected_at.isoformat() if session.connected_at else None,
                "answered": None,
                "total": None,
                "progress": None,
                "started_at": None,
                "deadline": None,
                "remaining_seconds": None,
                "integrity_events": None,
                "hints": None,
            }
        )
    events = (
        IntegrityEvent.objects.filter(assessment__test=test)
        .select_related("assessment__candidate")
        .order_by("-created_at", "-id")[:LIVE_INTEGRITY_EVENTS]
    )
    return {
        "test_id": test.pk,
        "server_time": now.isoformat(),
        "connected": sum(1 for r in rows if r["connected"]),
        "running": len(running),
        "rows": rows,
        "integrity_events": [
            {
                "id": e.pk,
                "at": e.created_at.isoformat(),
                "time": e.created_at.strftime("%H:%M:%S"),
                "candidate": e.assessment.candidate.get_username(),
                "assessment_id": e.assessment_id,
                "kind": e.kind,
            }
            for e in events
        ],
    }
