"""`manage.py send_reminders [--within-hours N]`: remind, once, candidates who have not started a test
whose deadline (their own or the test's) is near."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from assessments.services.invitations import reminders_due, reminders_send


class Command(BaseCommand):
    help = (
        "Email a reminder, with a new one-time sign-in link, to every invited candidate who has not started "
        "a published test whose deadline (the candidate's own or the test's, the earlier) is within the next "
        "--within-hours. Each candidate is reminded once per test, so it is safe to run from cron every hour. "
        "Links point at JATAYU_PUBLIC_URL."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--within-hours", type=int, default=24, help="remind when the deadline is this close (default: 24)"
        )
        parser.add_argument("--dry-run", action="store_true", help="list who would be reminded; send nothing")

    def handle(self, *args: Any, within_hours: int, dry_run: bool, **options: Any) -> None:
        if not 1 <= within_hours <= 24 * 30:
            raise CommandError("--within-hours must be between 1 and 720.")
        within = timedelta(hours=within_hours)
        if dry_run:
            due = reminders_due(within=within)
            for application in due:
                self.stdout.write(
                    f"would remind {application.candidate.get_username()} about test {application.test_id}"
                )
            self.stdout.write(f"{len(due)} reminder(s) due; none sent (dry run)")
            return
        report = reminders_send(within=within, base_url=settings.JATAYU_PUBLIC_URL)
        for username, why in report.failed:
            self.stderr.write(f"not sent to {username}: {why}")
        self.stdout.write(f"{len(report.sent)} reminder(s) sent, {len(report.failed)} failed")
        if report.failed:
            raise CommandError(f"{len(report.failed)} reminder(s) could not be sent; run again to retry them.")
