"""`manage.py issue_token USERNAME`: print a JWT access token for a user, for trying the API and websocket."""

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from assessments.services.tokens import access_token_for


class Command(BaseCommand):
    help = (
        "Print a JWT access token for USERNAME, alone on stdout, so it can be captured: "
        "TOKEN=$(python manage.py issue_token alice). The token lives as long as SIMPLE_JWT's "
        "ACCESS_TOKEN_LIFETIME (JWT_ACCESS_MINUTES). Fails for an unknown or inactive user."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="The username of an active user.")

    def handle(self, *args: Any, **options: Any) -> None:
        username: str = options["username"]
        user_model = get_user_model()
        try:
            user = user_model._default_manager.get_by_natural_key(username)
        except user_model.DoesNotExist as exc:
            raise CommandError(f"No user with username {username!r}.") from exc
        if not user.is_active:
            raise CommandError(f"User {username!r} is inactive; no token issued.")
        self.stdout.write(str(access_token_for(user=user)))
