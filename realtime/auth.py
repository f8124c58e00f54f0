"""Turning a simplejwt access token into an active user, without ever logging the token."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

from django.contrib.auth.models import User
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken

from assessments.errors import ApplicationError
from assessments.messages import ErrorCode
from assessments.services.tokens import token_claim_version, token_user


@dataclass(frozen=True)
class Authenticated:
    user: User
    expires_at: datetime


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    expires_at: datetime
    version: int  # the user's token version when it was issued


def token_claims(token: str) -> TokenClaims:
    """Validate signature, expiry and type (a refresh token is refused); no database involved."""
    try:
        access = AccessToken(token)  # type: ignore[arg-type]
    except TokenError as exc:
        reason = "expired" if "expired" in str(exc).lower() else "invalid"
        code = ErrorCode.TOKEN_EXPIRED if reason == "expired" else ErrorCode.AUTH_FAILED
        raise ApplicationError(code, f"The access token is {reason}.", status=401) from exc
    user_id = access.get(api_settings.USER_ID_CLAIM)
    if not isinstance(user_id, int | str) or not str(user_id).isdigit():
        raise ApplicationError(ErrorCode.AUTH_FAILED, "The access token is invalid.", status=401)
    return TokenClaims(
        user_id=int(user_id),
        expires_at=datetime.fromtimestamp(int(access["exp"]), tz=UTC),
        version=token_claim_version(access),
    )


def user_active(user_id: int, *, token_version: int = 0) -> User:
    """The token's user, who must still exist and be active, and whose sign-ins have not been ended
    since the token was issued (one statement)."""
    try:
        return cast(User, token_user(user_id=user_id, token_version=token_version))
    except ApplicationError as exc:  # on a socket, each of these is auth_failed (close 4001)
        raise ApplicationError(ErrorCode.AUTH_FAILED, exc.message, status=401) from exc


def user_from_access_token(token: str) -> Authenticated:
    """Validate the token and load its active user."""
    claims = token_claims(token)
    return Authenticated(user=user_active(claims.user_id, token_version=claims.version), expires_at=claims.expires_at)
