"""Issuing and revoking sign-ins. A token carries its user's token version (claim `tv`); revoking
bumps the version, which refuses every token issued before, and closes the user's open sockets."""

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.db.models.signals import pre_save
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from assessments.broadcast import send_to_group_on_commit, user_group
from assessments.errors import ApplicationError, BackOfficeCode
from assessments.models import TokenVersion
from assessments.services.statements import user_token_version_row

CLAIM = "tv"


def token_version_of(*, user_id: int) -> int:
    return TokenVersion.objects.filter(user_id=user_id).values_list("version", flat=True).first() or 0


def token_user(*, user_id: Any, token_version: int) -> Any:
    """The user a token names, who must exist, be active, and not have been signed out since the token
    was issued (one statement). Raises `user_not_found`, `user_inactive` or `token_revoked` (401)."""
    found = user_token_version_row(user_model=get_user_model(), id_field=api_settings.USER_ID_FIELD, user_id=user_id)
    if found is None:
        raise ApplicationError(BackOfficeCode.USER_NOT_FOUND, "The account of this token is missing.", status=401)
    user, current_version = found
    if not user.is_active:
        raise ApplicationError(BackOfficeCode.USER_INACTIVE, "The account of this token is inactive.", status=401)
    if current_version != token_version:
        raise ApplicationError(
            BackOfficeCode.TOKEN_REVOKED, "This sign-in has ended (logout or deactivation).", status=401
        )
    return user


def token_claim_version(token: Any) -> int:
    raw = token.get(CLAIM, 0)
    return raw if isinstance(raw, int) else -1


def refresh_token_for(*, user: User) -> RefreshToken:
    refresh = RefreshToken.for_user(user)
    refresh[CLAIM] = token_version_of(user_id=user.pk)
    return refresh


def access_token_for(*, user: User) -> AccessToken:
    access = AccessToken.for_user(user)
    access[CLAIM] = token_version_of(user_id=user.pk)
    return access


@transaction.atomic
def tokens_revoke(*, user_id: int) -> int:
    """Refuse every token of the user issued so far and close the user's sockets (after commit)."""
    TokenVersion.objects.get_or_create(user_id=user_id)
    TokenVersion.objects.filter(user_id=user_id).update(version=F("version") + 1)
    version = token_version_of(user_id=user_id)
    send_to_group_on_commit(user_group(user_id), {"type": "user.revoked", "version": version})
    return version


def _deactivated(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A user saved inactive who was active: their sign-ins end (after the save commits)."""
    if instance.pk is None or instance.is_active:
        return
    if sender.objects.filter(pk=instance.pk, is_active=True).exists():
        transaction.on_commit(lambda: tokens_revoke(user_id=instance.pk))


def deactivation_revokes() -> None:
    pre_save.connect(_deactivated, sender=get_user_model(), dispatch_uid="tokens_revoked_on_deactivation")
