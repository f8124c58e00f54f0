"""The OpenAPI schema is generated without warnings, validates, and is served with a docs page."""

import re

import pytest
from django.core.management import call_command
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db

SPEC_PATHS = [
    "/api/auth/token/",
    "/api/auth/token/refresh/",
    "/api/auth/logout/",
    "/api/me/",
    "/api/health/",
    "/api/tests/",
    "/api/tests/{test_id}/",
    "/api/tests/{test_id}/publish/",
    "/api/tests/{test_id}/questions/",
    "/api/tests/{test_id}/candidates/",
    "/api/tests/{test_id}/results/",
    "/api/my/tests/",
    "/api/my/assessments/",
]


def test_the_schema_is_served_and_valid_openapi(api_client):
    response = api_client.get("/api/schema/?format=json")

    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)
    assert set(SPEC_PATHS) <= set(schema["paths"])


def test_schema_generation_has_no_warnings(tmp_path):
    # --fail-on-warn turns every drf-spectacular warning (unresolvable field, enum collision...) into an error.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))

    assert (tmp_path / "schema.yml").read_text().startswith("openapi:")


def test_the_docs_page_is_served_without_a_cdn(api_client):
    response = api_client.get("/api/docs/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "/api/schema/" in page
    assert "cdn." not in page
    script = re.search(r'<script src="([^"]+redoc[^"]+)"', page)
    assert script, page
    assert api_client.get(script.group(1)).status_code == 200


LIST_PATHS = {
    "/api/tests/": "PaginatedTestList",
    "/api/tests/{test_id}/questions/": "PaginatedQuestionList",
    "/api/tests/{test_id}/results/": "PaginatedResultList",
    "/api/my/tests/": "PaginatedMyTestList",
    "/api/my/assessments/": "PaginatedMyAssessmentList",
}


@pytest.mark.parametrize(("path", "component"), LIST_PATHS.items())
def test_every_list_is_documented_as_paged(api_client, path, component):
    schema = api_client.get("/api/schema/?format=json").json()
    operation = schema["paths"][path]["get"]

    assert {"page", "page_size"} <= {p["name"] for p in operation["parameters"]}
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": f"#/components/schemas/{component}"
    }
    assert set(schema["components"]["schemas"][component]["properties"]) == {"count", "next", "previous", "results"}


def test_the_results_csv_is_documented_as_a_whole_file_not_a_page(api_client):
    schema = api_client.get("/api/schema/?format=json").json()

    csv = schema["paths"]["/api/tests/{test_id}/results/"]["get"]["responses"]["200"]["content"]["text/csv"]
    assert csv["schema"] == {"type": "string"}
