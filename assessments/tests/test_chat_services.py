"""The chat services on their own: a window that lost the session cannot store the tutor's reply."""

import pytest

from assessments.ai.providers import Usage
from assessments.errors import ApplicationError
from assessments.models import ChatMessage
from assessments.services.attempts import assessment_start, chat_begin, chat_finish
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
