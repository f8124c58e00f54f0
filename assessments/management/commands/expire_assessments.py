import logging
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from assessments.services.attempt_control import assessments_expire_due
from assessments.services.calibration import BATCH, attempts_calibrate

# Batches of ended attempts calibrated per pass at most: a large backlog drains over a few passes
# without holding up the expiry of the next ones.
CALIBRATION_BATCHES_PER_PASS = 10

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Finalize every in-progress attempt whose deadline has passed (status timed_out, answered questions "
        "scored, ended at their deadline), telling any connected candidate. One pass, or --loop SECONDS to "
        "keep running (it then reports only the passes that expired something). Each pass also puts the answers of "
        "attempts that ended since into their questions' calibration."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", type=float, metavar="SECONDS", help="repeat every SECONDS until stopped")

    def handle(self, *args: Any, loop: float | None = None, **options: Any) -> None:
        if loop is not None and loop <= 0:
            raise CommandError("--loop needs a positive number of seconds")
        while True:
            expired = assessments_expire_due()
            try:
                calibrated = self._calibrate()
            except DatabaseError:
                if loop is None:
                    raise
                # Say, a lock conflict or the database restarting: expiry must go on; the next pass retries.
                logger.exception("calibrating the ended attempts failed; retrying next pass")
                calibrated = 0
            if expired or loop is None:
                self.stdout.write(
                    f"expired {len(expired)} attempt(s)" + (f": {', '.join(map(str, expired))}" if expired else "")
                )
            if calibrated or loop is None:
                self.stdout.write(f"calibrated the questions of {calibrated} ended attempt(s)")
            if loop is None:
                return
            time.sleep(loop)

    def _calibrate(self) -> int:
        total = 0
        for _ in range(CALIBRATION_BATCHES_PER_PASS):
            done = attempts_calibrate(limit=BATCH)
            total += done
            if done < BATCH:
                break
        return total
