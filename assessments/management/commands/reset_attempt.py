"""`manage.py reset_attempt ASSESSMENT_ID --yes`: delete an attempt so the candidate can start again."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assessments.errors import ApplicationError
from assessments.models import Assessment
from assessments.services.attempt_control import assessment_reset


class Command(BaseCommand):
    help = (
        "Reset an attempt, as the admin's Reset does: delete the candidate's latest attempt at a test with its "
        "answers, chat, integrity events and event log, which gives one attempt back. A running attempt is "
        "terminated first (a connected candidate is told at once). Only the latest attempt of a candidate at a "
        "test can be reset. Nothing is deleted without --yes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("assessment_id", type=int, help="the id of the attempt (Assessment)")
        parser.add_argument("--yes", action="store_true", help="really delete it")

    def handle(self, *args: Any, assessment_id: int, yes: bool = False, **options: Any) -> None:
        attempt = Assessment.objects.select_related("candidate", "test").filter(pk=assessment_id).first()
        if attempt is None:
            raise CommandError(f"Assessment {assessment_id} does not exist.")
        described = (
            f"attempt {attempt.attempt_number} of {attempt.candidate.get_username()!r} at test {attempt.test_id} "
            f"({attempt.test.title}), {attempt.get_status_display().lower()}, "
            f"{attempt.responses.count()} question(s) asked"
        )
        if not yes:
            raise CommandError(f"Not reset: this would delete {described}. Run again with --yes to delete it.")
        try:
            result = assessment_reset(assessment_id=assessment_id, by="manage.py reset_attempt")
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"reset: deleted {described}"
            + ("; it was running and was terminated first" if result.was_running else "")
            + f". {result.candidate} may start again."
        )
