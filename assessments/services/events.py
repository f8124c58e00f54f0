"""Appending to an attempt's event log. The caller holds the attempt's row lock."""

from typing import Any

from assessments.models import Assessment, AssessmentEvent, Response
from realtime.groups import send_to_group_on_commit, user_group
from realtime.protocol import Strict, server_message


def event_append(
    *,
    assessment: Assessment,
    message_type: str,
    data: Strict,
    ref: str | None = None,
    response: Response | None = None,
) -> dict[str, Any]:
    """Log one server message of the attempt with the next seq, and return it ready to send."""
    seq = assessment.last_seq + 1
    message = server_message(message_type, data, seq=seq, ref=ref)
    AssessmentEvent.objects.create(
        assessment=assessment, seq=seq, type=message_type, ref=ref or "", payload=message, response=response
    )
    assessment.last_seq = seq
    Assessment.objects.filter(pk=assessment.pk).update(last_seq=seq)
    return message


def event_push_to_candidate(*, assessment: Assessment, message: dict[str, Any]) -> None:
    """Deliver a logged message to the candidate's live connection, wherever it runs, after commit."""
    send_to_group_on_commit(
        user_group(assessment.candidate_id),
        {"type": "attempt.event", "assessment_id": assessment.pk, "test_id": assessment.test_id, "message": message},
    )


def events_after(*, assessment: Assessment, last_seq: int) -> list[dict[str, Any]]:
    return list(assessment.events.filter(seq__gt=last_seq).order_by("seq").values_list("payload", flat=True))
