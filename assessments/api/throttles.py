"""Sign-in attempts are limited per client address and per username (JATAYU_LOGIN_RATE), so a
password cannot be guessed by brute force from one address or spread over many. They are counted
in the shared cache: Redis when REDIS_URL is set, so every worker counts together."""

import hashlib
from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle


class LoginAddressThrottle(SimpleRateThrottle):
    scope = "login_address"

    def get_cache_key(self, request: Request, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class LoginUsernameThrottle(SimpleRateThrottle):
    scope = "login_username"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        username = request.data.get("username") if hasattr(request.data, "get") else None
        if not isinstance(username, str) or not username:
            return None  # the serializer refuses it
        ident = hashlib.sha256(username.strip().lower().encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}
