"""Two `start_assessment` at the same moment (two tabs, two workers) make one attempt, and neither
caller sees a database error."""

import threading

import pytest
from django.db import connection

from assessments.models import Assessment
from assessments.services.attempts import assessment_start
from assessments.tests.factories import candidate_connect, enrolled_candidate, published_test_with_bank

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_racing_starts_make_one_attempt():
    test = published_test_with_bank(questions=4, total_questions=2)
    user = enrolled_candidate(test=test)
    conn = candidate_connect(user=user, test=test)
    barrier = threading.Barrier(4)
    outcomes, errors = [], []

    def start() -> None:
        try:
            barrier.wait()
            outcomes.append(assessment_start(conn=conn))
        except Exception as exc:  # any error reaching a caller fails the test below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len({o.assessment_id for o in outcomes}) == 1
    assert Assessment.objects.filter(candidate=user, test=test).count() == 1
    started = [m for o in outcomes for m in o.messages if m["type"] == "assessment_started"]
    assert sorted(m["data"]["resumed"] for m in started) == [False, True, True, True]
