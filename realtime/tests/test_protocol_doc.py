"""docs/PROTOCOL.md, realtime/protocol.py and assessments/messages.py describe the same protocol."""

import re
from pathlib import Path

import pytest

from assessments import messages as msg
from realtime import protocol as p

DOC = (Path(__file__).resolve().parents[2] / "docs" / "PROTOCOL.md").read_text()


def table_rows(heading: str) -> dict[str, str]:
    """First-column name → the whole row, for the markdown table under `heading`."""
    section = DOC.split(heading, 1)[1]
    rows: dict[str, str] = {}
    for line in section.splitlines()[1:]:
        if line.startswith("#"):
            break
        match = re.match(r"\|\s*`([a-z_0-9]+)`", line)
        if match:
            rows[match.group(1)] = line
    return rows


def test_client_message_types_match():
    assert set(table_rows("## Client messages")) == set(p.CLIENT_MESSAGES)


def test_server_message_types_match():
    assert set(table_rows("## Server messages")) == set(msg.SERVER_MESSAGES)


@pytest.mark.parametrize("message_type", sorted(msg.SERVER_MESSAGES))
def test_every_server_field_is_documented(message_type):
    row = table_rows("## Server messages")[message_type]
    for name in msg.SERVER_MESSAGES[message_type].model_fields:
        assert re.search(rf"\b{name}\b", row), f"{message_type}.{name} is not in PROTOCOL.md"


@pytest.mark.parametrize("message_type", sorted(p.CLIENT_MESSAGES))
def test_every_client_field_is_documented(message_type):
    row = table_rows("## Client messages")[message_type]
    for name in p.CLIENT_MESSAGES[message_type].model_fields:
        assert re.search(rf"\b{name}\b", row), f"{message_type}.{name} is not in PROTOCOL.md"


def test_every_error_code_is_documented():
    documented = set(re.findall(r"`([a-z_]+)`", DOC))
    assert {code.value for code in msg.ErrorCode} <= documented


def test_close_codes_match():
    documented = {int(code) for code in re.findall(r"^\| (4\d\d\d) \|", DOC, flags=re.M)}
    assert documented == {code.value for code in p.CloseCode if code.value >= 4000}


def test_snapshot_fields_are_documented():
    section = DOC.split("Snapshot (`auth_success.data.assessment`)", 1)[1][:400]
    for name in msg.AssessmentSnapshot.model_fields:
        assert name in section
