"""Single session per candidate, the server-authoritative clock, and pushes from recruiters."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from assessments import clock
from assessments.models import Assessment, AssessmentEvent, CandidateApplication, Response, TestAnnouncement
from assessments.services.attempt_control import assessment_extend
from assessments.services.live import blueprint_announce
from assessments.tests.factories import enrolled_candidate, published_test_with_bank
from realtime import consumers
from testsupport.sockets import db
from testsupport.tokens import token_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
async def setup(ws_clients):
    test = await db(published_test_with_bank)(questions=6, total_questions=3)
    user = await db(enrolled_candidate)(test=test)

    async def connect(started: bool = False):
        client = ws_clients(f"/ws/assessment/{test.pk}/")
        await client.connect()
        success = await client.auth(token_for(user))
        question = None
        if started:
            await client.send("start_assessment")
            _, question = await client.expect("assessment_started", "question")
        return client, success, question

    return test, user, connect


async def test_a_new_connection_replaces_the_old_one_which_closes_4008(setup):
    _test, _user, connect = setup
    first, _, question = await connect(started=True)
    second, success, _ = await connect()
    await first.expect("session_replaced")
    await first.expect_error("session_replaced")
    await first.expect_close(4008)
    assert success["data"]["recovered"] is True
    assert success["data"]["assessment"]["current_question"]["question_id"] == question["data"]["question_id"]
    await second.send("heartbeat")
    await second.expect("pong")
    await second.nothing()


async def test_a_connection_that_missed_its_kick_cannot_answer(setup):
    _test, user, connect = setup
    client, _, question = await connect(started=True)

    def newer_connection_claims_silently() -> None:
        from assessments.models import CandidateSession

        CandidateSession.objects.filter(candidate=user).update(epoch=99)
        Assessment.objects.filter(candidate=user).update(session_epoch=99)

    await db(newer_connection_claims_silently)()
    await client.send("submit_answer", {"question_id": question["data"]["question_id"], "selected_option": 0})
    await client.expect("session_replaced")
    await client.expect_error("session_replaced")
    await client.expect_close(4008)
    assert await db(Response.objects.filter(answered_at__isnull=False).count)() == 0


async def test_deadline_times_out_a_connected_candidate_at_once(setup, monkeypatch, settings):
    monkeypatch.setattr(consumers, "WARNINGS_AT_SECONDS", (1,))
    settings.JATAYU_TIME_UP_GRACE_SECONDS = 0  # at once: no answer is on its way
    _test, user, connect = setup
    client, _, question = await connect(started=True)
    await client.send("submit_answer", {"question_id": question["data"]["question_id"], "selected_option": 0})
    await client.expect("answer_feedback", "progress_update", "question")
    deadline = timezone.now() + timedelta(seconds=1.5)
    await db(Assessment.objects.filter(candidate=user).update)(deadline_at=deadline)
    client2, _, _ = await connect()  # a reconnect picks the new deadline up
    (warning,) = await client2.expect("time_warning")
    assert warning["data"] == {"seconds_left": 1}
    (done,) = await client2.expect("assessment_completed")
    assert done["data"]["status"] == "timed_out"
    assert done["data"]["reason"] == "time_up"
    assert done["data"]["score"] in (0, 1)
    await client2.nothing()


async def test_the_answer_sent_at_time_up_counts_within_the_grace_and_the_attempt_ends_at_its_deadline(setup):
    _test, user, connect = setup
    client, _, question = await connect(started=True)
    deadline = timezone.now() - timedelta(seconds=1)  # passed, but within the grace
    await db(Assessment.objects.filter(candidate=user).update)(deadline_at=deadline)
    await client.send("submit_answer", {"question_id": question["data"]["question_id"], "selected_option": 0})
    feedback, _, done = await client.expect("answer_feedback", "progress_update", "assessment_completed")
    assert feedback["data"]["accepted"] is True
    assert (done["data"]["status"], done["data"]["reason"]) == ("timed_out", "time_up")
    assessment = await db(Assessment.objects.get)(candidate=user)
    assert assessment.ended_at == deadline
    assert await db(Response.objects.filter(answered_at__isnull=False).count)() == 1
    assert await db(Response.objects.count)() == 1  # no question was asked after the deadline
    await client.nothing()


async def test_answer_after_the_deadline_is_refused_and_not_stored(setup):
    _test, user, connect = setup
    client, _, question = await connect(started=True)
    await db(Assessment.objects.filter(candidate=user).update)(
        deadline_at=timezone.now() - clock.time_up_grace() - timedelta(seconds=1)
    )
    await client.send(
        "submit_answer", {"question_id": question["data"]["question_id"], "selected_option": 0}, id="late"
    )
    error = await client.expect_error("assessment_expired")
    assert error["ref"] == "late"
    (done,) = await client.expect("assessment_completed")
    assert done["data"]["status"] == "timed_out"
    assert await db(Response.objects.filter(answered_at__isnull=False).count)() == 0
    await client.nothing()


async def test_deadline_uses_the_time_multiplier_and_is_capped_at_closing(setup, ws_clients):
    _test, user, connect = setup
    await db(CandidateApplication.objects.filter(candidate=user).update)(time_multiplier=1.5)
    client, _, _ = await connect()
    await client.send("start_assessment")
    (started, _) = await client.expect("assessment_started", "question")
    assert started["data"]["time_limit_seconds"] == 45 * 60

    closes_at = timezone.now() + timedelta(minutes=5)
    other = await db(published_test_with_bank)(questions=2, total_questions=2, closes_at=closes_at)
    other_user = await db(enrolled_candidate)(test=other)
    client = ws_clients(f"/ws/assessment/{other.pk}/")
    await client.connect()
    await client.auth(token_for(other_user))
    await client.send("start_assessment")
    (started, _) = await client.expect("assessment_started", "question")
    assert started["data"]["deadline"].startswith(closes_at.isoformat()[:19])


async def test_expire_assessments_finalizes_abandoned_attempts_and_tells_connected_ones(setup):
    _test, user, connect = setup
    client, _, _question = await connect(started=True)
    await db(Assessment.objects.filter(candidate=user).update)(
        deadline_at=timezone.now() - clock.time_up_grace() - timedelta(seconds=1)
    )
    await db(call_command)("expire_assessments")
    (done,) = await client.expect("assessment_completed")
    assessment = await db(Assessment.objects.get)(candidate=user)
    assert assessment.status == "timed_out"
    assert assessment.ended_at is not None
    assert done["seq"] == assessment.last_seq
    assert await db(AssessmentEvent.objects.filter(type="assessment_completed").count)() == 1


async def test_extension_reaches_the_candidate_at_once(setup):
    _test, user, connect = setup
    client, _, _ = await connect(started=True)
    assessment = await db(Assessment.objects.get)(candidate=user)
    await db(assessment_extend)(assessment_id=assessment.pk, minutes=10)
    (extended,) = await client.expect("time_extended")
    assert extended["data"]["time_remaining_seconds"] > 39 * 60
    assert "seq" in extended


async def test_announcement_reaches_everyone_in_the_test_only(setup, ws_clients):
    test, _user, connect = setup
    client, _, _ = await connect()
    other_test = await db(published_test_with_bank)(questions=2, total_questions=2)
    outsider_user = await db(enrolled_candidate)(test=other_test)
    outsider = ws_clients(f"/ws/assessment/{other_test.pk}/")
    await outsider.connect()
    await outsider.auth(token_for(outsider_user))
    await db(blueprint_announce)(test=test, message="Ten minutes left for everyone")
    (announcement,) = await client.expect("announcement")
    kept = await db(TestAnnouncement.objects.get)(test=test)
    assert announcement["data"] == {
        "announcement_id": kept.pk,
        "message": "Ten minutes left for everyone",
        "sent_at": kept.created_at.isoformat().replace("+00:00", "Z"),
    }
    await outsider.nothing()


async def test_a_candidate_offline_during_an_announcement_finds_it_on_reconnecting(setup):
    test, _user, connect = setup
    await db(blueprint_announce)(test=test, message="Before anyone started: not shown")
    client, _, _ = await connect(started=True)
    await client.ws.disconnect()
    await db(blueprint_announce)(test=test, message="Read question 2 as 'tuple'")
    _again, success, _ = await connect()
    snapshot = success["data"]["assessment"]
    assert [a["message"] for a in snapshot["announcements"]] == ["Read question 2 as 'tuple'"]


async def test_the_chat_so_far_is_in_the_snapshot(setup):
    _test, _user, connect = setup
    client, _, _ = await connect(started=True)
    await client.send("chat_message", {"message": "What does idempotent mean?"})
    while (await client.recv())["type"] != "system_message":
        pass
    await client.ws.disconnect()
    _again, success, _ = await connect()
    chat = success["data"]["assessment"]["chat"]
    assert [entry["role"] for entry in chat] == ["candidate", "tutor"]
    assert chat[0]["message"] == "What does idempotent mean?"
    assert "needs an AI provider" in chat[1]["message"]  # the offline tutor's reply, as the candidate saw it


async def test_termination_reaches_the_candidate_at_once(setup):
    from assessments.services.attempt_control import assessment_terminate

    _test, user, connect = setup
    client, _, question = await connect(started=True)
    assessment = await db(Assessment.objects.get)(candidate=user)
    await db(assessment_terminate)(assessment_id=assessment.pk, reason="Caught sharing the screen")
    (done,) = await client.expect("assessment_completed")
    assert done["data"]["status"] == "terminated"
    assert done["data"]["reason"] == "terminated"
    await client.send("submit_answer", {"question_id": question["data"]["question_id"], "selected_option": 0})
    await client.expect_error("assessment_finished")


async def test_changing_the_accommodation_moves_a_running_deadline_at_once(setup):
    from assessments.services.attempt_control import application_time_multiplier_set

    _test, user, connect = setup
    client, _, _ = await connect(started=True)
    application = await db(CandidateApplication.objects.get)(candidate=user)
    await db(application_time_multiplier_set)(application=application, time_multiplier=1.5)
    (extended,) = await client.expect("time_extended")
    assert extended["data"]["time_remaining_seconds"] > 44 * 60
    assessment = await db(Assessment.objects.get)(candidate=user)
    assert (assessment.deadline_at - assessment.started_at).total_seconds() == 45 * 60


async def test_a_window_reconnecting_by_itself_does_not_grab_the_session_back(setup, ws_clients):
    test, user, connect = setup
    first, first_auth, _ = await connect(started=True)
    old_epoch = first_auth["data"]["epoch"]
    second, second_auth, _ = await connect()  # a new tab takes over
    assert second_auth["data"]["epoch"] == old_epoch + 1
    await first.expect("session_replaced")
    await first.expect_error("session_replaced")
    await first.expect_close(4008)

    retry = ws_clients(f"/ws/assessment/{test.pk}/")  # the first window, reconnecting by itself
    await retry.connect()
    await retry.send("auth", {"token": token_for(user), "epoch": old_epoch})
    await retry.expect("session_replaced")  # as on every other path to 4008
    await retry.expect_error("session_replaced")
    await retry.expect_close(4008)
    await second.send("heartbeat")
    await second.expect("pong")
    await second.nothing()

    await second.ws.disconnect()  # once the newer window is gone, the old one may come back
    back = ws_clients(f"/ws/assessment/{test.pk}/")
    await back.connect()
    await back.send("auth", {"token": token_for(user), "epoch": old_epoch})
    (success,) = await back.expect("auth_success")
    assert success["data"]["recovered"] is True


async def test_a_consumer_cancelled_without_disconnect_leaves_no_deadline_task_behind(ws_clients):
    """Daphne cancels an application that takes too long to close; disconnect() never runs then."""
    import asyncio

    from testsupport.sockets import start_attempt

    started = await start_attempt(ws_clients)

    def deadline_tasks() -> list[asyncio.Task]:
        return [t for t in asyncio.all_tasks() if "_deadline_timer" in repr(t.get_coro()) and not t.done()]

    assert len(deadline_tasks()) == 1  # the attempt's clock runs on its own task
    started.client.ws.future.cancel()
    with pytest.raises(asyncio.CancelledError):
        await started.client.ws.future
    await asyncio.sleep(0)

    assert deadline_tasks() == []


@pytest.mark.parametrize("ending", ["disconnect", "cancelled"])
async def test_a_closed_consumer_is_freed_without_the_cycle_collector(ws_clients, ending):
    """The workers collect cycles rarely (jatayu/asgi.py): a consumer caught in one, with its whole
    connection, stayed in memory until a full collection; a soak grew every worker by 1.6 MB a minute."""
    import asyncio
    import gc

    from realtime.consumers import AssessmentConsumer
    from testsupport.sockets import start_attempt

    started = await start_attempt(ws_clients)  # the attempt's deadline runs on a task of the consumer
    await started.client.send("heartbeat")
    await started.client.expect("pong")
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)  # what the collector finds is kept in gc.garbage, not freed
    try:
        if ending == "disconnect":
            await started.client.ws.disconnect()
        else:
            started.client.ws.future.cancel()
            with pytest.raises(asyncio.CancelledError):
                await started.client.ws.future
        for _ in range(3):
            await asyncio.sleep(0)  # the cancelled tasks finish
        gc.collect()
        in_cycles = [o for o in gc.garbage if isinstance(o, AssessmentConsumer)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert in_cycles == []
