"""Sign-in attempts are limited per client address and per username (JATAYU_LOGIN_RATE), so a
password cannot be guessed by brute force from one address or spread over many. They are counted
in the shared cache: Redis when REDIS_URL is set, so every worker counts together. The API's
sign-in and the admin's share one budget."""

import hashlib
from typing import Any

from django.http import HttpRequest
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle


class LoginAddressThrottle(SimpleRateThrottle):
    scope = "login_address"

    def get_cache_key(self, request: Request | HttpRequest, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}  # type: ignore[arg-type]  # META only


class LoginUsernameThrottle(SimpleRateThrottle):
    scope = "login_username"

    def get_cache_key(self, request: Request | HttpRequest, view: Any) -> str | None:
        # The API's JSON body, or the admin's sign-in form (assessments.admin_login).
        submitted = request.data if isinstance(request, Request) else request.POST
        username = submitted.get("username") if hasattr(submitted, "get") else None
        if not isinstance(username, str) or not username:
            return None  # the serializer refuses it
        ident = hashlib.sha256(username.strip().lower().encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}
