"""Who is connected (one live session per candidate and endpoint), each user's token version, and the
one-time sign-in links that invitations and reminders carry."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from assessments.models.blueprints import Test


class CandidateSession(models.Model):
    """The live connection of one candidate on one endpoint (`key` is the protocol's connection_id).

    `epoch` is the fencing token of the single-session rule: each new connection takes the next one
    under a row lock, and any connection holding an older epoch may no longer write.

    `last_seen_at` is set on connect and refreshed by the worker holding the connection. A worker that is
    killed never releases its rows, so "connected" also needs a recent `last_seen_at`: see
    `assessments.selectors.sessions.session_live_q`.
    """

    key = models.CharField(max_length=64, unique=True)
    candidate = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sessions")
    test = models.ForeignKey(Test, null=True, blank=True, on_delete=models.CASCADE, related_name="sessions")
    epoch = models.PositiveIntegerField(default=0)
    channel_name = models.CharField(max_length=200, blank=True)
    worker = models.CharField(max_length=100, blank=True)
    connected_at = models.DateTimeField(null=True, blank=True)
    disconnected_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True, default=timezone.now)

    def __str__(self) -> str:
        return f"{self.key} (epoch {self.epoch})"


class TokenVersion(models.Model):
    """The sign-in generation of a user: every token carries the version it was issued at (claim
    `tv`, 0 when missing), and a token of an older one is refused. Logout and deactivation bump it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="token_version"
    )
    version = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.user_id} v{self.version}"


class SignInLink(models.Model):
    """A one-time sign-in link sent by email. Only the SHA-256 of its secret is stored, so the table
    alone signs nobody in; the link works once (`used_at`) and until `expires_at`."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sign_in_links")
    test = models.ForeignKey(Test, null=True, blank=True, on_delete=models.CASCADE, related_name="sign_in_links")
    secret_hash = models.CharField(max_length=64, unique=True)
    purpose = models.CharField(max_length=20, default="invitation")  # invitation or reminder
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(expires_at__gt=models.F("created_at")), name="link_expires_later")
        ]

    def __str__(self) -> str:
        return f"{self.purpose} link of {self.user_id} (until {self.expires_at:%Y-%m-%d %H:%M})"
