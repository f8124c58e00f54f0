"""Reads behind the REST API: recruiters' tests and results, candidates' tests and attempts."""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from assessments import clock
from assessments.errors import ApplicationError, BackOfficeCode
from assessments.models import Assessment, CandidateApplication, Question, Skill, Test
from assessments.selectors.access import access_window_state, blueprint_access_check, blueprint_access_evaluate


class MyTestState:
    AVAILABLE = "available"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"  # no attempts left
    UPCOMING = "upcoming"
    CLOSED = "closed"


@dataclass(frozen=True)
class MyTest:
    """One test a candidate may take, as they see it."""

    test: Test
    window: str
    state: str
    time_multiplier: float
    attempts_used: int
    attempts_left: int
    in_progress_assessment_id: int | None
    closes_at: datetime | None = None  # the test's close or the candidate's own deadline, the earlier

    @property
    def time_limit_seconds(self) -> int:
        return round(self.test.time_limit_minutes * 60 * self.time_multiplier)

    @property
    def time_limit_minutes(self) -> float:
        return self.time_limit_seconds / 60


def _is_superuser(user: User | AnonymousUser) -> bool:
    return bool(getattr(user, "is_superuser", False))


def blueprints_visible_to(*, user: User | AnonymousUser) -> QuerySet[Test]:
    """The tests a recruiter manages, newest first: their own, or every test for a superuser."""
    skills = Skill.objects.annotate(active_question_count=Count("questions", filter=Q(questions__active=True)))
    tests = Test.objects.select_related("created_by").prefetch_related(Prefetch("skills", queryset=skills))
    # Explicit order: with the aggregate, Meta.ordering would not apply, and pages must be stable.
    tests = (
        tests.annotate(has_attempts=Exists(Assessment.objects.filter(test=OuterRef("pk"))))
        .annotate(active_question_count=Count("questions", filter=Q(questions__active=True), distinct=True))
        .order_by("-created_at", "-id")
    )
    if _is_superuser(user):
        return tests
    if not user.is_authenticated:
        return tests.none()
    return tests.filter(created_by=user)


def blueprint_get_visible(*, user: User | AnonymousUser, test_id: int) -> Test:
    """One test the recruiter manages; any other test is simply not found (404)."""
    test = blueprints_visible_to(user=user).filter(pk=test_id).first()
    if test is None:
        raise ApplicationError(BackOfficeCode.NOT_FOUND, f"Test {test_id} was not found.", status=404)
    return test


def blueprint_questions(*, test: Test) -> QuerySet[Question]:
    return Question.objects.filter(test=test).select_related("skill").order_by("id")


def blueprint_results(*, test: Test) -> QuerySet[Assessment]:
    """Every attempt at `test`, oldest first."""
    return Assessment.objects.filter(test=test).select_related("candidate").order_by("started_at", "id")


def my_tests(*, user: User, now: datetime | None = None) -> list[MyTest]:
    """Published tests `user` is eligible for (or that need no application), with their state."""
    now = now or clock.now()
    eligible = CandidateApplication.objects.filter(
        test=OuterRef("pk"), candidate=user, status__in=CandidateApplication.ELIGIBLE_STATUSES
    )
    tests = (
        Test.objects.filter(status=Test.Status.PUBLISHED)
        .filter(Q(requires_application=False) | Q(Exists(eligible)))
        .order_by("opens_at", "id")
    )
    rows: list[MyTest] = []
    for test in tests:
        access = blueprint_access_evaluate(test=test, user=user, now=now)
        window = access_window_state(access=access, now=now)
        if access.in_progress is not None:
            state = MyTestState.IN_PROGRESS
        elif window == "upcoming":
            state = MyTestState.UPCOMING
        elif access.attempts_left <= 0:
            state = MyTestState.COMPLETED
        elif window == "closed":
            state = MyTestState.CLOSED
        else:
            try:
                blueprint_access_check(access=access, now=now, new_attempt=True)
            except ApplicationError:
                continue  # not eligible after all (e.g. the application changed meanwhile)
            state = MyTestState.AVAILABLE
        rows.append(
            MyTest(
                test=test,
                window=window,
                state=state,
                time_multiplier=access.time_multiplier,
                attempts_used=access.attempts_used,
                attempts_left=access.attempts_left,
                in_progress_assessment_id=access.in_progress.pk if access.in_progress else None,
                closes_at=access.closes_at,
            )
        )
    return rows


def my_assessments(*, user: User) -> QuerySet[Assessment]:
    """The user's own attempts, newest first."""
    return Assessment.objects.filter(candidate=user).select_related("test").order_by("-started_at", "-id")
