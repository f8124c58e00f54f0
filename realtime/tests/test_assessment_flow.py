"""An attempt over the socket: start, questions, answers, feedback modes, completion, chat, resume."""

import pytest

from assessments.models import Assessment, ChatMessage, IntegrityEvent, Question, Response, Test
from testsupport.sockets import db, start_attempt
from testsupport.tokens import token_for

pytestmark = pytest.mark.django_db(transaction=True)


async def started_client(ws_clients, *, feedback_mode=Test.FeedbackMode.CORRECTNESS, total=3, bank=6):
    s = await start_attempt(ws_clients, questions=bank, total=total, feedback_mode=feedback_mode)
    return s.client, s.test, s.user, s.started, s.question


def served_index_of_key(question_message) -> int:
    question = Question.objects.get(pk=question_message["data"]["question_id"])
    return question_message["data"]["options"].index(question.options[question.correct_option])


def wrong_index(question_message) -> int:
    return (served_index_of_key(question_message) + 1) % len(question_message["data"]["options"])


async def test_start_sends_started_and_a_question_without_any_answer_key(ws_clients):
    _client, _test, _, started, question = await started_client(ws_clients)
    data = started["data"]
    assert started["ref"] == "start"
    assert started["seq"] == 1
    assert data["total_questions"] == 3
    assert data["time_limit_seconds"] == 30 * 60
    assert data["feedback_mode"] == "correctness"
    assert {"deadline", "server_time", "assessment_id", "attempt"} <= data.keys()
    assert set(question["data"]) == {
        "question_id",
        "position",
        "total",
        "prompt",
        "options",
        "skill",
        "difficulty",
        "time_remaining_seconds",
        "kind",  # "single": a single question carries no `scoring`
    }
    assert question["data"]["kind"] == "single"
    assert question["data"]["position"] == 1
    assert question["seq"] == 2


async def test_start_twice_resumes_the_same_attempt_and_question(ws_clients):
    client, test, user, started, question = await started_client(ws_clients)
    await client.send("START_ASSESSMENT")
    again, same = await client.expect("assessment_started", "question")
    assert again["data"]["resumed"] is True
    assert again["data"]["assessment_id"] == started["data"]["assessment_id"]
    assert same["data"]["question_id"] == question["data"]["question_id"]
    assert await db(Assessment.objects.filter(candidate=user, test=test).count)() == 1


async def test_get_question_repeats_the_unanswered_question(ws_clients):
    client, *_, question = await started_client(ws_clients)
    for _ in range(2):
        await client.send("get_question", id="g")
        (again,) = await client.expect("question")
        assert again["data"]["question_id"] == question["data"]["question_id"]
        assert again["data"]["options"] == question["data"]["options"]
        assert again["ref"] == "g"


@pytest.mark.parametrize(
    ("mode", "fields"),
    [
        (Test.FeedbackMode.NONE, {"question_id", "accepted"}),
        (Test.FeedbackMode.CORRECTNESS, {"question_id", "accepted", "correct"}),
        (Test.FeedbackMode.FULL, {"question_id", "accepted", "correct", "correct_option", "explanation"}),
    ],
)
async def test_feedback_modes_decide_what_the_candidate_learns(ws_clients, mode, fields):
    client, *_, question = await started_client(ws_clients, feedback_mode=mode)
    key = await db(served_index_of_key)(question)
    await client.send(
        "submit_answer", {"question_id": question["data"]["question_id"], "selected_option": key}, id="a1"
    )
    feedback, progress, _next = await client.expect("answer_feedback", "progress_update", "question")
    assert set(feedback["data"]) == fields
    assert feedback["ref"] == "a1"
    if "correct" in fields:
        assert feedback["data"]["correct"] is True
    if mode == Test.FeedbackMode.FULL:
        assert feedback["data"]["correct_option"] == key
    assert ("score" in progress["data"]) is (mode != Test.FeedbackMode.NONE)
    assert progress["data"]["answered"] == 1
    assert progress["data"]["total"] == 3


