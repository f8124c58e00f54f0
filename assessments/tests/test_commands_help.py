"""Every operator command (export_results, connections, reset_attempt, extend_attempt, assessment_client)
has a --help, and argument errors are refused: from the command line, help exits 0 and errors non-zero."""

import re
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import CommandError, load_command_class

from assessments.tests.commands_support import run

COMMANDS = ["export_results", "connections", "reset_attempt", "extend_attempt", "assessment_client"]


def manage(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - a fixed command line
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={"PATH": "/usr/bin:/bin", "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "jatayu.settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str) -> None:
    parser = load_command_class("assessments", command).create_parser("manage.py", command)
    text = parser.format_help()
    assert text.startswith(f"usage: manage.py {command}")
    assert len(parser.description or "") > 100


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["export_results", "abc"], "invalid int value: 'abc'"),
        (["export_results", "1", "--format", "xml"], "invalid choice: 'xml'"),
        (["extend_attempt", "1"], "the following arguments are required: minutes"),
        (["reset_attempt"], "the following arguments are required: assessment_id"),
        (["assessment_client", "--url", "ws://x/ws/assessment/1/"], "the following arguments are required"),
        (["connections", "--bogus"], "unrecognized arguments: --bogus"),
    ],
)
def test_bad_arguments_are_refused(args: list[str], error: str) -> None:
    with pytest.raises(CommandError, match=re.escape(error)):
        run(*args)


def test_from_the_command_line_help_exits_0_and_errors_non_zero() -> None:
    help_ = manage("extend_attempt", "--help")
    usage = manage("export_results", "abc")
    refused = manage("assessment_client", "--url", "http://x/", "--username", "u", "--password", "p")

    assert (help_.returncode, usage.returncode, refused.returncode) == (0, 2, 1)
    assert "usage: manage.py extend_attempt" in help_.stdout
    assert "invalid int value: 'abc'" in usage.stderr
    assert "CommandError: --url must be a ws:// or wss:// URL" in refused.stderr
