"""Recruiters' actions on running tests that reach candidates on any worker."""

from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Coalesce, Greatest

from assessments.broadcast import send_to_group_on_commit, test_group
from assessments.errors import ApplicationError, BackOfficeCode
from assessments.messages import Announcement, server_message
from assessments.models import Test, TestAnnouncement


@transaction.atomic
def blueprint_announce(*, test: Test, message: str) -> TestAnnouncement:
    """Keep an announcement and broadcast it to every candidate connected to `test`, after commit.

    A candidate who is offline meanwhile finds it in the snapshot on reconnecting.
    """
    message = message.strip()
    if not message:
        raise ApplicationError(BackOfficeCode.EMPTY_ANNOUNCEMENT, "An announcement needs some text.")
    kept = TestAnnouncement.objects.create(test=test, message=message)
    # Never backwards, when two announcements race.
    Test.objects.filter(pk=test.pk).update(
        last_announced_at=Greatest(Coalesce("last_announced_at", Value(kept.created_at)), Value(kept.created_at))
    )
    data = Announcement(announcement_id=kept.pk, message=kept.message, sent_at=kept.created_at)
    envelope = server_message("announcement", data)
    send_to_group_on_commit(test_group(test.pk), {"type": "test.announcement", "message": envelope})
    return kept
