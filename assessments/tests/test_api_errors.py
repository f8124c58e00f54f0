"""Every API error has the shape {"code", "detail"} (+ "fields"), whatever raised it."""

import pytest
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions

from assessments.api.errors import exception_handler, flatten_errors
from assessments.errors import ApplicationError


def handle(exc: Exception):
    response = exception_handler(exc, {})
    assert response is not None
    return response


def test_an_application_error_keeps_its_code_status_and_extra_data():
    response = handle(ApplicationError("bank_too_small", "Too few.", status=400, extra={"active_questions": 2}))

    assert response.status_code == 400
    assert response.data == {"code": "bank_too_small", "detail": "Too few.", "active_questions": 2}


def test_extra_data_cannot_overwrite_code_or_detail():
    response = handle(ApplicationError("conflict", "Busy.", status=409, extra={"code": "other", "detail": "x"}))

    assert response.data == {"code": "conflict", "detail": "Busy."}


def test_a_django_validation_error_is_400_with_fields():
    response = handle(DjangoValidationError({"closes_at": ["closes_at must be after opens_at."]}))

    assert response.status_code == 400
    assert response.data["code"] == "validation_error"
    assert response.data["fields"] == {"closes_at": ["closes_at must be after opens_at."]}
    assert "closes_at" in response.data["detail"]


def test_a_django_validation_error_without_fields_is_a_non_field_error():
    response = handle(DjangoValidationError("Nope."))

    assert response.data["fields"] == {"non_field_errors": ["Nope."]}
    assert response.data["detail"] == "Invalid input. Nope."


def test_http404_is_not_found():
    response = handle(Http404("gone"))

    assert response.status_code == 404
    assert response.data["code"] == "not_found"


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (exceptions.NotAuthenticated(), 401, "not_authenticated"),
        (exceptions.PermissionDenied(), 403, "permission_denied"),
        (exceptions.MethodNotAllowed("PUT"), 405, "method_not_allowed"),
        (exceptions.ParseError(), 400, "parse_error"),
    ],
)
def test_drf_exceptions_keep_their_status_and_code(exc, status, code):
    response = handle(exc)

    assert response.status_code == status
    assert response.data["code"] == code
    assert isinstance(response.data["detail"], str)


def test_an_unexpected_exception_is_left_to_django():
    assert exception_handler(RuntimeError("bug"), {}) is None


def test_nested_errors_are_flattened_to_dotted_paths():
    errors = {
        "title": ["Required."],
        "questions": [{}, {"options": ["Too few."], "skill": ["Unknown."]}],
        "skills": {"non_field_errors": ["Expected a list."]},
        "tags": {0: ["Bad."]},
    }

    assert flatten_errors(errors) == {
        "title": ["Required."],
        "questions.1.options": ["Too few."],
        "questions.1.skill": ["Unknown."],
        "skills": ["Expected a list."],
        "tags.0": ["Bad."],
    }


def test_an_unsupported_method_on_the_api_is_405_in_the_error_shape(api_client, recruiter):
    api_client.force_authenticate(recruiter)

    response = api_client.put("/api/tests/", {}, format="json")

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/tests/abc/", "/api/no-such-endpoint/"])
def test_unrouted_api_urls_get_a_json_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.django_db
def test_unrouted_pages_keep_the_html_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
