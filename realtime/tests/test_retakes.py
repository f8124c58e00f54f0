"""A second attempt on the same connection: its seqs start at 1 again and its clock runs on its own."""

from datetime import timedelta

import pytest
from django.utils import timezone

from assessments.models import Assessment, Test
from assessments.services.attempt_control import assessment_extend, assessment_terminate
from assessments.tests.factories import enrolled_candidate, published_test_with_bank
from testsupport.sockets import db, start_attempt
from testsupport.tokens import token_for

pytestmark = pytest.mark.django_db(transaction=True)


async def test_pushes_of_a_second_attempt_are_not_taken_for_repeats_of_the_first(ws_clients):
    s = await start_attempt(ws_clients, max_attempts=2)
    client = s.client
    await client.send("submit_answer", {"question_id": s.question["data"]["question_id"], "selected_option": 0})
    await client.expect("answer_feedback", "progress_update", "question")
    await client.send("complete_assessment")
    (first_done,) = await client.expect("assessment_completed")
    assert first_done["seq"] == 6  # attempt 1 got as far as seq 6 on this connection

    await client.send("start_assessment")
    started, _question = await client.expect("assessment_started", "question")
    assert (started["data"]["attempt"], started["seq"]) == (2, 1)
    second_id = started["data"]["assessment_id"]

    await db(assessment_extend)(assessment_id=second_id, minutes=5)
    (extended,) = await client.expect("time_extended")
    assert extended["seq"] == 3
    await db(assessment_terminate)(assessment_id=second_id, reason="Caught sharing the screen")
    (done,) = await client.expect("assessment_completed")
    assert (done["seq"], done["data"]["assessment_id"], done["data"]["status"]) == (4, second_id, "terminated")
    await client.nothing()


async def test_a_second_attempt_times_out_by_the_connections_own_timer(ws_clients, settings):
    settings.JATAYU_TIME_UP_GRACE_SECONDS = 0
    test = await db(published_test_with_bank)(questions=6, total_questions=3, max_attempts=2)
    user = await db(enrolled_candidate)(test=test)
    client = ws_clients(f"/ws/assessment/{test.pk}/")
    await client.connect()
    await client.auth(token_for(user))

    for attempt in (1, 2):
        # The deadline is capped at closes_at, so a test closing in 1.5 s makes a 1.5 s attempt.
        await db(Test.objects.filter(pk=test.pk).update)(closes_at=timezone.now() + timedelta(seconds=1.5))
        await client.send("start_assessment")
        started, _question = await client.expect("assessment_started", "question")
        assert started["data"]["attempt"] == attempt
        # Nothing but this connection's deadline timer finalizes the attempt in this test.
        (done,) = await client.expect("assessment_completed")
        assert done["data"]["assessment_id"] == started["data"]["assessment_id"]
        assert (done["data"]["status"], done["seq"]) == ("timed_out", 3)
        await client.nothing()  # the same event, pushed over the layer too, is not sent twice
    statuses = await db(lambda: list(Assessment.objects.filter(candidate=user).values_list("status", flat=True)))()
    assert statuses == ["timed_out", "timed_out"]
