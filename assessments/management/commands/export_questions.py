"""`manage.py export_questions TEST_ID`: a test's active bank questions as CSV or GIFT."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assessments.models import Question, Test
from assessments.services.bank_transfer import bank_export_csv, bank_export_gift

WRITERS = {"csv": bank_export_csv, "gift": bank_export_gift}


class Command(BaseCommand):
    help = (
        "Export the active bank questions of test TEST_ID as CSV (skill,difficulty,prompt,option_1,...,option_6,"
        "correct,explanation; the default) or Moodle GIFT (a $CATEGORY per skill), on stdout or into --output "
        "FILE. import_questions reads both back; retired and void questions are left out."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("test_id", type=int, help="the id of the test")
        parser.add_argument("--format", choices=sorted(WRITERS), default="csv", help="csv (default) or gift")
        parser.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of stdout")

    def handle(self, *args: Any, test_id: int, format: str, output: str | None = None, **options: Any) -> None:
        test = Test.objects.filter(pk=test_id).first()
        if test is None:
            raise CommandError(f"Test {test_id} does not exist.")
        text = WRITERS[format](test=test)
        left_out = test.questions.filter(active=True, kind=Question.Kind.MULTIPLE).count()
        if left_out:  # on stderr, so the file on stdout stays whole
            self.stderr.write(
                f"{left_out} multi-select question(s) left out: neither format here holds several keys yet"
            )
        if not output:
            self.stdout.ending = ""  # the text ends its own lines
            self.stdout.write(text)
            return
        path = Path(output)
        if not path.parent.is_dir():
            raise CommandError(f"Cannot write {output}: the directory {path.parent} does not exist.")
        path.write_text(text, encoding="utf-8", newline="")
        self.stderr.write(f"wrote the bank of test {test.pk} to {output} ({format})")
