"""`manage.py exposure_report TEST_ID`: how often each question of a test has been shown."""

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assessments.management.report_formats import FORMATS, rows_write
from assessments.models import Test
from assessments.selectors.exposure import blueprint_exposure

COLUMNS = ["question_id", "skill", "difficulty", "shown", "rate", "over", "prompt"]


class Command(BaseCommand):
    help = (
        "Each question of test TEST_ID with how many attempts were shown it and its exposure rate (shown / "
        "attempts), most shown first; 'over' marks a rate above --max-rate (by default the test's own maximum "
        "exposure rate), an item too many candidates have seen. As a table (the default), CSV or JSON, on stdout."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("test_id", type=int, help="the id of the test")
        parser.add_argument("--format", choices=FORMATS, default="table")
        parser.add_argument(
            "--max-rate", type=float, help="the highest acceptable rate (default: the test's maximum exposure rate)"
        )

    def handle(self, *args: Any, test_id: int, format: str, max_rate: float | None, **options: Any) -> None:
        if max_rate is not None and not 0 < max_rate <= 1:
            raise CommandError("--max-rate must be above 0 and at most 1.")
        test = Test.objects.filter(pk=test_id).first()
        if test is None:
            raise CommandError(f"Test {test_id} does not exist.")
        max_rate = test.max_exposure_rate if max_rate is None else max_rate
        attempts, rows = blueprint_exposure(test=test, max_rate=max_rate)
        over = sum(row.over for row in rows)
        try:
            rows_write(
                self.stdout,
                format=format,
                rows=rows,
                columns=COLUMNS,
                summary={"attempts": attempts, "max_rate": max_rate},
                heading=f"{attempts} attempt(s), {len(rows)} question(s), {over} over the rate {max_rate:g}",
                table_line=lambda row: (
                    f"{row.question_id:>6}  {row.shown:>5}  {row.rate:>6.1%}  {row.skill[:20]:<20}  "
                    f"{row.prompt[:50]}{'  OVER' if row.over else ''}"
                ),
            )
        except BrokenPipeError:  # `| head` closed the pipe: nothing more to say
            sys.stderr.close()
