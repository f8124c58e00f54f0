"""The email backend of a production server without EMAIL_HOST: it sends nothing and says why, so the
invite page lists each invitation as not sent, and no sign-in link is printed anywhere."""

from collections.abc import Sequence
from typing import Any

from django.core.mail.backends.base import BaseEmailBackend


class EmailNotConfiguredError(Exception):
    pass


class EmailNotConfiguredBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[Any]) -> int:
        raise EmailNotConfiguredError("email is not set up on this server (EMAIL_HOST); nothing was sent")