async def test_full_attempt_scores_what_the_answers_deserve(ws_clients):
    client, test, user, _, question = await started_client(ws_clients, total=4, bank=8)
    right_answers = [True, False, True, True]
    for position, right in enumerate(right_answers, start=1):
        index = await db(served_index_of_key if right else wrong_index)(question)
        await client.send("submit_answer", {"question_id": question["data"]["question_id"], "selected_option": index})
        feedback, _progress, following = await client.expect(
            "answer_feedback", "progress_update", *(["question"] if position < 4 else ["assessment_completed"])
        )
        assert feedback["data"]["correct"] is right
        question = following
    assert following["data"] == {
        "assessment_id": following["data"]["assessment_id"],
        "status": "completed",
        "reason": "all_answered",
        "score": 3,
        "max_score": 4,
        "percentage_score": 75.0,
        "passed": True,
        "pass_percentage": test.pass_percentage,
    }
    assessment = await db(Assessment.objects.get)(candidate=user, test=test)
    assert (assessment.status, assessment.score, assessment.percentage_score) == ("completed", 3, 75.0)
    await client.send("get_question")
    (result,) = await client.expect("assessment_completed")
    assert result["data"]["score"] == 3


async def test_answer_by_exact_option_text_is_accepted(ws_clients):
    client, *_, question = await started_client(ws_clients)
    key = await db(served_index_of_key)(question)
    text = question["data"]["options"][key]
    await client.send("submit_answer", {"question_id": question["data"]["question_id"], "selected_option": text})
    feedback, *_ = await client.expect("answer_feedback", "progress_update", "question")
    assert feedback["data"]["correct"] is True


async def test_feedback_mode_none_hides_the_score_at_completion(ws_clients):
    client, *_, question = await started_client(ws_clients, feedback_mode=Test.FeedbackMode.NONE, total=1)
    await client.send("submit_answer", {"question_id": question["data"]["question_id"], "selected_option": 0})
    *_, done = await client.expect("answer_feedback", "progress_update", "assessment_completed")
    assert set(done["data"]) == {"assessment_id", "status", "reason"}


async def test_repeated_answer_with_the_same_id_returns_the_original_outcome_once(ws_clients):
    client, _test, user, _, question = await started_client(ws_clients)
    answer = {"question_id": question["data"]["question_id"], "selected_option": 1}
    await client.send("submit_answer", answer, id="same")
    first = await client.expect("answer_feedback", "progress_update", "question")
    await client.send("submit_answer", answer, id="same")
    second = await client.expect("answer_feedback", "progress_update", "question")
    assert [m["seq"] for m in first[:2]] == [m["seq"] for m in second[:2]]
    assert second[0]["data"] == first[0]["data"]
    await client.send("submit_answer", {**answer, "selected_option": 2}, id="other-id")
    third = await client.expect("answer_feedback", "progress_update", "question")
    assert third[0]["seq"] == first[0]["seq"]
    answered = await db(Response.objects.filter(assessment__candidate=user, answered_at__isnull=False).count)()
    assert answered == 1
    await client.nothing()


async def test_wrong_answers_get_errors_and_keep_the_socket(ws_clients):
    client, *_, question = await started_client(ws_clients)
    qid = question["data"]["question_id"]
    cases = [
        ({"question_id": qid, "selected_option": 4}, "invalid_option"),
        ({"question_id": qid, "selected_option": -1}, "invalid_option"),
        ({"question_id": qid, "selected_option": "no such option"}, "invalid_option"),
        ({"question_id": 987654, "selected_option": 0}, "not_in_assessment"),
        ({"question_id": "abc", "selected_option": 0}, "validation_error"),
        ({"question_id": qid}, "validation_error"),
    ]
    for data, code in cases:
        await client.send("submit_answer", data, id="x")
        error = await client.expect_error(code)
        assert error["ref"] == "x"
    await client.send("heartbeat")
    await client.expect("pong")


async def test_another_candidates_question_is_not_in_this_assessment(ws_clients):
    _, _, _, _, their_question = await started_client(ws_clients)
    client, *_ = await started_client(ws_clients)
    await client.send("submit_answer", {"question_id": their_question["data"]["question_id"], "selected_option": 0})
    await client.expect_error("not_in_assessment")


async def test_complete_early_scores_unanswered_as_wrong(ws_clients):
    client, _test, _user, _, question = await started_client(ws_clients, total=2)
    key = await db(served_index_of_key)(question)
    await client.send("submit_answer", {"question_id": question["data"]["question_id"], "selected_option": key})
    await client.expect("answer_feedback", "progress_update", "question")
    await client.send("complete_assessment", id="done")
    (done,) = await client.expect("assessment_completed")
    assert done["data"]["reason"] == "submitted"
    assert (done["data"]["score"], done["data"]["max_score"], done["data"]["percentage_score"]) == (1, 2, 50.0)
    await client.send("submit_answer", {"question_id": question["data"]["question_id"], "selected_option": 0})
    await client.expect("answer_feedback", "progress_update")  # the original outcome of the answered question


