"""API authentication: simplejwt's, plus the token version, checked in the same user query."""

from typing import Any

from django.contrib.auth import get_user_model
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import RefreshToken, Token

from assessments.services.tokens import refresh_token_for, token_claim_version, with_token_version


class VersionedJWTAuthentication(JWTAuthentication):
    def get_user(self, validated_token: Token) -> Any:
        user_id = validated_token.get(api_settings.USER_ID_CLAIM)
        if user_id is None:
            raise AuthenticationFailed("The token names no user.", code="token_not_valid")
        users = with_token_version(get_user_model().objects.filter(**{api_settings.USER_ID_FIELD: user_id}))
        user = users.first()
        if user is None:
            raise AuthenticationFailed("The user of this token was not found.", code="user_not_found")
        if not user.is_active:
            raise AuthenticationFailed("The user of this token is inactive.", code="user_inactive")
        if token_claim_version(validated_token) != user.current_token_version:
            raise AuthenticationFailed("This sign-in has ended (logout or deactivation).", code="token_revoked")
        return user


class VersionedTokenObtainPairSerializer(TokenObtainPairSerializer):
    @classmethod
    def get_token(cls, user: Any) -> RefreshToken:
        return refresh_token_for(user=user)


class VersionedJWTScheme(SimpleJWTScheme):
    """The OpenAPI security scheme of the API: simplejwt's bearer token."""

    target_class = "assessments.api.authentication.VersionedJWTAuthentication"
