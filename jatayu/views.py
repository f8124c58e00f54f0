from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """API clients get the API's JSON error shape even for URLs no route matches."""
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "not_found", "detail": f"Nothing at {request.path}."}, status=404)
    return defaults.page_not_found(request, exception)
