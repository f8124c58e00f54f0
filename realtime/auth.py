"""Turning a simplejwt access token into an active user, without ever logging the token."""

from dataclasses import dataclass
from datetime import UTC, datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken

from assessments.errors import ApplicationError


@dataclass(frozen=True)
class Authenticated:
    user: User
    expires_at: datetime


def user_from_access_token(token: str) -> Authenticated:
    """Validate signature, expiry and type (a refresh token is refused) and load an active user."""
    try:
        access = AccessToken(token)  # type: ignore[arg-type]
    except TokenError as exc:
        reason = "expired" if "expired" in str(exc).lower() else "invalid"
        code = "token_expired" if reason == "expired" else "auth_failed"
        raise ApplicationError(code, f"The access token is {reason}.", status=401) from exc
    user_id = access.get(api_settings.USER_ID_CLAIM)
    user = get_user_model().objects.filter(**{api_settings.USER_ID_FIELD: user_id}).first()
    if user is None or not user.is_active:
        raise ApplicationError("auth_failed", "The account of this token is missing or inactive.", status=401)
    expires_at = datetime.fromtimestamp(int(access["exp"]), tz=UTC)
    return Authenticated(user=user, expires_at=expires_at)
