"""Admin smoke tests, recruiter scoping, read-only attempt records and escaping of candidate text."""

import json
from datetime import timedelta

import pytest
from django.contrib import admin
from django.db.models import Model
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django import Settings

from assessments.models import (
    Assessment,
    AssessmentEvent,
    CandidateApplication,
    ChatMessage,
    IntegrityEvent,
    Question,
    Response,
    Skill,
    Test,
)
from assessments.tests.factories import (
    ApplicationFactory,
    AssessmentFactory,
    QuestionFactory,
    RecruiterFactory,
    SkillFactory,
    TestFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

XSS = '<script>alert("jatayu-xss")</script>'
XSS_ESCAPED = "&lt;script&gt;alert(&quot;jatayu-xss&quot;)&lt;/script&gt;"

ADMIN_MODELS: list[type[Model]] = [Test, Question, CandidateApplication, Assessment]


def admin_url(model: type[Model], view: str, *args: object) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def attempt_create(*, test: Test, candidate: object = None, chat: str = "What does ORM stand for?") -> Assessment:
    """An attempt with one of each record the Assessment page shows inline."""
    application = ApplicationFactory.create(test=test, **({"candidate": candidate} if candidate else {}))
    assessment = AssessmentFactory.create(test=test, candidate=application.candidate, application=application)
    question = test.questions.first() or QuestionFactory.create(skill=SkillFactory.create(test=test))
    now = timezone.now()
    Response.objects.create(
        assessment=assessment,
        question=question,
        position=1,
        option_order=[0, 1, 2, 3],
        asked_at=now - timedelta(seconds=30),
        answered_at=now,
        selected_option=0,
        is_correct=True,
        time_taken_ms=30_000,
    )
    ChatMessage.objects.create(assessment=assessment, role=ChatMessage.Role.CANDIDATE, content=chat)
    AssessmentEvent.objects.create(assessment=assessment, seq=1, type="question", payload={"position": 1})
    IntegrityEvent.objects.create(assessment=assessment, kind=IntegrityEvent.Kind.TAB_HIDDEN)
    return assessment


@pytest.fixture(autouse=True)
def fast_password_hasher(settings: Settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def attempt() -> Assessment:
    skill = SkillFactory.create(name="Django ORM")
    QuestionFactory.create(skill=skill, test=skill.test)
    return attempt_create(test=skill.test)


def object_of(model: type[Model], attempt: Assessment) -> Model:
    objects: dict[type[Model], Model | None] = {
        Test: attempt.test,
        Question: attempt.test.questions.first(),
        CandidateApplication: attempt.application,
        Assessment: attempt,
    }
    obj = objects[model]
    assert obj is not None
    return obj


# --- smoke -------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda m: m.__name__)
def test_model_is_registered(model: type[Model]) -> None:
    assert admin.site.is_registered(model)


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda m: m.__name__)
def test_changelist_renders(admin_client: Client, attempt: Assessment, model: type[Model]) -> None:
    assert admin_client.get(admin_url(model, "changelist")).status_code == 200
    assert admin_client.get(admin_url(model, "changelist"), {"q": "engineer"}).status_code == 200


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda m: m.__name__)
def test_add_page_renders(admin_client: Client, attempt: Assessment, model: type[Model]) -> None:
    assert admin_client.get(admin_url(model, "add")).status_code == 200


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda m: m.__name__)
def test_change_page_renders(admin_client: Client, attempt: Assessment, model: type[Model]) -> None:
    obj = object_of(model, attempt)
    assert admin_client.get(admin_url(model, "change", obj.pk)).status_code == 200


def test_changelist_filters_render(admin_client: Client, attempt: Assessment) -> None:
    test_id = attempt.test_id
    assert admin_client.get(admin_url(Test, "changelist"), {"status__exact": "published"}).status_code == 200
    assert admin_client.get(admin_url(Question, "changelist"), {"test__id__exact": test_id}).status_code == 200
    assert admin_client.get(admin_url(Question, "changelist"), {"source__exact": "bank"}).status_code == 200
    assert admin_client.get(admin_url(Question, "changelist"), {"active__exact": "1"}).status_code == 200
    assert admin_client.get(admin_url(Assessment, "changelist"), {"status__exact": "in_progress"}).status_code == 200