async def test_answer_after_completion_is_refused(ws_clients):
    client, *_ = await started_client(ws_clients, total=2)
    await client.send("get_question")
    (question,) = await client.expect("question")
    await client.send("complete_assessment")
    await client.expect("assessment_completed")
    await client.send("submit_answer", {"question_id": question["data"]["question_id"], "selected_option": 0})
    await client.expect_error("assessment_finished")


async def test_offline_tutor_streams_an_honest_reply_that_is_stored(ws_clients):
    client, _test, _user, _, question = await started_client(ws_clients)
    await client.send("chat_message", {"message": "How should I approach this one?"}, id="c1")
    chunks = []
    while (message := await client.recv())["type"] == "chat_chunk":
        assert message["ref"] == "c1"
        chunks.append(message["data"]["delta"])
    assert message["type"] == "system_message"
    assert message["ref"] == "c1"
    assert "seq" in message
    assert "".join(chunks) == message["data"]["message"]
    assert question["data"]["prompt"] in message["data"]["message"]
    assert "needs an AI provider" in message["data"]["message"]
    roles = await db(lambda: list(ChatMessage.objects.values_list("role", flat=True)))()
    assert roles == ["candidate", "tutor"]


async def test_integrity_events_are_recorded_and_acked(ws_clients):
    client, *_ = await started_client(ws_clients)
    await client.send("integrity_event", {"kind": "tab_hidden"}, id="i1")
    (ack,) = await client.expect("ack")
    assert ack["ref"] == "i1"
    await client.send("integrity_event", {"kind": "teleported"})
    await client.expect_error("validation_error")
    assert await db(lambda: list(IntegrityEvent.objects.values_list("kind", flat=True)))() == ["tab_hidden"]


async def test_resume_replays_exactly_the_missed_events(ws_clients):
    client, _test, _user, started, question = await started_client(ws_clients)
    await client.send("submit_answer", {"question_id": question["data"]["question_id"], "selected_option": 0}, id="a")
    sent = [started, question, *await client.expect("answer_feedback", "progress_update", "question")]
    await client.send("resume", {"last_seq": 2})
    replayed = await client.expect("answer_feedback", "progress_update", "question")
    assert replayed == sent[2:]
    await client.send("resume", {"last_seq": 0})
    assert await client.expect(*[m["type"] for m in sent]) == sent
    await client.send("resume", {"last_seq": -1})
    await client.expect_error("validation_error")


async def test_reconnect_recovers_the_snapshot(ws_clients):
    client, test, user, started, question = await started_client(ws_clients)
    await client.ws.disconnect()
    again = ws_clients(f"/ws/assessment/{test.pk}/")
    await again.connect()
    success = await again.auth(token_for(user))
    snapshot = success["data"]["assessment"]
    assert success["data"]["recovered"] is True
    assert snapshot["assessment_id"] == started["data"]["assessment_id"]
    assert snapshot["current_question"]["question_id"] == question["data"]["question_id"]
    assert snapshot["current_question"]["options"] == question["data"]["options"]
    assert snapshot["last_seq"] == 2
    assert snapshot["answered"] == 0
    assert snapshot["status"] == "in_progress"


async def test_no_message_ever_carries_the_key_of_an_unanswered_question(ws_clients):
    client, _test, _user, started, question = await started_client(ws_clients, feedback_mode=Test.FeedbackMode.FULL)
    seen = [started, question]
    for _ in range(3):
        await client.send("get_question")
        seen += await client.expect("question")
        await client.send("submit_answer", {"question_id": question["data"]["question_id"], "selected_option": 0})
        batch = [await client.recv() for _ in range(3)]
        seen += batch
        question = batch[-1]
        if question["type"] != "question":
            break
    explanations = await db(lambda: set(Question.objects.values_list("explanation", flat=True)))()
    answered_ids: set[int] = set()
    for message in seen:
        data = message["data"]
        if message["type"] == "answer_feedback":
            answered_ids.add(data["question_id"])
            continue
        assert "correct_option" not in data
        assert "explanation" not in data
        assert "correct" not in data
        assert not any(e in str(data) for e in explanations)


async def test_a_client_id_reused_from_another_message_still_records_the_answer(ws_clients):
    client, _test, user, _, question = await started_client(ws_clients)
    await client.send(
        "submit_answer", {"question_id": question["data"]["question_id"], "selected_option": 0}, id="start"
    )
    feedback, *_ = await client.expect("answer_feedback", "progress_update", "question")
    assert feedback["data"]["question_id"] == question["data"]["question_id"]
    answered = await db(Response.objects.filter(assessment__candidate=user, answered_at__isnull=False).count)()
    assert answered == 1
