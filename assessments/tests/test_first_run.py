"""What a first session with nothing configured trips over (issue 14): every `manage.py` command runs
with the defaults of `make run`, or fails in one line; and an attempt nobody ended is recorded as
ending at its deadline, however late the expiry pass comes round to it."""

import subprocess
import sys
from datetime import timedelta

import pytest
from django.conf import settings

from assessments import clock
from assessments.models import Assessment
from assessments.services.attempt_control import assessments_expire_due
from assessments.tests.factories import attempt_started


def manage_bare(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`manage.py` as a new operator runs it: no SECRET_KEY, DEBUG, DATABASE_URL or settings module."""
    return subprocess.run(  # noqa: S603 - a fixed command line
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={"PATH": "/usr/bin:/bin", "HOME": str(settings.BASE_DIR), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("args", [["--help"], ["expire_assessments", "--help"], ["check"]])
def test_commands_run_with_nothing_configured(args: list[str]) -> None:
    """Before, each one printed a 40-line `KeyError: 'connections'` traceback, even `--help`."""
    done = manage_bare(*args)

    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "settings are not properly configured" not in done.stdout
    if "--help" in args:
        assert "expire_assessments" in done.stdout


def test_a_configuration_error_is_one_line() -> None:
    done = manage_bare("expire_assessments", DEBUG="0")

    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == [
        "manage.py: SECRET_KEY is not set. Set SECRET_KEY in the environment, or DEBUG=1 for local "
        "development (see .env.example)."
    ]


@pytest.mark.django_db
def test_an_attempt_expired_late_ends_at_its_deadline() -> None:
    """Before, `ended_at` was when the expiry pass ran: 4 min 42 s taken on a 4-minute test."""
    _, outcome = attempt_started(time_limit_minutes=4)
    assert outcome.assessment_id is not None
    deadline = clock.now() - timedelta(seconds=42)  # the expiry pass comes 42 s late
    Assessment.objects.filter(pk=outcome.assessment_id).update(
        started_at=deadline - timedelta(minutes=4), deadline_at=deadline
    )

    assert assessments_expire_due() == [outcome.assessment_id]

    attempt = Assessment.objects.get(pk=outcome.assessment_id)
    assert attempt.status == Assessment.Status.TIMED_OUT
    assert attempt.ended_at == attempt.deadline_at
    assert attempt.ended_at - attempt.started_at == timedelta(minutes=4)


def test_make_run_serves_with_the_expiry_loop_beside_daphne() -> None:
    """Under `make run` nothing ended an abandoned attempt: the monitor showed 0:00 and the candidate
    was offered "Resume" long after the deadline. `make -n` prints the recipe without running it."""
    done = subprocess.run(
        ["make", "-n", "run"],  # noqa: S607 - make from PATH, as the README runs it
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    recipe = done.stdout[done.stdout.index("Press Ctrl+C") :]
    assert "manage.py expire_assessments --loop 5 &" in recipe
    assert recipe.index("expire_assessments") < recipe.index("bin/daphne -b")
    assert "trap 'kill $expiry" in recipe  # stopped with daphne, not left behind


def test_a_reader_that_goes_away_early_gets_no_traceback() -> None:
    """`manage.py export_results 1 | head` used to end in a BrokenPipeError traceback. Here the reader
    is gone before the command writes anything."""
    child = subprocess.Popen(
        [sys.executable, "manage.py", "--help"],
        cwd=settings.BASE_DIR,
        env={"PATH": "/usr/bin:/bin", "HOME": str(settings.BASE_DIR)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    child.stdout.close()
    _, errors = child.communicate(timeout=60)

    assert "BrokenPipeError" not in errors
    assert "Traceback" not in errors
    assert child.returncode == 1
