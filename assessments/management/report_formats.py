"""Writing a report's rows as the operators' commands offer them: a table, CSV or JSON, on stdout."""

import csv
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any, TextIO

from django.core.management.base import OutputWrapper

from assessments.csv_cells import csv_cell

FORMATS = ["table", "csv", "json"]


def rows_write(
    stream: TextIO | OutputWrapper,
    *,
    format: str,
    rows: Sequence[Any],
    columns: Sequence[str],
    summary: dict[str, Any],
    heading: str,
    table_line: Callable[[Any], str],
) -> None:
    """`rows` are dataclasses. JSON: the summary with the rows as `items`; CSV: the columns only; a table:
    the heading, then a line a row."""
    if format == "json":
        stream.write(json.dumps({**summary, "items": [asdict(row) for row in rows]}) + "\n")
        return
    if format == "csv":
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([csv_cell(_cell(getattr(row, name))) for name in columns])
        return
    stream.write(heading + "\n")
    for row in rows:
        stream.write(table_line(row) + "\n")


def _cell(value: Any) -> Any:
    return "; ".join(value) if isinstance(value, tuple) else value
