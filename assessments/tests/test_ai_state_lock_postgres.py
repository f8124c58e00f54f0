"""Planning the next AI item writes the attempt's ai_state under the row lock, so a concurrent
writer's change (an answer's ability update, a recorded leak) is never lost."""

import threading
import time

import pytest
from django.db import connection, transaction

from assessments.models import Assessment
from assessments.services.attempts import assessment_start
from assessments.services.generation import preparation_plan
from assessments.tests.factories import candidate_connect, enrolled_candidate, published_test_with_bank

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_preparation_plan_waits_for_a_concurrent_ai_state_write():
    test = published_test_with_bank(questions=4, total_questions=3)
    user = enrolled_candidate(test=test)
    assessment_id = assessment_start(conn=candidate_connect(user=user, test=test)).assessment_id
    assert assessment_id is not None
    locked, wrote = threading.Event(), threading.Event()

    def other_writer() -> None:
        try:
            with transaction.atomic():
                row = Assessment.objects.select_for_update().get(pk=assessment_id)
                locked.set()
                time.sleep(0.5)  # preparation_plan runs meanwhile
                row.ai_state["blocked_leaks"] = 7
                row.save(update_fields=["ai_state"])
                wrote.set()  # still holding the lock: it is released at commit, just after
        finally:
            connection.close()

    writer = threading.Thread(target=other_writer)
    writer.start()
    assert locked.wait(timeout=10)
    plan = preparation_plan(assessment_id=assessment_id)
    # It waited for the lock: a plan that had not would have returned during the writer's sleep.
    assert wrote.is_set()
    writer.join(timeout=10)
    assert plan is not None
    state = Assessment.objects.get(pk=assessment_id).ai_state
    assert state["blocked_leaks"] == 7
    assert state["prepared_for"] == plan.position
