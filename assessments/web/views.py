"""Page views. They render templates and nothing else: who the candidate is, their tests and their
attempts come from the REST API and the WebSocket, with the tokens the browser keeps in sessionStorage.
So no page needs a session cookie, and no page varies by user on the server."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

# The pages load only their own scripts and styles; no inline script, nothing from another origin.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def _page(request: HttpRequest, template: str, page: str, **context: object) -> HttpResponse:
    response = render(request, template, {"page": page, **context})
    response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def sign_in(request: HttpRequest) -> HttpResponse:
    return _page(request, "candidate/sign_in.html", "sign-in")


@require_GET
def welcome(request: HttpRequest) -> HttpResponse:
    """Where an invitation's one-time link lands; the secret is in the fragment, which only the page reads."""
    response = _page(request, "candidate/welcome.html", "welcome")
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_GET
def my_tests(request: HttpRequest) -> HttpResponse:
    return _page(request, "candidate/my_tests.html", "my-tests")


@require_GET
def assessment(request: HttpRequest, test_id: int) -> HttpResponse:
    return _page(request, "candidate/assessment.html", "assessment", test_id=test_id)


@require_GET
def result(request: HttpRequest, assessment_id: int) -> HttpResponse:
    return _page(request, "candidate/result.html", "result", assessment_id=assessment_id)
