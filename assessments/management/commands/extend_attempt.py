"""`manage.py extend_attempt ASSESSMENT_ID MINUTES`: more time for a running attempt, pushed to the candidate."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assessments.clock import seconds_left
from assessments.errors import ApplicationError
from assessments.services.attempt_control import assessment_extend


class Command(BaseCommand):
    help = (
        "Give a running attempt MINUTES more, as the live monitor's Extend does: its deadline moves and the "
        "candidate, connected to any worker, receives time_extended at once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("assessment_id", type=int, help="the id of the running attempt (Assessment)")
        parser.add_argument("minutes", type=int, help="how many minutes to add (1 to 1440)")

    def handle(self, *args: Any, assessment_id: int, minutes: int, **options: Any) -> None:
        if not 1 <= minutes <= 24 * 60:
            raise CommandError("MINUTES must be between 1 and 1440.")
        try:
            attempt = assessment_extend(assessment_id=assessment_id, minutes=minutes)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"extended assessment {attempt.pk} by {minutes} minute(s): the deadline is now "
            f"{attempt.deadline_at.isoformat()} ({seconds_left(deadline=attempt.deadline_at)} s left)"
        )
