"""`manage.py item_drift_report TEST_ID`: each question's prior against its calibrated difficulty."""

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assessments.management.report_formats import FORMATS, rows_write
from assessments.models import Test
from assessments.psychometrics.calibration import TRUSTED_SE
from assessments.selectors.calibration_report import ItemCalibration, blueprint_calibration

COLUMNS = [
    "question_id",
    "skill",
    "difficulty",
    "prior",
    "calibrated",
    "se",
    "n",
    "trusted",
    "drift",
    "a",
    "a_se",
    "discrimination",
    "flags",
    "prompt",
]


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:+.2f}"


HEADER_LINE = "    id  label    prior  calib.     se      n   drift      a  corr.  prompt"


def _line(row: ItemCalibration) -> str:
    flags = f"  FLAG: {'; '.join(row.flags)}" if row.flags else ""
    se = "-" if row.se is None else f"{row.se:.2f}"
    a = "-" if row.a is None else f"{row.a:.2f}"
    return (
        f"{row.question_id:>6}  {row.difficulty:<6}  {row.prior:+.2f}  {_number(row.calibrated):>6}  "
        f"{se:>5}  {row.n:>5}  {_number(row.drift):>6}  {a:>5}  {_number(row.discrimination):>5}  "
        f"{row.prompt[:40]}{flags}"
    )


class Command(BaseCommand):
    help = (
        "Each question of test TEST_ID: its prior difficulty (the label's logit), its calibrated difficulty with "
        f"SE and number of answers (trusted once the SE is under {TRUSTED_SE}), the drift between them, the "
        "calibrated discrimination a (2PL) with its SE, the live discrimination (the correlation of the candidates' "
        "θ with their credit), and the flags for review (moved far from the prior, negative discrimination); flagged "
        "ones first. As a table (the default), CSV or JSON, on stdout."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("test_id", type=int, help="the id of the test")
        parser.add_argument("--format", choices=FORMATS, default="table")

    def handle(self, *args: Any, test_id: int, format: str, **options: Any) -> None:
        test = Test.objects.filter(pk=test_id).first()
        if test is None:
            raise CommandError(f"Test {test_id} does not exist.")
        rows = blueprint_calibration(test=test)
        flagged = sum(bool(row.flags) for row in rows)
        try:
            rows_write(
                self.stdout,
                format=format,
                rows=rows,
                columns=COLUMNS,
                summary={"test_id": test.pk, "questions": len(rows), "flagged": flagged, "trusted_se": TRUSTED_SE},
                heading=(f"{len(rows)} question(s), {flagged} flagged for review\n{HEADER_LINE}"),
                table_line=_line,
            )
        except BrokenPipeError:
            sys.stderr.close()
