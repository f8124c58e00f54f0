"""Recruiters' actions on running tests that reach candidates on any worker."""

from django.db import transaction

from assessments.errors import ApplicationError
from assessments.models import Test
from realtime.groups import send_to_group_on_commit, test_group
from realtime.protocol import Announcement, server_message


@transaction.atomic
def blueprint_announce(*, test: Test, message: str) -> None:
    """Broadcast an announcement to every candidate connected to `test`, after commit."""
    message = message.strip()
    if not message:
        raise ApplicationError("empty_announcement", "An announcement needs some text.")
    envelope = server_message("announcement", Announcement(message=message))
    send_to_group_on_commit(test_group(test.pk), {"type": "test.announcement", "message": envelope})
