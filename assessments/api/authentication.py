"""API authentication: simplejwt's, plus the token version, checked in the same user query."""

from typing import Any

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import RefreshToken, Token

from assessments.errors import ApplicationError
from assessments.services.tokens import refresh_token_for, token_claim_version, token_user


class VersionedJWTAuthentication(JWTAuthentication):
    def get_user(self, validated_token: Token) -> Any:
        user_id = validated_token.get(api_settings.USER_ID_CLAIM)
        if user_id is None:
            raise AuthenticationFailed("The token names no user.", code="token_not_valid")
        try:
            return token_user(user_id=user_id, token_version=token_claim_version(validated_token))
        except ApplicationError as exc:
            raise AuthenticationFailed(exc.message, code=exc.code) from exc


class VersionedTokenObtainPairSerializer(TokenObtainPairSerializer):
    @classmethod
    def get_token(cls, user: Any) -> RefreshToken:
        return refresh_token_for(user=user)


class VersionedJWTScheme(SimpleJWTScheme):
    """The OpenAPI security scheme of the API: simplejwt's bearer token."""

    target_class = "assessments.api.authentication.VersionedJWTAuthentication"
