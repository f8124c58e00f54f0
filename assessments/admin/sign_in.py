"""The admin's sign-in, limited like the API's (assessments.api.throttles): per client address and
per username, one budget shared with `/api/auth/token/`. Over it, 429 with Retry-After and a page
that says when to try again; the password is not checked at all."""

import math
from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from assessments.api.throttles import LoginAddressThrottle, LoginUsernameThrottle


def admin_sign_in(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    if request.method == "POST":
        throttles = [LoginAddressThrottle(), LoginUsernameThrottle()]
        # Every throttle counts the attempt (as DRF does), so one cannot be spent to spare the other.
        refused = [throttle for throttle in throttles if not throttle.allow_request(request, None)]  # type: ignore[arg-type]
        if refused:
            wait = max(math.ceil(throttle.wait() or 1) for throttle in refused)
            context = {**admin.site.each_context(request), "title": "Too many sign-in attempts", "wait": wait}
            response = TemplateResponse(request, "admin/sign_in_throttled.html", context, status=429)
            response["Retry-After"] = str(wait)
            return response
    return admin.site.login(request, **kwargs)
