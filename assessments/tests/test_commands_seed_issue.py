"""`manage.py seed_demo` and `manage.py issue_token`."""

from collections import Counter
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django import Settings
from rest_framework_simplejwt.tokens import AccessToken

from assessments import demo_data
from assessments.management.commands.issue_token import Command as IssueTokenCommand
from assessments.models import CandidateApplication, Question, Skill, Test
from assessments.roles import RECRUITERS_GROUP, is_recruiter, recruiter_permissions
from assessments.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

User = get_user_model()
TITLES = {spec["title"] for spec in demo_data.TESTS}


@pytest.fixture(autouse=True)
def fast_password_hasher(settings: Settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def is_open(test: Test) -> bool:
    now = timezone.now()
    return test.opens_at is not None and test.closes_at is not None and test.opens_at <= now < test.closes_at


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, stderr=StringIO())
    return out.getvalue()


def snapshot() -> dict[str, object]:
    group = Group.objects.get(name=RECRUITERS_GROUP)
    return {
        "users": sorted(User._default_manager.values_list("pk", "username", "is_staff", "is_superuser")),
        "groups": sorted(Group.objects.values_list("pk", "name")),
        "group_permissions": sorted(group.permissions.values_list("pk", flat=True)),
        "recruiter_groups": sorted(User._default_manager.get(username="recruiter").groups.values_list("pk", flat=True)),
        "tests": sorted(Test.objects.values_list("pk", "title", "status", "created_by")),
        "skills": sorted(Skill.objects.values_list("pk", "test", "name", "weight", "difficulty", "order")),
        "questions": sorted(Question.objects.values_list("pk", "test", "skill", "prompt", "correct_option", "active")),
        "applications": sorted(CandidateApplication.objects.values_list("pk", "candidate", "test", "status")),
    }


# --- seed_demo ---------------------------------------------------------------------------------


def test_seed_demo_creates_the_demo_users() -> None:
    seed()

    for spec in demo_data.USERS:
        user = User._default_manager.get(username=spec["username"])
        assert user.is_active
        assert user.check_password(spec["password"])
        assert user.is_superuser == (spec["role"] == "admin")
        assert user.is_staff == (spec["role"] in ("admin", "recruiter"))
        assert is_recruiter(user) == (spec["role"] in ("admin", "recruiter"))
    assert {spec["username"] for spec in demo_data.USERS} == {"admin", "recruiter", "alice", "bob", "carol"}
    recruiter = User._default_manager.get(username="recruiter")
    assert recruiter.groups.filter(name=RECRUITERS_GROUP).exists()
    assert not User._default_manager.get(username="alice").groups.exists()


def test_seed_demo_prints_the_credentials() -> None:
    output = seed()

    for spec in demo_data.USERS:
        assert any(spec["username"] in line and spec["password"] in line for line in output.splitlines())
    for title in TITLES:
        assert title in output


def test_seed_demo_gives_recruiters_their_admin_permissions() -> None:
    seed()

    granted = set(Group.objects.get(name=RECRUITERS_GROUP).permissions.values_list("codename", flat=True))
    for model in ("test", "skill", "question", "candidateapplication"):
        assert {f"{action}_{model}" for action in ("view", "add", "change", "delete")} <= granted
    for model in ("assessment", "response", "chatmessage", "assessmentevent", "integrityevent"):
        assert f"view_{model}" in granted
        assert not {f"{action}_{model}" for action in ("add", "change", "delete")} & granted
    assert len(granted) == sum(len(actions) for actions in recruiter_permissions().values())


def test_seed_demo_creates_two_open_published_tests() -> None:
    before = timezone.now()
    seed()

    tests = {t.title: t for t in Test.objects.filter(title__in=TITLES)}
    assert set(tests) == TITLES
    recruiter = User._default_manager.get(username="recruiter")
    for test in tests.values():
        assert test.status == Test.Status.PUBLISHED
        assert test.created_by == recruiter
        assert is_open(test)
        assert test.opens_at is not None
        assert test.closes_at is not None
        assert abs(test.opens_at - (before - timedelta(days=1))) < timedelta(minutes=1)
        assert abs(test.closes_at - (before + timedelta(days=90))) < timedelta(minutes=1)
        assert 20 <= test.time_limit_minutes <= 30
        assert test.total_questions == 10
        assert test.requires_application
    assert sorted(t.max_attempts for t in tests.values()) == [1, 2]
    assert {t.feedback_mode for t in tests.values()} == {Test.FeedbackMode.FULL, Test.FeedbackMode.CORRECTNESS}


