"""Every model page of the admin renders, its add forms check tests and questions, and an attempt's record
stays read-only with the candidate's text escaped."""

import pytest
from django.contrib import admin
from django.db.models import Model
from django.test import Client

from assessments.models import Assessment, CandidateApplication, Question, Skill, Test
from assessments.tests.admin_support import (
    admin_url,
    attempt_create,
    fast_password_hasher,  # noqa: F401 - autouse: passwords hash fast here
    option_fields,
)
from assessments.tests.factories import QuestionFactory, SkillFactory, TestFactory, UserFactory

pytestmark = pytest.mark.django_db

XSS = '<script>alert("jatayu-xss")</script>'
XSS_ESCAPED = "&lt;script&gt;alert(&quot;jatayu-xss&quot;)&lt;/script&gt;"

ADMIN_MODELS: list[type[Model]] = [Test, Question, CandidateApplication, Assessment]


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


@pytest.mark.parametrize("model", [m for m in ADMIN_MODELS if m is not Assessment], ids=lambda m: m.__name__)
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


def test_add_question_takes_one_field_per_option_and_a_radio_for_the_key(admin_client: Client) -> None:
    skill = SkillFactory.create(name="HTTP")
    form = admin_client.get(admin_url(Question, "add")).content.decode()
    assert 'name="option_6"' in form
    assert 'type="radio" name="key"' in form
    assert "JSON" not in form
    data = {
        "test": skill.test_id,
        "skill": skill.pk,
        "prompt": "Which status code means Created?",
        **option_fields(["200", "204", "201", "202"], key=2),
        "explanation": "201 Created.",
        "difficulty": "easy",
        "active": "on",
    }
    response = admin_client.post(admin_url(Question, "add"), data)

    assert response.status_code == 302
    question = Question.objects.get(prompt="Which status code means Created?")
    assert question.options == ["200", "204", "201", "202"]
    assert question.correct_option == 2
    assert question.source == Question.Source.BANK
    page = admin_client.get(admin_url(Question, "change", question.pk)).content.decode()
    assert "201" in page
    assert "correct answer" in page.lower()


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        (option_fields(["only one"], key=0), "This field is required."),
        (option_fields(["a", "b"], key=3), "Pick the correct option among the ones filled in."),
        ({"option_1": "a", "option_2": "", "option_3": "c", "key": "0"}, "This field is required."),
        ({"option_1": "a", "option_2": "b", "option_4": "d", "key": "0"}, "no empty one between two others"),
        (option_fields(["same", "same"], key=0), "options must be unique"),
    ],
)
def test_add_question_rejects_invalid_options(admin_client: Client, fields: dict[str, str], error: str) -> None:
    skill = SkillFactory.create()
    data = {"test": skill.test_id, "skill": skill.pk, "prompt": "Broken question", **fields, "difficulty": "easy"}
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
        **option_fields(["a", "b"], key=0),
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


def test_an_attempt_is_a_record_even_for_a_superuser(admin_client: Client, attempt: Assessment) -> None:
    """Attempts change only through the services (extend, terminate, reset, regrade): before, the change
    page let anyone with the permission type in a status or a score beside them."""
    data: dict[str, object] = {
        "status": Assessment.Status.ABANDONED,
        "end_reason": "abandoned by admin",
        "score": "7",
        "max_score": "7",
        "passed": "true",
    }
    page = admin_client.get(admin_url(Assessment, "change", attempt.pk))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert 'name="score"' not in page.content.decode()

    assert admin_client.post(admin_url(Assessment, "change", attempt.pk), data).status_code == 403
    assert admin_client.get(admin_url(Assessment, "add")).status_code == 403
    assert admin_client.post(admin_url(Assessment, "delete", attempt.pk), {"post": "yes"}).status_code == 403

    attempt.refresh_from_db()
    assert (attempt.status, attempt.score, attempt.passed) == (Assessment.Status.IN_PROGRESS, 0, None)
    assert attempt.responses.count() == attempt.events.count() == attempt.chat_messages.count() == 1


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
    assert XSS_ESCAPED in change.replace(f"hi {XSS_ESCAPED}", "")  # the username, outside the chat too


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


def test_every_setting_of_a_test_says_what_it_does(admin_client: Client) -> None:
    test = TestFactory.create()
    form = admin_client.get(admin_url(Test, "change", test.pk)).context["adminform"].form
    missing = [name for name, field in form.fields.items() if not field.help_text]
    assert missing == []
    page = admin_client.get(admin_url(Test, "change", test.pk)).content.decode()
    assert "Stop early at precision" in page
    assert "Invited candidates only" in page
