"""The database itself refuses what the services must never write: rows are inserted directly with
factories and the ORM, bypassing every service, so only the constraints stand in the way.

Each refusal names its constraint, so a test cannot pass because some other rule happened to fire.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from assessments.models import (
    Assessment,
    AssessmentEvent,
    CandidateApplication,
    CandidateSession,
    Question,
    Response,
    Test,
)
from assessments.tests.factories import (
    ApplicationFactory,
    AssessmentFactory,
    QuestionFactory,
    SkillFactory,
    TestFactory,
    UserFactory,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
IN_PROGRESS = Assessment.Status.IN_PROGRESS
COMPLETED = Assessment.Status.COMPLETED


@contextmanager
def refused_by(constraint: str) -> Iterator[None]:
    """The block fails with an IntegrityError raised by `constraint` (in a savepoint, so the test goes on)."""
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        yield
    cause = caught.value.__cause__
    assert getattr(getattr(cause, "diag", None), "constraint_name", None) == constraint, repr(cause)


@pytest.fixture
def blueprint() -> Test:
    return TestFactory(max_attempts=5)


@pytest.fixture
def questions(blueprint: Test) -> list[Question]:
    skill = SkillFactory(test=blueprint)
    return [QuestionFactory(skill=skill, test=blueprint) for _ in range(3)]


@pytest.fixture
def attempt(blueprint: Test) -> Assessment:
    return AssessmentFactory(test=blueprint)


def response(
    assessment: Assessment, question: Question, *, position: int, client_msg_id: str | None = None
) -> Response:
    return Response.objects.create(
        assessment=assessment,
        question=question,
        position=position,
        option_order=[0, 1, 2, 3],
        asked_at=timezone.now(),
        client_msg_id=client_msg_id,
    )


# ---------------------------------------------------------------- attempts


def test_a_second_in_progress_attempt_for_one_candidate_and_test_is_refused(blueprint: Test) -> None:
    first = AssessmentFactory(test=blueprint, attempt_number=1, status=IN_PROGRESS)

    with refused_by("assessment_one_in_progress_per_candidate_test"):
        AssessmentFactory(test=blueprint, candidate=first.candidate, attempt_number=2, status=IN_PROGRESS)

    assert Assessment.objects.filter(candidate=first.candidate, test=blueprint).count() == 1


def test_an_attempt_cannot_be_put_back_in_progress_beside_another(blueprint: Test) -> None:
    candidate = UserFactory()
    done = AssessmentFactory(test=blueprint, candidate=candidate, attempt_number=1, status=COMPLETED)
    AssessmentFactory(test=blueprint, candidate=candidate, attempt_number=2, status=IN_PROGRESS)

    with refused_by("assessment_one_in_progress_per_candidate_test"):
        Assessment.objects.filter(pk=done.pk).update(status=IN_PROGRESS)


def test_a_second_attempt_with_the_same_number_is_refused(blueprint: Test) -> None:
    first = AssessmentFactory(test=blueprint, attempt_number=1, status=COMPLETED)

    with refused_by("assessment_unique_attempt_number"):
        AssessmentFactory(test=blueprint, candidate=first.candidate, attempt_number=1, status=COMPLETED)


def test_attempt_numbers_start_at_one(blueprint: Test) -> None:
    with refused_by("assessment_attempt_number_positive"):
        AssessmentFactory(test=blueprint, attempt_number=0)


def test_two_finished_attempts_and_one_in_progress_are_fine(blueprint: Test) -> None:
    candidate = UserFactory()
    AssessmentFactory(test=blueprint, candidate=candidate, attempt_number=1, status=COMPLETED)
    AssessmentFactory(test=blueprint, candidate=candidate, attempt_number=2, status=Assessment.Status.TIMED_OUT)
    AssessmentFactory(test=blueprint, candidate=candidate, attempt_number=3, status=IN_PROGRESS)
    # The rule is per candidate and per test.
    AssessmentFactory(test=blueprint, attempt_number=1, status=IN_PROGRESS)
    AssessmentFactory(test=TestFactory(), candidate=candidate, attempt_number=1, status=IN_PROGRESS)

    assert Assessment.objects.filter(candidate=candidate, test=blueprint).count() == 3
    assert Assessment.objects.filter(status=IN_PROGRESS).count() == 3


# ---------------------------------------------------------------- responses


def test_two_responses_at_one_position_are_refused(attempt: Assessment, questions: list[Question]) -> None:
    response(attempt, questions[0], position=1)

    with refused_by("response_unique_position"):
        response(attempt, questions[1], position=1)


def test_one_question_asked_twice_in_an_attempt_is_refused(attempt: Assessment, questions: list[Question]) -> None:
    response(attempt, questions[0], position=1)

    with refused_by("response_unique_question"):
        response(attempt, questions[0], position=2)


def test_one_client_message_id_on_two_responses_is_refused(attempt: Assessment, questions: list[Question]) -> None:
    response(attempt, questions[0], position=1, client_msg_id="answer-1")

    with refused_by("response_unique_client_msg_id"):
        response(attempt, questions[1], position=2, client_msg_id="answer-1")


def test_responses_without_a_client_message_id_are_fine(attempt: Assessment, questions: list[Question]) -> None:
    for position, question in enumerate(questions, start=1):
        response(attempt, question, position=position)

    assert Response.objects.filter(assessment=attempt, client_msg_id__isnull=True).count() == len(questions)


def test_the_same_position_question_and_message_id_in_two_attempts_are_fine(
    blueprint: Test, questions: list[Question]
) -> None:
    for attempt in (AssessmentFactory(test=blueprint), AssessmentFactory(test=blueprint)):
        response(attempt, questions[0], position=1, client_msg_id="answer-1")

    assert Response.objects.filter(question=questions[0], position=1, client_msg_id="answer-1").count() == 2


# ---------------------------------------------------------------- applications, events, sessions


def test_a_second_application_of_one_candidate_to_one_test_is_refused(blueprint: Test) -> None:
    application = ApplicationFactory(test=blueprint)

    with refused_by("application_unique_candidate_test"):
        ApplicationFactory(test=blueprint, candidate=application.candidate, status=CandidateApplication.Status.INVITED)

    ApplicationFactory(test=TestFactory(), candidate=application.candidate)
    ApplicationFactory(test=blueprint)
    assert CandidateApplication.objects.filter(test=blueprint).count() == 2


def test_two_events_with_one_seq_in_an_attempt_are_refused(attempt: Assessment) -> None:
    AssessmentEvent.objects.create(assessment=attempt, seq=1, type="assessment_started")

    with refused_by("event_unique_seq"):
        AssessmentEvent.objects.create(assessment=attempt, seq=1, type="question")


def test_one_session_key_is_one_row(blueprint: Test) -> None:
    candidate = UserFactory()
    CandidateSession.objects.create(key=f"{candidate.pk}_{blueprint.pk}", candidate=candidate, test=blueprint)

    with refused_by("assessments_candidatesession_key_key"):
        CandidateSession.objects.create(
            key=f"{candidate.pk}_{blueprint.pk}", candidate=candidate, test=blueprint, epoch=5
        )


def test_a_test_window_must_close_after_it_opens() -> None:
    now = timezone.now()

    with refused_by("test_window_ordered"):
        TestFactory(opens_at=now, closes_at=now - timedelta(minutes=1))
