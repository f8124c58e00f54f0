"""Admin pages in the recruiter's time zone: the zone their browser reports, kept in the `jatayu_tz`
cookie by jatayu/admin_time_zone.js, is activated for every /admin/ request. An unknown or missing
zone leaves the server's (TIME_ZONE)."""

from collections.abc import Callable
from urllib.parse import unquote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

COOKIE = "jatayu_tz"


def zone_of(name: str) -> ZoneInfo | None:
    if not name or len(name) > 64 or name.startswith(("/", ".")) or ".." in name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


class RecruiterTimeZoneMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The script writes the name URL-encoded ("Asia%2FTokyo").
        zone = zone_of(unquote(request.COOKIES.get(COOKIE, ""))) if request.path.startswith("/admin/") else None
        if zone is None:
            return self.get_response(request)
        timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
