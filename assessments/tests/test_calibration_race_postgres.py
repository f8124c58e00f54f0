"""Several expiry loops calibrating at once (on several machines) share the backlog: every ended
attempt is counted once, no answer twice, and none of them deadlocks or fails."""

import threading

import pytest
from django.db import connection

from assessments.models import Assessment, Question
from assessments.services.calibration import attempts_calibrate
from assessments.tests.backoffice_factories import attempt_with_answers
from assessments.tests.factories import published_test_with_bank

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_racing_calibration_batches_count_each_attempt_once():
    test = published_test_with_bank(questions=3, skills=1)
    questions = list(test.questions.order_by("id"))
    for i in range(24):
        attempt = attempt_with_answers(test=test, answers={q: (i + n) % 2 == 0 for n, q in enumerate(questions)})
        estimate = {"theta": 0.0, "se": 0.4, "asked": 3, "correct": 1}
        attempt.ai_state = {"ability": {"overall": estimate, "skills": {questions[0].skill.name: estimate}}}
        attempt.save()
    barrier = threading.Barrier(4)
    counted, errors = [], []

    def calibrate() -> None:
        try:
            barrier.wait()
            while done := attempts_calibrate(limit=5):
                counted.append(done)
        except Exception as exc:  # any error reaching a caller fails the test below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=calibrate) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sum(counted) == 24
    assert not Assessment.objects.filter(test=test, calibrated_at__isnull=True).exists()
    assert list(Question.objects.filter(test=test).values_list("calibration_n", flat=True)) == [24, 24, 24]
