"""Appending to an attempt's event log (the caller holds the attempt's row lock), and delivering and
reading back what was logged."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from assessments.broadcast import send_to_group_on_commit, user_group
from assessments.messages import Strict, server_message
from assessments.models import Assessment, AssessmentEvent, Response
from assessments.services.statements import rows_insert


class EventBatch:
    """Events of one transaction: seqs taken from the locked attempt as they are added, written at once.

    The caller saves the attempt's `last_seq` with its other changes after `write()`.
    """

    def __init__(self, assessment: Assessment) -> None:
        self.assessment = assessment
        self.rows: list[AssessmentEvent] = []

    def add(
        self, message_type: str, data: Strict, *, ref: str | None = None, response_id: int | None = None
    ) -> dict[str, Any]:
        """Log one server message of the attempt with the next seq, and return it ready to send."""
        seq = self.assessment.last_seq + 1
        message = server_message(message_type, data, seq=seq, ref=ref)
        self.rows.append(
            AssessmentEvent(
                assessment=self.assessment,
                seq=seq,
                type=message_type,
                ref=ref or "",
                payload=message,
                response_id=response_id,
            )
        )
        self.assessment.last_seq = seq
        return message

    def write(self) -> None:
        if self.rows:
            rows_insert(self.rows)
            self.rows = []


def event_append(
    *,
    assessment: Assessment,
    message_type: str,
    data: Strict,
    ref: str | None = None,
    response: Response | None = None,
) -> dict[str, Any]:
    """Log one server message of the attempt with the next seq and save the seq; return the message."""
    batch = EventBatch(assessment)
    message = batch.add(message_type, data, ref=ref, response_id=response.pk if response else None)
    batch.write()
    Assessment.objects.filter(pk=assessment.pk).update(last_seq=assessment.last_seq)
    return message


def event_push_to_candidate(*, assessment: Assessment, message: dict[str, Any]) -> None:
    """Deliver a logged message to the candidate's live connection, wherever it runs, after commit."""
    send_to_group_on_commit(
        user_group(assessment.candidate_id),
        {"type": "attempt.event", "assessment_id": assessment.pk, "test_id": assessment.test_id, "message": message},
    )


@dataclass(frozen=True)
class Pushed:
    """An attempt's logged message as `event_push_to_candidate` delivers it, read for the consumer."""

    test_id: int
    assessment_id: int
    message: dict[str, Any]
    seq: int
    ends_attempt: bool
    deadline: datetime | None  # the attempt's new deadline, when the message moved it


def pushed_of(event: Mapping[str, Any]) -> Pushed:
    message = event["message"]
    moved = message["type"] == "time_extended"
    return Pushed(
        test_id=event["test_id"],
        assessment_id=event["assessment_id"],
        message=message,
        seq=message.get("seq", 0),
        ends_attempt=message["type"] == "assessment_completed",
        deadline=datetime.fromisoformat(message["data"]["deadline"]) if moved else None,
    )


def events_of_response(*, response_id: int) -> list[dict[str, Any]]:
    """What answering this response sent, in order: replayed when the same answer comes again."""
    return list(
        AssessmentEvent.objects.filter(response_id=response_id).order_by("seq").values_list("payload", flat=True)
    )


def events_after(*, assessment: Assessment, last_seq: int) -> list[dict[str, Any]]:
    return list(assessment.events.filter(seq__gt=last_seq).order_by("seq").values_list("payload", flat=True))
