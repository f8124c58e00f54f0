"""Access tokens for test users, as the API would issue them."""

from datetime import timedelta
from typing import Any

from rest_framework_simplejwt.tokens import AccessToken


def token_for(user: Any, *, lifetime: timedelta | None = None) -> str:
    token = AccessToken.for_user(user)
    if lifetime is not None:
        token.set_exp(lifetime=lifetime)
    return str(token)