def test_seed_demo_banks_are_large_valid_and_varied() -> None:
    seed()

    for test in Test.objects.filter(title__in=TITLES):
        bank = list(test.questions.filter(source=Question.Source.BANK, active=True).select_related("skill"))
        assert len(bank) >= 30
        skills = list(test.skills.all())
        assert len(skills) >= 3
        assert all(skill.weight > 0 for skill in skills)
        per_skill = Counter(q.skill_id for q in bank)
        assert len(per_skill) >= 3
        assert min(per_skill.values()) >= 5
        assert len({q.prompt for q in bank}) == len(bank)
        for question in bank:
            question.full_clean()
            assert len(question.options) == 4
            assert question.explanation.strip()
            assert "lorem" not in question.prompt.lower()
        positions = Counter(q.correct_option for q in bank)
        assert set(positions) == {0, 1, 2, 3}
        assert max(positions.values()) < len(bank) / 2
        assert {q.difficulty for q in bank} == {"easy", "medium", "hard"}


def test_seed_demo_shortlists_every_candidate_on_both_tests() -> None:
    seed()

    applications = CandidateApplication.objects.filter(test__title__in=TITLES).select_related("candidate", "test")
    pairs = {(a.candidate.username, a.test.title) for a in applications}
    assert pairs == {(name, title) for name in ("alice", "bob", "carol") for title in TITLES}
    assert all(a.status == CandidateApplication.Status.SHORTLISTED for a in applications)


def test_seed_demo_is_idempotent() -> None:
    seed()
    first = snapshot()

    seed()

    assert snapshot() == first
    for spec in demo_data.USERS:
        assert User._default_manager.get(username=spec["username"]).check_password(spec["password"])


def test_seed_demo_restores_demo_content_in_place() -> None:
    seed()
    test = Test.objects.get(title="Python backend engineer")
    question = test.questions.order_by("id").first()
    assert question is not None
    question.explanation, question.active = "edited", False
    question.save()
    test.status, test.closes_at = Test.Status.ARCHIVED, timezone.now() + timedelta(hours=1)
    test.save()
    CandidateApplication.objects.filter(test=test).update(status=CandidateApplication.Status.REJECTED)
    User._default_manager.filter(username="alice").update(is_active=False)
    stale = Question.objects.create(
        test=test, skill=question.skill, prompt="An outdated demo question?", options=["a", "b"], correct_option=0
    )
    count = Question.objects.count()

    output = seed()

    question.refresh_from_db()
    test.refresh_from_db()
    stale.refresh_from_db()
    assert question.active
    assert question.explanation != "edited"
    assert test.status == Test.Status.PUBLISHED
    assert is_open(test)
    assert test.closes_at is not None
    assert test.closes_at > timezone.now() + timedelta(days=80)
    assert set(CandidateApplication.objects.filter(test=test).values_list("status", flat=True)) == {"shortlisted"}
    assert User._default_manager.get(username="alice").is_active
    assert not stale.active
    assert Question.objects.count() == count
    assert "1 outdated question(s) retired" in output


def test_seed_demo_recruiter_can_use_the_admin(client: Client) -> None:
    seed()
    client.force_login(User._default_manager.get(username="recruiter"))

    page = client.get(reverse("admin:assessments_test_changelist"))

    assert page.status_code == 200
    for title in TITLES:
        assert title in page.content.decode()
    for name in ("question", "candidateapplication", "assessment"):
        assert client.get(reverse(f"admin:assessments_{name}_changelist")).status_code == 200
    for name in ("test", "question", "candidateapplication"):
        assert client.get(reverse(f"admin:assessments_{name}_add")).status_code == 200
    python = Test.objects.get(title="Python backend engineer")
    assert client.get(reverse("admin:assessments_test_change", args=[python.pk])).status_code == 200


# --- issue_token -------------------------------------------------------------------------------


def issue(*args: str) -> str:
    out = StringIO()
    call_command("issue_token", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_issue_token_prints_only_an_access_token_for_the_user() -> None:
    user = UserFactory.create(username="erin")

    output = issue("erin")

    lines = output.splitlines()
    assert len(lines) == 1
    assert output == lines[0] + "\n"
    token = AccessToken(lines[0])  # type: ignore[arg-type]  # simplejwt types the raw token as Token
    assert token["user_id"] == str(user.pk)
    assert token["token_type"] == "access"


def test_issue_token_rejects_an_unknown_user() -> None:
    with pytest.raises(CommandError, match="No user with username 'nobody'"):
        issue("nobody")


def test_issue_token_rejects_an_inactive_user() -> None:
    UserFactory.create(username="gone", is_active=False)

    with pytest.raises(CommandError, match="inactive"):
        issue("gone")


def test_issue_token_exits_non_zero_on_the_command_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(connections, "close_all", lambda: None)  # keep the test transaction's connection

    with pytest.raises(SystemExit) as exit_info:
        IssueTokenCommand().run_from_argv(["manage.py", "issue_token", "nobody"])

    assert exit_info.value.code == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "No user with username 'nobody'" in captured.err


def test_issue_token_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        IssueTokenCommand().run_from_argv(["manage.py", "issue_token", "--help"])

    assert exit_info.value.code == 0
    help_text = capsys.readouterr().out
    assert "JWT access token" in help_text
    assert "username" in help_text
