from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularRedocView
from rest_framework.request import Request

# ReDoc styles itself with inline <style> elements and searches in a worker it starts from a blob: URL.
# Nothing may come from another origin: its "powered by" logo from cdn.redoc.ly is refused, and ReDoc
# then leaves it out.
API_DOCS_CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "worker-src 'self' blob:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """API clients get the API's JSON error shape even for URLs no route matches."""
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "not_found", "detail": f"Nothing at {request.path}."}, status=404)
    return defaults.page_not_found(request, exception)


class ApiDocsView(SpectacularRedocView):
    """/api/docs/: the API reference (ReDoc), served entirely from this server."""

    @extend_schema(exclude=True)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponse:
        response: HttpResponse = super().get(request, *args, **kwargs)
        response["Content-Security-Policy"] = API_DOCS_CONTENT_SECURITY_POLICY
        return response
