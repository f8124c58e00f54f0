"""Preview a test as a candidate from the admin: the introduction, every question the test asks with
the feedback its mode gives, picked as an attempt would; and nothing left behind, no attempt anywhere."""

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from assessments.models import Assessment, AssessmentEvent, CandidateSession, Question, Response, Test
from assessments.tests.factories import RecruiterFactory, published_test_with_bank

pytestmark = pytest.mark.django_db
STATE = r'name="state" value="([^"]+)"'


def preview_url(test: Test) -> str:
    return reverse("admin:assessments_test_preview", args=[test.pk])


def found(pattern: str, page: str) -> str:
    match = re.search(pattern, page)
    assert match is not None, pattern
    return match.group(1)


def on_screen(page: str) -> Question:
    return Question.objects.get(pk=int(found(r'data-question-id="(\d+)"', page)))


def served(page: str) -> list[str]:
    return re.findall(r'<span class="option-text">([^<]*)</span>', page)


def test_a_whole_preview_leaves_no_attempt_behind(recruiter_client: tuple[Client, Any], own_test: Test) -> None:
    client, _ = recruiter_client
    Test.objects.filter(pk=own_test.pk).update(feedback_mode=Test.FeedbackMode.FULL)
    intro = client.get(preview_url(own_test)).content.decode()
    assert "Before you start" in intro
    assert "Nothing is recorded" in intro

    page = client.get(preview_url(own_test), {"start": "1"}).content.decode()
    seen: list[int] = []
    for position in range(1, own_test.total_questions + 1):
        assert f"Question {position} of {own_test.total_questions}" in page
        question = on_screen(page)
        seen.append(question.pk)
        options = served(page)
        assert sorted(options) == sorted(question.option_list)  # every option, in the served order
        right = options.index(question.option_list[question.correct_option])
        feedback = client.post(
            preview_url(own_test),
            {"state": found(STATE, page), "answer": str(right)},
        ).content.decode()
        assert "Correct." in feedback
        assert question.option_list[question.correct_option] in feedback  # full feedback shows the key
        next_link = found(r'id="preview-next" href="([^"]+)"', feedback).replace("&amp;", "&")
        page = client.get(next_link).content.decode()

    assert "Assessment complete" in page
    assert f"{own_test.total_questions} of {own_test.total_questions} right" in page
    assert len(set(seen)) == own_test.total_questions  # no question twice
    assert (Assessment.objects.count(), Response.objects.count(), AssessmentEvent.objects.count()) == (0, 0, 0)
    assert CandidateSession.objects.count() == 0


def test_a_wrong_answer_under_correctness_feedback_hides_the_key(
    recruiter_client: tuple[Client, Any], own_test: Test
) -> None:
    client, _ = recruiter_client
    Test.objects.filter(pk=own_test.pk).update(feedback_mode=Test.FeedbackMode.CORRECTNESS)
    page = client.get(preview_url(own_test), {"start": "1"}).content.decode()
    question = on_screen(page)
    wrong = next(i for i, text in enumerate(served(page)) if text != question.option_list[question.correct_option])
    state = found(STATE, page)
    unanswered = client.post(preview_url(own_test), {"state": state}).content.decode()
    assert "Choose an answer first." in unanswered
    assert f'data-question-id="{question.pk}"' in unanswered  # the same question, still on screen

    feedback = client.post(preview_url(own_test), {"state": state, "answer": str(wrong)}).content.decode()

    assert "Not correct." in feedback
    assert "The answer:" not in feedback


def test_a_tampered_state_starts_over_and_another_recruiters_test_is_not_found(
    recruiter_client: tuple[Client, Any], own_test: Test
) -> None:
    client, _ = recruiter_client
    tampered = client.post(preview_url(own_test), {"state": "forged", "answer": "0"}).content.decode()
    other = Test.objects.create(title="Not yours", created_by=RecruiterFactory.create())

    assert "Before you start" in tampered
    assert client.get(preview_url(other)).status_code == 404
    assert Assessment.objects.count() == 0


def test_a_multi_select_question_takes_several_options_and_is_scored_as_the_test_says(
    recruiter_client: tuple[Client, Any], own_test: Test
) -> None:
    client, _ = recruiter_client
    Test.objects.filter(pk=own_test.pk).update(
        feedback_mode=Test.FeedbackMode.FULL, multi_select_scoring=Test.MultiSelectScoring.PARTIAL
    )
    own_test.questions.update(
        kind=Question.Kind.MULTIPLE, options=["GET", "POST", "HEAD", "DELETE"], correct_options=[0, 2], correct_option=0
    )
    page = client.get(preview_url(own_test), {"start": "1"}).content.decode()
    options = served(page)
    assert page.count('type="checkbox"') == 4
    assert "Choose every correct answer." in page

    half = client.post(
        preview_url(own_test), {"state": found(STATE, page), "answer": [str(options.index("GET"))]}
    ).content.decode()

    assert "Partly correct (50% of the question)." in half
    assert "GET · HEAD" in half  # every correct option is the answer
    whole_page = client.get(found(r'id="preview-next" href="([^"]+)"', half).replace("&amp;", "&")).content.decode()
    options = served(whole_page)
    whole = client.post(
        preview_url(own_test),
        {"state": found(STATE, whole_page), "answer": [str(options.index("GET")), str(options.index("HEAD"))]},
    ).content.decode()
    assert "Correct." in whole


def test_another_tests_state_starts_this_preview_over(recruiter_client: tuple[Client, Any], own_test: Test) -> None:
    client, recruiter = recruiter_client
    other = published_test_with_bank(created_by=recruiter, questions=4, total_questions=3)
    page = client.get(preview_url(other), {"start": "1"}).content.decode()

    response = client.post(preview_url(own_test), {"state": found(STATE, page), "answer": "0"})

    assert response.status_code == 200
    assert "Before you start" in response.content.decode()