def test_add_test_with_skills_sets_created_by(admin_client: Client, admin_user: object) -> None:
    data = {
        "title": "Data engineer",
        "description": "",
        "job_description": "Pipelines and warehouses.",
        "total_questions": "10",
        "time_limit_minutes": "25",
        "opens_at_0": "",
        "opens_at_1": "",
        "closes_at_0": "",
        "closes_at_1": "",
        "max_attempts": "2",
        "pass_percentage": "60",
        "feedback_mode": Test.FeedbackMode.FULL,
        "requires_application": "on",
        "status": Test.Status.DRAFT,
        "created_by": "",
        "skills-TOTAL_FORMS": "2",
        "skills-INITIAL_FORMS": "0",
        "skills-MIN_NUM_FORMS": "0",
        "skills-MAX_NUM_FORMS": "1000",
        "skills-0-name": "SQL",
        "skills-0-weight": "2",
        "skills-0-difficulty": "medium",
        "skills-0-order": "0",
        "skills-1-name": "Python",
        "skills-1-weight": "1",
        "skills-1-difficulty": "easy",
        "skills-1-order": "1",
    }
    response = admin_client.post(admin_url(Test, "add"), data)

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    test = Test.objects.get(title="Data engineer")
    assert test.created_by == admin_user
    assert sorted(test.skills.values_list("name", flat=True)) == ["Python", "SQL"]
    assert admin_client.get(admin_url(Test, "change", test.pk)).status_code == 200


def test_add_question_takes_json_options(admin_client: Client) -> None:
    skill = SkillFactory.create(name="HTTP")
    data = {
        "test": skill.test_id,
        "skill": skill.pk,
        "prompt": "Which status code means Created?",
        "options": json.dumps(["200", "204", "201", "202"]),
        "correct_option": "2",
        "explanation": "201 Created.",
        "difficulty": "easy",
        "active": "on",
    }
    response = admin_client.post(admin_url(Question, "add"), data)

    assert response.status_code == 302
    question = Question.objects.get(prompt="Which status code means Created?")
    assert question.options == ["200", "204", "201", "202"]
    assert question.source == Question.Source.BANK
    page = admin_client.get(admin_url(Question, "change", question.pk)).content.decode()
    assert "201" in page
    assert "correct answer" in page.lower()


@pytest.mark.parametrize(
    ("options", "correct", "error"),
    [
        (json.dumps(["only one"]), "0", "2 to 6 options"),
        (json.dumps(["a", "b"]), "5", "correct_option must be between"),
        ("not json", "0", "Enter a valid JSON"),
    ],
)
def test_add_question_rejects_invalid_options(admin_client: Client, options: str, correct: str, error: str) -> None:
    skill = SkillFactory.create()
    data = {
        "test": skill.test_id,
        "skill": skill.pk,
        "prompt": "Broken question",
        "options": options,
        "correct_option": correct,
        "difficulty": "easy",
    }
    response = admin_client.post(admin_url(Question, "add"), data)

    assert response.status_code == 200
    assert error in response.content.decode()
    assert not Question.objects.filter(prompt="Broken question").exists()


def test_question_skill_must_belong_to_its_test(admin_client: Client) -> None:
    skill = SkillFactory.create()
    other_test = TestFactory.create()
    data = {
        "test": other_test.pk,
        "skill": skill.pk,
        "prompt": "Mismatched",
        "options": json.dumps(["a", "b"]),
        "correct_option": "0",
        "difficulty": "easy",
    }
    response = admin_client.post(admin_url(Question, "add"), data)

    assert response.status_code == 200
    assert "the skill belongs to another test" in response.content.decode()


def test_bank_inline_offers_only_the_tests_own_skills(admin_client: Client) -> None:
    skill = SkillFactory.create(name="Own skill xyz")
    QuestionFactory.create(skill=skill, test=skill.test)
    SkillFactory.create(name="Foreign skill xyz")

    page = admin_client.get(admin_url(Test, "change", skill.test_id)).content.decode()

    assert "Own skill xyz" in page
    assert "Foreign skill xyz" not in page


# --- recruiter scoping -------------------------------------------------------------------------


def test_recruiter_sees_only_own_tests(recruiter_client: tuple[Client, object]) -> None:
    client, recruiter = recruiter_client
    own = TestFactory.create(created_by=recruiter, title="Mine: data engineer")
    other = TestFactory.create(title="Theirs: site reliability")

    page = client.get(admin_url(Test, "changelist"))

    assert page.status_code == 200
    assert own.title in page.content.decode()
    assert other.title not in page.content.decode()
    assert client.get(admin_url(Test, "change", own.pk)).status_code == 200
    assert client.get(admin_url(Test, "change", other.pk)).status_code in (302, 404)
    assert client.post(admin_url(Test, "delete", other.pk), {"post": "yes"}).status_code in (302, 404)
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
    assert client.get(admin_url(Question, "change", other_question.pk)).status_code in (302, 404)
    assert client.get(admin_url(Assessment, "change", other_attempt.pk)).status_code in (302, 404)
    assert client.get(admin_url(CandidateApplication, "change", other_attempt.application_id)).status_code in (
        302,
        404,
    )


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


# --- attempt record: read-only inlines and escaping ---------------------------------------------


