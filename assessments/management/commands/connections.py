"""`manage.py connections`: live WebSocket connections per worker and per test, from the database.

Every worker records its connections in CandidateSession (claimed on connect, released on
disconnect, marked as seen by its live worker every 30 s), so this counts the whole deployment, not one process's memory.
A worker killed without a chance to release its sessions leaves rows behind; once nothing has
refreshed them for a while they are counted apart as stale, under the worker that left them.
"""

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from assessments.selectors.sessions import live_connection_counts


class Command(BaseCommand):
    help = (
        "Count the live WebSocket connections (sessions not released and seen recently) per worker and per "
        "test, from the sessions table every worker writes; stale sessions (never released, not seen for a while: "
        "their worker is likely gone) are counted apart. --json for a machine-readable summary."
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
                        "stale": counts.stale,
                        "stale_per_worker": [{"worker": w, "sessions": n} for w, n in counts.stale_per_worker],
                    },
                    ensure_ascii=False,
                    indent=2,
                )
            )
            return
        self.stdout.write(f"live connections: {counts.total}")
        if counts.total:
            self._table("per worker:", counts.per_worker)
            labels = [(f"#{t} {title}" if t is not None else title, n) for t, title, n in counts.per_test]
            self._table("per test:", labels)
        if counts.stale:
            self.stdout.write(
                f"\nstale sessions, not counted above: {counts.stale} "
                f"(never released, not seen for {counts.stale_after_seconds} s: their worker is likely gone)"
            )
            self._table("stale per worker:", counts.stale_per_worker)

    def _table(self, title: str, rows: list[tuple[str, int]]) -> None:
        width = max(len(label) for label, _ in rows)
        self.stdout.write(f"\n{title}")
        for label, n in rows:
            self.stdout.write(f"  {label:<{width}}  {n:>6}")
