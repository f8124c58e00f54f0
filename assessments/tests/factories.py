from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from assessments.models import Assessment, CandidateApplication, Difficulty, Question, Response, Skill, Test
from assessments.roles import RECRUITERS_GROUP

User = get_user_model()
PASSWORD = "correct-horse-battery"

if TYPE_CHECKING:
    from assessments.services.attempts import Connection, Outcome


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"candidate{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password(PASSWORD)


class RecruiterFactory(UserFactory):
    username = factory.Sequence(lambda n: f"recruiter{n}")
    is_staff = True

    @factory.post_generation
    def recruiters_group(obj, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            group, _ = Group.objects.get_or_create(name=RECRUITERS_GROUP)
            obj.groups.add(group)


class TestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Test

    title = factory.Sequence(lambda n: f"Backend engineer screen {n}")
    description = "Screening test"
    job_description = "Build and run Django services."
    total_questions = 3
    time_limit_minutes = 30
    max_attempts = 1
    pass_percentage = 60.0
    feedback_mode = Test.FeedbackMode.CORRECTNESS
    requires_application = True
    status = Test.Status.PUBLISHED
    created_by = factory.SubFactory(RecruiterFactory)
    opens_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    closes_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))


class SkillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Skill

    test = factory.SubFactory(TestFactory)
    name = factory.Sequence(lambda n: f"skill-{n}")
    weight = 1.0
    difficulty = Difficulty.MEDIUM


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question

    skill = factory.SubFactory(SkillFactory)
    test = factory.LazyAttribute(lambda q: q.skill.test)
    prompt = factory.Sequence(lambda n: f"Which option is right in case {n}?")
    options = factory.Sequence(lambda n: [f"right {n}", f"wrong a{n}", f"wrong b{n}", f"wrong c{n}"])
    correct_option = 0
    explanation = "Because the first option is the right one."
    difficulty = Difficulty.MEDIUM


class ApplicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CandidateApplication

    candidate = factory.SubFactory(UserFactory)
    test = factory.SubFactory(TestFactory)
    status = CandidateApplication.Status.SHORTLISTED
    time_multiplier = 1.0


class AssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assessment

    test = factory.SubFactory(TestFactory)
    candidate = factory.SubFactory(UserFactory)
    attempt_number = 1
    status = Assessment.Status.IN_PROGRESS
    started_at = factory.LazyFunction(timezone.now)
    deadline_at = factory.LazyAttribute(lambda a: a.started_at + timedelta(minutes=a.test.time_limit_minutes))
    max_score = factory.LazyAttribute(lambda a: a.test.total_questions)


def published_test_with_bank(*, questions: int = 6, skills: int = 2, **test_fields: Any) -> Test:
    """A published test with `skills` skills and `questions` bank items spread over them."""
    test = TestFactory(**test_fields)
    skill_rows = [SkillFactory(test=test, name=f"skill {i + 1}", order=i) for i in range(skills)]
    for i in range(questions):
        QuestionFactory(skill=skill_rows[i % skills], test=test)
    return test


def enrolled_candidate(*, test: Test, **application_fields: object) -> Any:
    """A candidate with a shortlisted application to `test`."""
    application = ApplicationFactory(test=test, **application_fields)
    return application.candidate


def candidate_connect(*, user: Any, test: Test, worker: str = "factory") -> "Connection":
    """Open the candidate's connection to `test` through the service, as a consumer would."""
    from assessments.services.attempts import Connection, connection_open

    opened = connection_open(user=user, test_id=test.pk, channel_name=f"{worker}.channel", worker=worker)
    return Connection(user=user, test_id=test.pk, connection_id=opened.claim.connection_id, epoch=opened.claim.epoch)


def attempt_play(*, test: Test, user: Any, choose: Callable[[Response, int], int]) -> Assessment:
    """Run one whole attempt through the services; `choose(response, n)` gives the served index to answer
    the n-th question (from 0) with."""
    from assessments.services.answers import answer_submit
    from assessments.services.attempts import assessment_start

    conn = candidate_connect(user=user, test=test)
    outcome = assessment_start(conn=conn)
    assessment_id = outcome.assessment_id
    if assessment_id is None:
        raise RuntimeError("the attempt did not start")
    n = 0
    while not outcome.finished:
        question_id = next(m for m in outcome.messages if m["type"] == "question")["data"]["question_id"]
        response = Response.objects.get(assessment_id=assessment_id, question_id=question_id)
        outcome = answer_submit(conn=conn, question_id=question_id, selected_option=choose(response, n))
        n += 1
    return Assessment.objects.get(pk=assessment_id)


def attempt_started(*, questions: int = 8, total: int = 5, **test_fields: Any) -> tuple["Connection", "Outcome"]:
    """A candidate connected to a new published test, with the attempt started through the service."""
    from assessments.services.attempts import assessment_start

    test = published_test_with_bank(questions=questions, total_questions=total, **test_fields)
    user = enrolled_candidate(test=test)
    conn = candidate_connect(user=user, test=test)
    return conn, assessment_start(conn=conn)


def question_served(outcome: "Outcome") -> dict[str, Any]:
    """The data of the `question` message an outcome sends."""
    return next(m for m in outcome.messages if m["type"] == "question")["data"]


def served_key(response: Response) -> int:
    """The index, as served to the candidate, of the response's correct option."""
    return response.option_order.index(response.question.correct_option)
