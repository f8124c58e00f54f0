"""The chat services on their own: a window that lost the session cannot store the tutor's reply."""

import pytest

from assessments.ai.providers import Usage
from assessments.errors import ApplicationError
from assessments.models import Assessment, ChatMessage
from assessments.services.attempts import assessment_complete, assessment_start
from assessments.services.chat import chat_begin, chat_finish
from assessments.tests.factories import candidate_connect, enrolled_candidate, published_test_with_bank

pytestmark = pytest.mark.django_db


def test_a_reply_finishing_after_a_takeover_is_not_stored():
    test = published_test_with_bank(questions=4, total_questions=2)
    user = enrolled_candidate(test=test)
    old_window = candidate_connect(user=user, test=test)
    assessment_start(conn=old_window)
    turn = chat_begin(conn=old_window, message="what is a join?")
    candidate_connect(user=user, test=test)  # another window takes over while the tutor replies
    with pytest.raises(ApplicationError) as raised:
        chat_finish(conn=old_window, turn=turn, reply="A join combines rows.", blocked_leak=False, usage=Usage())
    assert raised.value.code == "session_replaced"
    assert list(ChatMessage.objects.values_list("role", flat=True)) == ["candidate"]


def test_a_reply_finishing_after_the_attempt_ended_is_stored_but_not_logged():
    """The attempt's event log is closed once it ends; a retake on the same socket counts seqs anew."""
    test = published_test_with_bank(questions=4, total_questions=2)
    user = enrolled_candidate(test=test)
    conn = candidate_connect(user=user, test=test)
    assessment_id = assessment_start(conn=conn).assessment_id
    assert assessment_id is not None
    turn = chat_begin(conn=conn, message="what is a join?")
    assessment_complete(conn=conn)
    last_seq = Assessment.objects.get(pk=assessment_id).last_seq

    message = chat_finish(conn=conn, turn=turn, reply="A join combines rows.", blocked_leak=False, usage=Usage())

    assert message["type"] == "system_message"
    assert "seq" not in message
    assert Assessment.objects.get(pk=assessment_id).last_seq == last_seq
    assert ChatMessage.objects.filter(role="tutor", assessment_id=assessment_id).count() == 1