def test_attempt_inlines_are_read_only(admin_client: Client, attempt: Assessment) -> None:
    response = admin_client.get(admin_url(Assessment, "change", attempt.pk))
    page = response.content.decode()

    assert "What does ORM stand for?" in page
    inlines = {f.formset.prefix: f for f in response.context["inline_admin_formsets"]}
    assert set(inlines) == {"responses", "chat_messages", "events", "integrity_events"}
    for prefix, inline in inlines.items():
        assert not inline.has_add_permission
        assert not inline.has_change_permission
        assert not inline.has_delete_permission
        assert f'name="{prefix}-0-DELETE"' not in page
    assert 'name="chat_messages-0-content"' not in page
    assert 'name="responses-0-selected_option"' not in page


def test_saving_an_attempt_leaves_its_record_alone(admin_client: Client, attempt: Assessment) -> None:
    data: dict[str, object] = {
        "test": attempt.test_id,
        "candidate": attempt.candidate.username,
        "application": attempt.application_id,
        "attempt_number": "1",
        "status": Assessment.Status.ABANDONED,
        "started_at_0": attempt.started_at.strftime("%Y-%m-%d"),
        "started_at_1": attempt.started_at.strftime("%H:%M:%S"),
        "deadline_at_0": attempt.deadline_at.strftime("%Y-%m-%d"),
        "deadline_at_1": attempt.deadline_at.strftime("%H:%M:%S"),
        "end_reason": "abandoned by admin",
        "score": "0",
        "max_score": str(attempt.max_score),
        "passed": "unknown",
    }
    records = {
        "responses": attempt.responses.get(),
        "chat_messages": attempt.chat_messages.get(),
        "integrity_events": attempt.integrity_events.get(),
        "events": attempt.events.get(),
    }
    for prefix, record in records.items():
        data |= {f"{prefix}-TOTAL_FORMS": "1", f"{prefix}-INITIAL_FORMS": "1", f"{prefix}-0-id": record.pk}
    # A tampered request that tries to rewrite the chat still changes nothing but the attempt itself.
    data["chat_messages-0-content"] = "rewritten"
    data["chat_messages-0-DELETE"] = "on"

    response = admin_client.post(admin_url(Assessment, "change", attempt.pk), data)

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    attempt.refresh_from_db()
    assert attempt.status == Assessment.Status.ABANDONED
    assert attempt.chat_messages.get().content == "What does ORM stand for?"
    assert attempt.responses.count() == attempt.events.count() == attempt.integrity_events.count() == 1


def test_candidate_text_is_escaped_on_attempt_pages(admin_client: Client) -> None:
    test = TestFactory.create()
    assessment = attempt_create(test=test, candidate=UserFactory.create(username=XSS), chat=f"hi {XSS}")

    change = admin_client.get(admin_url(Assessment, "change", assessment.pk)).content.decode()
    changelist = admin_client.get(admin_url(Assessment, "changelist")).content.decode()
    applications = admin_client.get(admin_url(CandidateApplication, "changelist")).content.decode()

    for page in (change, changelist, applications):
        assert XSS not in page
        assert XSS_ESCAPED in page
    assert f"hi {XSS_ESCAPED}" in change  # the chat message
    assert f'value="{XSS_ESCAPED}"' in change  # the username


def test_candidate_text_is_escaped_in_read_only_view(recruiter_client: tuple[Client, object]) -> None:
    client, recruiter = recruiter_client
    assessment = attempt_create(
        test=TestFactory.create(created_by=recruiter), candidate=UserFactory.create(username=XSS), chat=f"hi {XSS}"
    )

    page = client.get(admin_url(Assessment, "change", assessment.pk)).content.decode()

    assert XSS not in page
    assert f"hi {XSS_ESCAPED}" in page
    assert XSS_ESCAPED in page.replace(f"hi {XSS_ESCAPED}", "")  # the username, outside the chat too


def test_bank_inline_lists_bank_questions_only(admin_client: Client) -> None:
    """The bank inline lists bank questions only: generated ones stay out of the test form."""
    skill = SkillFactory.create()
    QuestionFactory.create(skill=skill, test=skill.test, prompt="Bank question here?")
    QuestionFactory.create(
        skill=skill, test=skill.test, prompt="Generated question here?", source=Question.Source.GENERATED
    )

    page = admin_client.get(admin_url(Test, "change", skill.test_id)).content.decode()

    assert "Bank question here?" in page
    assert "Generated question here?" not in page
    assert Skill.objects.filter(pk=skill.pk).exists()


def test_migrate_alone_gives_the_recruiters_group_its_permissions(db):
    """No seeding needed in production: the group and its permissions exist after `migrate`."""
    from django.contrib.auth.models import Group

    group = Group.objects.get(name="recruiters")
    codenames = set(group.permissions.values_list("codename", flat=True))
    assert {"add_test", "change_question", "view_assessment", "view_questionregrade"} <= codenames
    assert "change_assessment" not in codenames
