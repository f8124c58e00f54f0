"""Back-office services: parsing invitation lists, inviting, resetting an attempt."""

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from assessments.errors import ApplicationError
from assessments.models import Assessment, CandidateApplication, ChatMessage, Response, Test
from assessments.services.attempt_control import assessment_reset
from assessments.services.blueprints import blueprint_duplicate
from assessments.services.candidates import InviteRow, applications_status_set, candidates_invite, invite_rows_parse
from assessments.tests.backoffice_factories import attempt_with_answers, attempt_with_record, first_question
from assessments.tests.factories import RecruiterFactory, UserFactory, published_test_with_bank

pytestmark = pytest.mark.django_db


def test_duplicate_copies_every_setting_but_the_title_and_the_status() -> None:
    opens = timezone.now().replace(microsecond=0) + timedelta(days=2)
    test = published_test_with_bank(
        description="Only the copy's description",
        job_description="Run the payments service.",
        total_questions=4,
        time_limit_minutes=17,
        opens_at=opens,
        closes_at=opens + timedelta(hours=5),
        max_attempts=3,
        pass_percentage=72.5,
        feedback_mode=Test.FeedbackMode.FULL,
        requires_application=False,
        se_target=0.35,
    )
    by = RecruiterFactory.create()

    copy = blueprint_duplicate(test=test, by=by)

    settings = [
        "description",
        "job_description",
        "total_questions",
        "time_limit_minutes",
        "opens_at",
        "closes_at",
        "max_attempts",
        "pass_percentage",
        "feedback_mode",
        "requires_application",
        "se_target",
    ]
    copy.refresh_from_db()
    assert {name: getattr(copy, name) for name in settings} == {name: getattr(test, name) for name in settings}
    assert (copy.title, copy.status, copy.created_by) == (f"Copy of {test.title}", Test.Status.DRAFT, by)


@pytest.mark.parametrize(
    "text",
    [
        "ann,ann@example.com\nben\n",
        "username,email\r\nann,ann@example.com\r\nben,\r\n",
        '"ann","ann@example.com"\n"ben"',
        "ann\tann@example.com\n  ben  \n",
        "ann;ann@example.com\n# comment\n\nben",
    ],
)
def test_invite_rows_parse_accepts_the_usual_shapes(text: str) -> None:
    rows = invite_rows_parse(text=text)
    assert [(r.username, r.email) for r in rows] == [("ann", "ann@example.com"), ("ben", "")]


def test_invite_rows_parse_lists_every_bad_line() -> None:
    with pytest.raises(ValidationError) as error:
        invite_rows_parse(text="ok\nbad!\nok\nx,y,z\nfine,nope\n" + "u" * 151)
    assert error.value.messages == [
        "line 2: invalid username 'bad!': Enter a valid username. This value may contain only letters, numbers, "
        "and @/./+/-/_ characters.",
        "line 3: 'ok' is listed twice (also on line 1)",
        "line 4: expected username,email but found 3 values",
        "line 5: invalid email address 'nope'",
        f"line 6: invalid username '{'u' * 151}': Ensure this value has at most 150 characters (it has 151).",
    ]


def test_inviting_twice_changes_nothing_the_second_time() -> None:
    test = published_test_with_bank()
    rows = [InviteRow(line=1, username="nia", email="nia@example.com")]

    first = candidates_invite(test=test, rows=rows)
    second = candidates_invite(test=test, rows=rows)

    assert first.created_for_email == ["nia"]  # an address: she signs in by the emailed link, no password
    assert first.created == []
    assert second.created_for_email == []
    assert second.already == [("nia", "Invited")]
    assert [a.candidate.get_username() for a in second.applications] == ["nia"]  # to be emailed a new link
    assert CandidateApplication.objects.filter(test=test).count() == 1


def test_applications_status_set_refuses_an_unknown_status() -> None:
    with pytest.raises(ApplicationError):
        applications_status_set(applications=CandidateApplication.objects.all(), status="hired")


def test_reset_deletes_a_finished_attempt_and_its_record() -> None:
    test = published_test_with_bank()
    question = first_question(test)
    attempt = attempt_with_record(test=test, question=question)

    result = assessment_reset(assessment_id=attempt.pk, by="ops")

    assert (result.assessment_id, result.attempt_number, result.was_running, result.responses_deleted) == (
        attempt.pk,
        1,
        False,
        1,
    )
    assert not Assessment.objects.filter(pk=attempt.pk).exists()
    assert not Response.objects.filter(assessment_id=attempt.pk).exists()
    assert not ChatMessage.objects.filter(assessment_id=attempt.pk).exists()
    assert CandidateApplication.objects.filter(test=test, candidate=attempt.candidate).exists()  # still invited


def test_reset_terminates_a_running_attempt_first(
    group_sends: list[tuple[str, dict[str, Any]]], django_capture_on_commit_callbacks: Any
) -> None:
    test = published_test_with_bank()
    running = attempt_with_answers(test=test, answers={first_question(test): None}, status="in_progress")

    with django_capture_on_commit_callbacks(execute=True):
        result = assessment_reset(assessment_id=running.pk)

    assert result.was_running
    assert not Assessment.objects.filter(pk=running.pk).exists()
    ((group, event),) = group_sends
    assert group == f"user_{running.candidate_id}"
    assert event["message"]["type"] == "assessment_completed"
    assert event["message"]["data"]["status"] == "terminated"


def test_reset_refuses_unknown_and_earlier_attempts() -> None:
    test = published_test_with_bank(max_attempts=3)
    candidate = UserFactory.create()
    first = attempt_with_answers(test=test, answers={}, candidate=candidate)
    second = attempt_with_answers(test=test, answers={}, candidate=candidate)

    with pytest.raises(ApplicationError) as unknown:
        assessment_reset(assessment_id=999_999)
    with pytest.raises(ApplicationError) as earlier:
        assessment_reset(assessment_id=first.pk)

    assert unknown.value.code == "assessment_not_found"
    assert earlier.value.code == "not_latest_attempt"
    assert assessment_reset(assessment_id=second.pk).attempt_number == 2
    assert assessment_reset(assessment_id=first.pk).attempt_number == 1  # now it is the latest
