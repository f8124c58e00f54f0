"""Every code a domain error carries is a member of an enum (`messages.ErrorCode` for what a socket
can answer, `errors.BackOfficeCode` for the API and the admin only), never a string typed in place."""

import re
from pathlib import Path

from assessments.errors import BackOfficeCode
from assessments.messages import ErrorCode

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [
    path
    for package in ("assessments", "realtime")
    for path in (ROOT / package).rglob("*.py")
    if "tests" not in path.parts and "migrations" not in path.parts
]


def test_no_domain_error_is_raised_with_a_code_typed_in_place() -> None:
    typed = re.compile(r"ApplicationError\(\s*[\"']")
    found = [f"{path.relative_to(ROOT)}" for path in SOURCES if typed.search(path.read_text())]

    assert found == []


def test_no_code_means_one_thing_on_the_socket_and_another_in_the_back_office() -> None:
    assert not {c.value for c in ErrorCode} & {c.value for c in BackOfficeCode}
