"""`manage.py export_results TEST_ID`: a test's results as CSV or JSON, on stdout or into a file."""

import argparse
import csv
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from assessments.csv_cells import csv_cell
from assessments.models import Assessment, Response, Test
from assessments.selectors.results import (
    RESPONSE_COLUMNS,
    RESULT_COLUMNS,
    blueprint_attempts,
    response_rows,
    result_row,
)


class Command(BaseCommand):
    help = (
        "Export the results of test TEST_ID: one row per attempt (candidate, attempt, status, score, percentage, "
        "passed, time taken, hints, integrity events), or with --per-question one row per question asked "
        "(candidate, question, option chosen, correct, time taken). CSV (the default; cells a spreadsheet would "
        "read as formulas are prefixed with ') or JSON, on stdout or into --output FILE. A progress bar on "
        "stderr shows when stderr is a terminal (--progress / --no-progress to force)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("test_id", type=int, help="the id of the test")
        parser.add_argument("--format", choices=["csv", "json"], default="csv", help="csv (default) or json")
        parser.add_argument(
            "--per-question", action="store_true", help="one row per question asked instead of one per attempt"
        )
        parser.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of stdout")
        parser.add_argument(
            "--progress",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="show a progress bar (default: on a terminal)",
        )

    def handle(
        self,
        *args: Any,
        test_id: int,
        format: str,
        per_question: bool,
        output: str | None = None,
        progress: bool | None = None,
        **options: Any,
    ) -> None:
        test = Test.objects.filter(pk=test_id).first()
        if test is None:
            raise CommandError(f"Test {test_id} does not exist.")
        attempts = Assessment.objects.filter(test=test)
        if per_question:
            columns, total = RESPONSE_COLUMNS, Response.objects.filter(assessment__in=attempts).count()
            rows: Iterator[dict[str, Any]] = response_rows(assessments=attempts)
        else:
            columns, total = RESULT_COLUMNS, attempts.count()
            rows = (_with_ability(result_row(a), a, format) for a in blueprint_attempts(test=test).iterator())
        what = "answer" if per_question else "attempt"
        bar = tqdm(
            rows,
            total=total,
            unit=what,
            desc=f"test {test.pk}",
            disable=None if progress is None else not progress,
            file=sys.stderr,
        )
        if output:
            path = Path(output)
            if not path.parent.is_dir():
                raise CommandError(f"Cannot write {output}: the directory {path.parent} does not exist.")
            with path.open("w", encoding="utf-8", newline="") as stream:
                written = _write(stream, format=format, columns=columns, rows=bar)
            self.stderr.write(f"wrote {written} {what}(s) of test {test.pk} to {output}")
        else:
            self.stdout.ending = ""  # the writers end their own lines
            _write(self.stdout, format=format, columns=columns, rows=bar)


def _with_ability(row: dict[str, Any], attempt: Assessment, format: str) -> dict[str, Any]:
    """JSON rows also carry θ and SE, overall and per skill (as the results API does)."""
    if format == "json":
        row["ability"] = attempt.ai_state.get("ability")
    return row


def _write(stream: IO[str] | Any, *, format: str, columns: list[str], rows: Any) -> int:
    count = 0
    if format == "csv":
        writer = csv.writer(stream, lineterminator="\r\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([csv_cell(row.get(name)) for name in columns])
            count += 1
        return count
    stream.write("[")
    for row in rows:
        stream.write(("," if count else "") + "\n  " + json.dumps(row, ensure_ascii=False, default=str))
        count += 1
    stream.write("\n]\n" if count else "]\n")
    return count
