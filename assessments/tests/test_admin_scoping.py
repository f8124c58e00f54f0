"""Recruiters see, add and change only what belongs to their own tests; staff outside the recruiters group
get nothing; `migrate` alone gives that group its permissions."""

import pytest
from django.test import Client

from assessments.models import Assessment, CandidateApplication, Question, Test
from assessments.tests.admin_support import (
    admin_url,
    attempt_create,
    fast_password_hasher,  # noqa: F401 - autouse: passwords hash fast here
)
from assessments.tests.factories import QuestionFactory, RecruiterFactory, SkillFactory, TestFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_recruiter_sees_only_own_tests(recruiter_client: tuple[Client, object]) -> None:
    client, recruiter = recruiter_client
    own = TestFactory.create(created_by=recruiter, title="Mine: data engineer")
    other = TestFactory.create(title="Theirs: site reliability")

    page = client.get(admin_url(Test, "changelist"))

    assert page.status_code == 200
    assert own.title in page.content.decode()
    assert other.title not in page.content.decode()
    assert client.get(admin_url(Test, "change", own.pk)).status_code == 200
    assert client.get(admin_url(Test, "change", other.pk)).status_code == 302
    assert client.post(admin_url(Test, "delete", other.pk), {"post": "yes"}).status_code == 302
    assert Test.objects.filter(pk=other.pk).exists()


def test_recruiter_related_admins_are_scoped(recruiter_client: tuple[Client, object]) -> None:
    client, recruiter = recruiter_client
    own_skill = SkillFactory.create(
        test=TestFactory.create(created_by=recruiter, title="Own: analytics"), name="own-skill"
    )
    own_question = QuestionFactory.create(skill=own_skill, test=own_skill.test, prompt="Own prompt about joins?")
    other_skill = SkillFactory.create(test=TestFactory.create(title="Other: mobile"), name="other-skill")
    other_question = QuestionFactory.create(skill=other_skill, test=other_skill.test, prompt="Other prompt about CSS?")
    own_attempt = attempt_create(test=own_skill.test, candidate=UserFactory.create(username="own-candidate"))
    other_attempt = attempt_create(test=other_skill.test, candidate=UserFactory.create(username="other-candidate"))

    questions = client.get(admin_url(Question, "changelist")).content.decode()
    assert own_question.prompt in questions
    assert other_question.prompt not in questions
    assert other_skill.test.title not in questions  # the test filter lists only the recruiter's tests
    applications = client.get(admin_url(CandidateApplication, "changelist")).content.decode()
    assert "own-candidate" in applications
    assert "other-candidate" not in applications
    attempts = client.get(admin_url(Assessment, "changelist")).content.decode()
    assert "own-candidate" in attempts
    assert "other-candidate" not in attempts

    assert client.get(admin_url(Question, "change", own_question.pk)).status_code == 200
    assert client.get(admin_url(Assessment, "change", own_attempt.pk)).status_code == 200
    assert client.get(admin_url(Question, "change", other_question.pk)).status_code == 302
    assert client.get(admin_url(Assessment, "change", other_attempt.pk)).status_code == 302
    assert client.get(admin_url(CandidateApplication, "change", other_attempt.application_id)).status_code == 302


def test_recruiter_forms_offer_only_own_tests(recruiter_client: tuple[Client, object]) -> None:
    client, recruiter = recruiter_client
    TestFactory.create(created_by=recruiter, title="Mine: backend")
    TestFactory.create(title="Theirs: frontend")

    for model in (Question, CandidateApplication):
        page = client.get(admin_url(model, "add")).content.decode()
        assert "Mine: backend" in page
        assert "Theirs: frontend" not in page


def test_recruiter_add_test_owns_it(recruiter_client: tuple[Client, object]) -> None:
    client, recruiter = recruiter_client
    someone_else = RecruiterFactory.create()
    data = {
        "title": "Recruiter's own test",
        "total_questions": "5",
        "time_limit_minutes": "20",
        "max_attempts": "1",
        "pass_percentage": "50",
        "feedback_mode": Test.FeedbackMode.CORRECTNESS,
        "status": Test.Status.DRAFT,
        "created_by": someone_else.pk,  # ignored: read-only for recruiters
        "skills-TOTAL_FORMS": "0",
        "skills-INITIAL_FORMS": "0",
    }
    response = client.post(admin_url(Test, "add"), data)

    assert response.status_code == 302
    assert Test.objects.get(title="Recruiter's own test").created_by == recruiter


def test_recruiter_cannot_invite_to_another_recruiters_test(recruiter_client: tuple[Client, object]) -> None:
    client, _ = recruiter_client
    other = TestFactory.create()
    candidate = UserFactory.create()
    data = {"candidate": candidate.username, "test": other.pk, "status": "invited", "time_multiplier": "1.0"}

    response = client.post(admin_url(CandidateApplication, "add"), data)

    assert response.status_code == 200
    assert not CandidateApplication.objects.filter(test=other).exists()


def test_recruiter_invites_candidate_by_username(recruiter_client: tuple[Client, object]) -> None:
    client, recruiter = recruiter_client
    test = TestFactory.create(created_by=recruiter)
    candidate = UserFactory.create(username="dana")
    data = {"candidate": "dana", "test": test.pk, "status": "shortlisted", "time_multiplier": "1.5"}

    response = client.post(admin_url(CandidateApplication, "add"), data)

    assert response.status_code == 302
    application = CandidateApplication.objects.get(test=test)
    assert application.candidate == candidate
    assert application.time_multiplier == 1.5
    page = client.get(admin_url(CandidateApplication, "change", application.pk)).content.decode()
    assert 'value="dana"' in page
    unknown = client.post(admin_url(CandidateApplication, "add"), {**data, "candidate": "nobody-here"})
    assert "There is no user with that username." in unknown.content.decode()


def test_recruiter_views_attempts_read_only(recruiter_client: tuple[Client, object]) -> None:
    client, recruiter = recruiter_client
    assessment = attempt_create(test=TestFactory.create(created_by=recruiter))

    assert client.get(admin_url(Assessment, "add")).status_code == 403
    page = client.get(admin_url(Assessment, "change", assessment.pk))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert client.post(admin_url(Assessment, "change", assessment.pk), {"status": "completed"}).status_code == 403
    assessment.refresh_from_db()
    assert assessment.status == Assessment.Status.IN_PROGRESS


def test_staff_outside_recruiters_group_gets_nothing(client: Client) -> None:
    staff = UserFactory.create(is_staff=True)
    TestFactory.create(created_by=staff)
    client.force_login(staff)

    assert client.get(admin_url(Test, "changelist")).status_code == 403


def test_migrate_alone_gives_the_recruiters_group_its_permissions(db):
    """No seeding needed in production: the group and its permissions exist after `migrate`."""
    from django.contrib.auth.models import Group

    group = Group.objects.get(name="recruiters")
    codenames = set(group.permissions.values_list("codename", flat=True))
    assert {"add_test", "change_question", "view_assessment", "view_questionregrade"} <= codenames
    assert "change_assessment" not in codenames
