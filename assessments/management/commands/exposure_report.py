"""`manage.py exposure_report TEST_ID`: how often each question of a test has been shown."""

import csv
import json
import sys
from dataclasses import asdict
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assessments.csv_cells import csv_cell
from assessments.models import Test
from assessments.selectors.exposure import blueprint_exposure

COLUMNS = ["question_id", "skill", "difficulty", "shown", "rate", "over", "prompt"]


class Command(BaseCommand):
    help = (
        "Each question of test TEST_ID with how many attempts were shown it and its exposure rate (shown / "
        "attempts), most shown first; 'over' marks a rate above --max-rate (by default the test's own maximum exposure rate), an item too many "
        "candidates have seen. As a table (the default), CSV or JSON, on stdout."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("test_id", type=int, help="the id of the test")
        parser.add_argument("--format", choices=["table", "csv", "json"], default="table")
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
        try:
            self._write(format, attempts, rows, max_rate)
        except BrokenPipeError:  # `| head` closed the pipe: nothing more to say
            sys.stderr.close()

    def _write(self, format: str, attempts: int, rows: list[Any], max_rate: float) -> None:
        if format == "json":
            self.stdout.write(
                json.dumps({"attempts": attempts, "max_rate": max_rate, "items": [asdict(r) for r in rows]})
            )
            return
        if format == "csv":
            writer = csv.writer(self.stdout, lineterminator="\n")
            writer.writerow(COLUMNS)
            for row in rows:
                writer.writerow([csv_cell(getattr(row, name)) for name in COLUMNS])
            return
        over = sum(row.over for row in rows)
        self.stdout.write(f"{attempts} attempt(s), {len(rows)} question(s), {over} over the rate {max_rate:g}")
        for row in rows:
            mark = "  OVER" if row.over else ""
            self.stdout.write(
                f"{row.question_id:>6}  {row.shown:>5}  {row.rate:>6.1%}  {row.skill[:20]:<20}  {row.prompt[:50]}{mark}"
            )
