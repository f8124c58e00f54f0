"""The worked session in docs/PROTOCOL.md shows messages the server really sends."""

import json
from pathlib import Path
from typing import Any

import pytest

from assessments import messages as msg

DOC = (Path(__file__).resolve().parents[2] / "docs" / "PROTOCOL.md").read_text()
EXAMPLE = DOC.split("## A worked session", 1)[1]


def shown_in_full() -> list[dict[str, Any]]:
    """The server messages the example writes out whole; lines that elide fields (`{…,`) are left out."""
    messages = []
    for line in EXAMPLE.splitlines():
        if not line.startswith("← {"):
            continue
        try:
            messages.append(json.loads(line.removeprefix("← ")))
        except ValueError:
            continue
    return messages


def test_the_example_writes_out_the_first_auth_success():
    assert "auth_success" in [m["type"] for m in shown_in_full()]


@pytest.mark.parametrize("message", shown_in_full(), ids=lambda m: f"{m['type']}-{m.get('seq')}")
def test_every_message_written_out_has_exactly_the_declared_fields(message):
    fields = msg.SERVER_MESSAGES[message["type"]].model_fields
    required = {name for name, field in fields.items() if field.is_required()}
    assert set(message["data"]) <= set(fields), f"{message['type']} shows undeclared fields"
    assert required <= set(message["data"]), f"{message['type']} lacks {sorted(required - set(message['data']))}"
