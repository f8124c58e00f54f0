"""`manage.py connections`: live WebSocket connections per worker and per test, from the database.

Every worker records its connections in CandidateSession (claimed on connect, released on
disconnect), so this counts the whole deployment, not one process's memory. A worker killed
without a chance to release its sessions leaves rows behind until their candidates reconnect.
"""

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from assessments.selectors.analytics import live_connection_counts


class Command(BaseCommand):
    help = (
        "Count the live WebSocket connections (sessions with no disconnect time) per worker and per test, "
        "from the sessions table every worker writes. --json for a machine-readable summary."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", dest="as_json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, as_json: bool = False, **options: Any) -> None:
        counts = live_connection_counts()
        if as_json:
            self.stdout.write(
                json.dumps(
                    {
                        "total": counts.total,
                        "per_worker": [{"worker": w, "connections": n} for w, n in counts.per_worker],
                        "per_test": [
                            {"test_id": t, "title": title, "connections": n} for t, title, n in counts.per_test
                        ],
                    },
                    ensure_ascii=False,
                    indent=2,
                )
            )
            return
        self.stdout.write(f"live connections: {counts.total}")
        if not counts.total:
            return
        width = max(len(w) for w, _ in counts.per_worker)
        self.stdout.write("\nper worker:")
        for worker, n in counts.per_worker:
            self.stdout.write(f"  {worker:<{width}}  {n:>6}")
        self.stdout.write("\nper test:")
        labels = [(f"#{t} {title}" if t is not None else title, n) for t, title, n in counts.per_test]
        width = max(len(label) for label, _ in labels)
        for label, n in labels:
            self.stdout.write(f"  {label:<{width}}  {n:>6}")
