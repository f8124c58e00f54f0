"""Connecting is pinned at five statements: the token's user, the session claim, and the snapshot of
the attempt (counted as in assessments/tests/test_statement_budgets.py: a real transaction, the
test's bank already cached, BEGIN and COMMIT not counted). A reconnect that is given back time for a
lost connection (issue 15's disconnect credit) writes it in two more: the attempt and its event."""

from typing import Any

import pytest

from assessments.services.attempts import connection_open
from assessments.services.sessions import session_release
from assessments.tests.factories import attempt_started, enrolled_candidate, published_test_with_bank, question_served
from realtime.auth import user_from_access_token
from testsupport.queries import statements
from testsupport.tokens import token_for

pytestmark = pytest.mark.django_db(transaction=True)

CONNECT_BUDGET = 5
CREDIT_WRITES = 2  # only on a connect that gives time back: the attempt's UPDATE and its event's INSERT


def test_connecting_with_a_token_to_a_running_attempt_is_five_statements() -> None:
    conn, outcome = attempt_started()
    token = token_for(conn.user)

    def reconnect() -> Any:
        auth = user_from_access_token(token)
        return connection_open(user=auth.user, test_id=conn.test_id, channel_name="c2", worker="w")

    opened, sql = statements(reconnect)

    snapshot = opened.auth_success["data"]["assessment"]
    assert snapshot["current_question"]["question_id"] == question_served(outcome)["question_id"]
    assert snapshot["answered"] == 0
    assert len(sql) == CONNECT_BUDGET, sql


def test_connecting_before_any_attempt_is_within_the_same_budget() -> None:
    test = published_test_with_bank(questions=4)
    user = enrolled_candidate(test=test)
    token = token_for(user)

    def connect() -> Any:
        auth = user_from_access_token(token)
        return connection_open(user=auth.user, test_id=test.pk, channel_name="c1", worker="w")

    opened, sql = statements(connect)

    assert opened.auth_success["data"]["assessment"] is None
    assert len(sql) == CONNECT_BUDGET, sql


def test_a_reconnect_that_is_given_time_back_for_a_lost_connection_is_two_more(clock_advance) -> None:
    conn, _ = attempt_started(disconnect_policy="credit")
    token = token_for(conn.user)
    session_release(connection_id=conn.connection_id, epoch=conn.epoch)
    clock_advance(30)

    def reconnect() -> Any:
        auth = user_from_access_token(token)
        return connection_open(user=auth.user, test_id=conn.test_id, channel_name="c2", worker="w")

    opened, sql = statements(reconnect)

    assert [notice["data"]["reason"] for notice in opened.notices] == ["disconnected"]
    assert len(sql) == CONNECT_BUDGET + CREDIT_WRITES, sql
