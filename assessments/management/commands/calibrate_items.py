"""`manage.py calibrate_items TEST_ID`: recompute a test's item calibration from all its answers."""

import argparse
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from assessments.errors import ApplicationError
from assessments.management.commands.item_drift_report import COLUMNS, HEADER_LINE, _line
from assessments.management.report_formats import FORMATS, rows_write
from assessments.models import Test
from assessments.selectors.calibration_report import blueprint_calibration
from assessments.services.calibration import items_recalibrate


class Command(BaseCommand):
    help = (
        "Start every question of test TEST_ID over from its prior difficulty and replay the answers of all its "
        "ended attempts, oldest first, through the online calibration (answers too fast to read and void "
        "questions are left out); then print each question's calibration as item_drift_report does. The expiry "
        "loop keeps calibration current on its own; this is for a changed rule, a repaired key or a first run. "
        "A progress bar on stderr shows when stderr is a terminal (--progress / --no-progress to force)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("test_id", type=int, help="the id of the test")
        parser.add_argument("--format", choices=FORMATS, default="table")
        parser.add_argument(
            "--progress", action=argparse.BooleanOptionalAction, default=None, help="show a progress bar"
        )

    def handle(self, *args: Any, test_id: int, format: str, progress: bool | None, **options: Any) -> None:
        if not Test.objects.filter(pk=test_id).exists():
            raise CommandError(f"Test {test_id} does not exist.")
        bar = tqdm(
            unit="attempt", desc=f"test {test_id}", disable=None if progress is None else not progress, file=sys.stderr
        )

        def advance(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        try:
            done = items_recalibrate(test_id=test_id, progress=advance)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        finally:
            bar.close()
        rows = blueprint_calibration(test=Test.objects.get(pk=test_id))
        summary = {"test_id": test_id, "attempts": done.attempts, "answers": done.answers, "questions": done.items}
        rows_write(
            self.stdout,
            format=format,
            rows=rows,
            columns=COLUMNS,
            summary=summary,
            heading=(
                f"calibrated {done.items} question(s) from {done.answers} answer(s) in {done.attempts} ended "
                f"attempt(s); {sum(bool(r.flags) for r in rows)} flagged for review\n{HEADER_LINE}"
            ),
            table_line=_line,
        )
