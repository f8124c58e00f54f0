"""CSV for list endpoints: `?format=csv` (DRF's format override) or `Accept: text/csv`."""

import csv
import io
from collections.abc import Mapping, Sequence
from typing import Any

from rest_framework.renderers import BaseRenderer

from assessments.csv_cells import csv_cell


class CSVRenderer(BaseRenderer):
    """Renders a list of rows; the header is the view's `csv_header` (or the first row's keys)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        rows: Sequence[Mapping[str, Any]] = data if isinstance(data, list) else [data]
        view = (renderer_context or {}).get("view")
        header: list[str] = list(getattr(view, "csv_header", None) or (rows[0].keys() if rows else []))
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow([csv_cell(row.get(name)) for name in header])
        return buffer.getvalue().encode(self.charset)
