"""The admin's question import and export pages: a check that writes nothing and keeps the text for the
import, an import of an uploaded file, problems listed by line, the CSV and GIFT downloads, and the
import refused to a viewer without the change permission and to another recruiter."""

from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from assessments.models import Question, Test
from assessments.tests.factories import UserFactory, published_test_with_bank

pytestmark = pytest.mark.django_db

CSV = (
    "skill,difficulty,prompt,option_1,option_2,option_3,option_4,option_5,option_6,correct,explanation\n"
    "skill 1,,Which clause filters groups?,WHERE,HAVING,,,,,2,\n"
    "skill 2,hard,Which is immutable?,list,tuple,,,,,1,\n"
)


def import_url(test: Test) -> str:
    return reverse("admin:assessments_test_import_questions", args=[test.pk])


def export_url(test: Test, format: str) -> str:
    return reverse("admin:assessments_test_export_questions", args=[test.pk]) + f"?format={format}"


def bank_size(test: Test) -> int:
    return Question.objects.filter(test=test).count()


def test_the_page_shows_the_form_and_links_to_both_exports(
    recruiter_client: tuple[Client, Any], own_test: Test
) -> None:
    page = recruiter_client[0].get(import_url(own_test)).content.decode()

    assert 'value="Check only (dry run)"' in page
    assert 'value="Import"' in page
    assert "4 active question(s) in the bank" in page
    assert export_url(own_test, "gift") in page


def test_a_check_writes_nothing_and_keeps_the_text_for_the_import(
    recruiter_client: tuple[Client, Any], own_test: Test
) -> None:
    client, _ = recruiter_client
    before = bank_size(own_test)

    checked = client.post(
        import_url(own_test), {"format": "csv", "text": CSV, "skill": "skill 1", "check": "1"}
    ).content.decode()

    assert "Would create 2 questions: 1 skill 1, 1 skill 2" in checked
    assert f">\n{CSV.strip()}</textarea>" in checked  # in the form again, for Import to post what was checked
    assert bank_size(own_test) == before
    imported = client.post(
        import_url(own_test), {"format": "csv", "text": CSV, "skill": "skill 1", "import": "1"}
    ).content.decode()
    assert "Created 2 questions: 1 skill 1, 1 skill 2" in imported
    assert bank_size(own_test) == before + 2


def test_an_uploaded_gift_file_is_imported(recruiter_client: tuple[Client, Any], own_test: Test) -> None:
    upload = SimpleUploadedFile(
        "bank.gift", b"$CATEGORY: top/skill 2\n\nWhich is immutable? {~list =tuple ####Tuples are fixed.}\n"
    )

    page = recruiter_client[0].post(
        import_url(own_test), {"format": "gift", "upload": upload, "skill": "skill 1", "import": "1"}
    )

    assert "Created 1 question: 1 skill 2" in page.content.decode()
    question = Question.objects.get(test=own_test, prompt="Which is immutable?")
    assert (question.skill.name, question.options, question.correct_option) == ("skill 2", ["list", "tuple"], 1)
    assert question.explanation == "Tuples are fixed."


def test_problems_are_listed_by_line_and_nothing_is_imported(
    recruiter_client: tuple[Client, Any], own_test: Test
) -> None:
    before = bank_size(own_test)
    text = CSV + 'skill 9,,Unknown skill?,a,b,,,,,1,\nskill 1,,Two keys?,a,b,c,,,,"1,2",\n'

    page = (
        recruiter_client[0]
        .post(import_url(own_test), {"format": "csv", "text": text, "skill": "skill 1", "import": "1"})
        .content.decode()
    )

    assert "Nothing was imported: the file has 2 problem(s) to fix first." in page
    assert "line 4: the test has no skill &#x27;skill 9&#x27;" in page
    assert "line 5: the question has 2 correct answers; a question here has exactly one" in page
    assert bank_size(own_test) == before


def test_an_empty_form_is_refused_with_a_message(recruiter_client: tuple[Client, Any], own_test: Test) -> None:
    page = recruiter_client[0].post(import_url(own_test), {"format": "csv", "text": " ", "check": "1"})

    assert "Choose a file or paste the questions." in page.content.decode()


@pytest.mark.parametrize(
    ("format", "content_type", "start"),
    [("csv", "text/csv", "skill,difficulty,prompt,option_1"), ("gift", "text/plain", "$CATEGORY: skill 1")],
)
def test_the_export_downloads_the_bank(
    recruiter_client: tuple[Client, Any], own_test: Test, format: str, content_type: str, start: str
) -> None:
    response = recruiter_client[0].get(export_url(own_test, format))

    assert response.status_code == 200
    assert response["Content-Type"] == f"{content_type}; charset=utf-8"
    assert response["Content-Disposition"].endswith(f'-questions.{format}"')
    body = response.content.decode()
    assert body.startswith(start)
    assert all(q.prompt in body for q in own_test.questions.all())


def test_an_unknown_export_format_is_a_bad_request(recruiter_client: tuple[Client, Any], own_test: Test) -> None:
    assert recruiter_client[0].get(export_url(own_test, "xlsx")).status_code == 400


def test_a_viewer_without_the_change_permission_may_export_but_not_import(client: Client, own_test: Test) -> None:
    viewer = UserFactory.create(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_test"))
    Test.objects.filter(pk=own_test.pk).update(created_by=viewer)
    client.force_login(viewer)
    before = bank_size(own_test)

    page = client.get(import_url(own_test))
    refused = client.post(import_url(own_test), {"format": "csv", "text": CSV, "import": "1"})

    assert (page.status_code, refused.status_code) == (403, 403)
    assert bank_size(own_test) == before
    assert client.get(export_url(own_test, "csv")).status_code == 200


def test_another_recruiters_test_is_not_found(recruiter_client: tuple[Client, Any]) -> None:
    theirs = published_test_with_bank(questions=2)
    before = bank_size(theirs)

    posted = recruiter_client[0].post(import_url(theirs), {"format": "csv", "text": CSV, "import": "1"})

    assert posted.status_code == 404
    assert recruiter_client[0].get(export_url(theirs, "csv")).status_code == 404
    assert bank_size(theirs) == before
