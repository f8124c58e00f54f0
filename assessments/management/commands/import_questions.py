"""`manage.py import_questions TEST_ID FILE`: bank questions from a CSV or GIFT file, all or none."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assessments.errors import ApplicationError
from assessments.models import Test
from assessments.services.bank_transfer import bank_import, questions_parse_csv, questions_parse_gift

FORMAT_OF_SUFFIX = {".csv": "csv", ".gift": "gift", ".txt": "gift"}
PARSERS = {"csv": questions_parse_csv, "gift": questions_parse_gift}


class Command(BaseCommand):
    help = (
        "Import multiple-choice questions into the bank of test TEST_ID from FILE: CSV with the header "
        "skill,difficulty,prompt,option_1,...,option_6,correct,explanation (correct: the option's number or its "
        "exact text), or Moodle GIFT (its $CATEGORY names the skill). Every problem is listed with its line, and "
        "while any is left nothing is imported; questions already in the bank are skipped. --dry-run checks "
        "everything and writes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("test_id", type=int, help="the id of the test")
        parser.add_argument("file", metavar="FILE", help="the UTF-8 file to read")
        parser.add_argument(
            "--format", choices=sorted(PARSERS), help="csv or gift (default: from FILE's extension, .txt is gift)"
        )
        parser.add_argument("--dry-run", action="store_true", help="check the file and report, writing nothing")
        parser.add_argument(
            "--skill",
            metavar="NAME",
            default="",
            help="the skill of questions the file gives none (default: the first)",
        )

    def handle(
        self, *args: Any, test_id: int, file: str, format: str | None, dry_run: bool, skill: str, **options: Any
    ) -> None:
        test = Test.objects.filter(pk=test_id).first()
        if test is None:
            raise CommandError(f"Test {test_id} does not exist.")
        path = Path(file)
        format = format or FORMAT_OF_SUFFIX.get(path.suffix.casefold(), "")
        if not format:
            raise CommandError(f"Cannot tell the format of {file} from its extension: pass --format csv or gift.")
        try:
            text = path.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror or exc}.") from exc
        except UnicodeDecodeError as exc:
            raise CommandError(f"Cannot read {file}: it is not UTF-8 text.") from exc
        parsed = PARSERS[format](text=text, skill=skill)
        try:
            report = bank_import(test=test, parsed=parsed, dry_run=dry_run)
        except ApplicationError as exc:
            for problem in exc.extra.get("problems", []):
                self.stdout.write(problem)
            raise CommandError(exc.message) from exc
        for skipped in report.skipped:
            self.stdout.write(str(skipped))
        self.stdout.write(f"test {test.pk} ({test.title}): {report.summary}")
