"""Disconnect credit (issue 15): time a running attempt had no live connection is given back, measured
from the server's session records. The rule on hand-computed figures, the claim that reads the row it
replaces in the same statement, the connect that gives the credit (and its statements), and where
recruiters see it: the report, the attempt's record and the test's form."""

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from assessments import clock
from assessments.models import Assessment, AssessmentEvent, CandidateSession, Test
from assessments.selectors.sessions import stale_after
from assessments.services.attempts import Connection, Opened, Outcome, connection_open
from assessments.services.disconnect_credits import disconnect_credit_seconds_due
from assessments.services.sessions import session_claim, session_release
from assessments.tests.factories import TestFactory, attempt_started
from testsupport.queries import statements

pytestmark = pytest.mark.django_db(transaction=True)

# connection_open's four statements (test_connect_budget.py pins the whole connect path, the token's user
# too), and the credit's two: the attempt's UPDATE (deadline, credit, seq) and its event's INSERT.
CREDIT_OPEN_BUDGET = 6
T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def due(*, offline_since: datetime, now: datetime, credited: int = 0, **test_fields: Any) -> int:
    """The credit for an attempt started at T0 with a 20-minute deadline."""
    test = Test(disconnect_policy=Test.DisconnectPolicy.CREDIT, **test_fields)
    return disconnect_credit_seconds_due(
        test=test,
        started_at=T0,
        deadline_at=T0 + timedelta(minutes=20),
        credited_seconds=credited,
        offline_since=offline_since,
        now=now,
    )


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


# ---------------------------------------------------------------- the rule, on hand-computed figures


def test_the_credit_is_the_whole_seconds_without_a_connection() -> None:
    assert due(offline_since=at(60), now=at(190.7)) == 130


def test_a_gap_under_two_seconds_is_a_reload_and_gives_nothing() -> None:
    assert (due(offline_since=at(60), now=at(61.9)), due(offline_since=at(60), now=at(62))) == (0, 2)


def test_only_time_inside_the_attempt_counts() -> None:
    assert due(offline_since=at(-300), now=at(45)) == 45  # offline since before it started: from the start


def test_the_cap_counts_what_the_attempt_was_given_before() -> None:
    assert due(offline_since=at(60), now=at(190), credited=250, disconnect_credit_minutes=5) == 50
    assert due(offline_since=at(60), now=at(190), credited=300, disconnect_credit_minutes=5) == 0


def test_the_deadline_never_moves_past_the_tests_closing_time() -> None:
    assert due(offline_since=at(60), now=at(190), closes_at=at(20 * 60 + 10)) == 10
    assert due(offline_since=at(60), now=at(190), closes_at=at(19 * 60)) == 0  # already past it: not moved back


def test_the_none_policy_gives_nothing_and_the_credit_policy_does() -> None:
    test = Test(disconnect_policy=Test.DisconnectPolicy.NONE)
    kwargs: dict[str, Any] = {"started_at": T0, "deadline_at": at(1200), "credited_seconds": 0}
    assert disconnect_credit_seconds_due(test=test, offline_since=at(60), now=at(190), **kwargs) == 0
    test.disconnect_policy = Test.DisconnectPolicy.CREDIT
    assert disconnect_credit_seconds_due(test=test, offline_since=at(60), now=at(190), **kwargs) == 130


# ---------------------------------------------------------------- what the claim reads


def session_row(conn: Connection) -> CandidateSession:
    return CandidateSession.objects.get(key=conn.connection_id)


def test_the_claim_reads_the_released_row_it_replaces_in_the_same_statement() -> None:
    conn, _ = attempt_started(disconnect_policy="credit")
    session_release(connection_id=conn.connection_id, epoch=conn.epoch)
    released_at = session_row(conn).disconnected_at

    claim, sql = statements(lambda: session_claim(user=conn.user, test_id=conn.test_id, channel_name="c2", worker="w"))

    assert claim.offline_since == released_at
    assert len(sql) == 2, sql  # the upsert (reading the old row too) and the fencing of the attempt
    row = session_row(conn)
    assert (row.epoch, row.disconnected_at, row.channel_name) == (conn.epoch + 1, None, "c2")


def test_a_live_connection_taken_over_was_never_offline_and_a_first_one_has_nothing_before_it() -> None:
    conn, _ = attempt_started(disconnect_policy="credit")
    assert session_claim(user=conn.user, test_id=conn.test_id, channel_name="c2", worker="w").offline_since is None

    session_release(connection_id=conn.connection_id, epoch=conn.epoch + 1)  # the control: once released, it is
    released_at = session_row(conn).disconnected_at
    later = session_claim(user=conn.user, test_id=conn.test_id, channel_name="c3", worker="w")
    assert later.offline_since == released_at is not None

    other, _ = attempt_started(disconnect_policy="credit")  # its claim was the first: nothing before it
    assert session_row(other).epoch == 1


def test_a_session_its_dead_worker_never_released_is_offline_from_when_it_was_last_seen() -> None:
    conn, _ = attempt_started(disconnect_policy="credit")
    now = clock.now()
    seen = now - stale_after() - timedelta(seconds=7)
    CandidateSession.objects.filter(key=conn.connection_id).update(last_seen_at=seen)  # nobody touched it since

    claim = session_claim(user=conn.user, test_id=conn.test_id, channel_name="c2", worker="w")

    assert claim.offline_since == seen


def test_a_session_seen_within_the_stale_period_is_still_live() -> None:
    conn, _ = attempt_started(disconnect_policy="credit")
    CandidateSession.objects.filter(key=conn.connection_id).update(
        last_seen_at=clock.now() - stale_after() + timedelta(seconds=7)
    )
    assert session_claim(user=conn.user, test_id=conn.test_id, channel_name="c2", worker="w").offline_since is None
    seen = clock.now() - stale_after() - timedelta(seconds=1)  # the control: a moment older, and it is stale
    CandidateSession.objects.filter(key=conn.connection_id).update(last_seen_at=seen)
    claim = session_claim(user=conn.user, test_id=conn.test_id, channel_name="c3", worker="w")
    assert claim.offline_since == seen


# ---------------------------------------------------------------- the connect that gives it


def attempt_of(outcome: Outcome) -> Assessment:
    assert outcome.assessment_id is not None
    return Assessment.objects.get(pk=outcome.assessment_id)


def reconnect(conn: Connection, channel_name: str = "again") -> Opened:
    return connection_open(user=conn.user, test_id=conn.test_id, channel_name=channel_name, worker="w")


def drop_and_wait(conn: Connection, seconds: float, clock_advance: Any) -> datetime:
    """The candidate's connection closes, and `seconds` pass; when it was released."""
    session_release(connection_id=conn.connection_id, epoch=conn.epoch)
    clock_advance(seconds)
    released = session_row(conn).disconnected_at
    assert released is not None
    return released


def test_a_reconnect_after_130_seconds_moves_the_deadline_logs_the_credit_and_tells_the_candidate(
    clock_advance: Any,
) -> None:
    conn, started = attempt_started(disconnect_policy="credit")
    before = attempt_of(started)
    released = drop_and_wait(conn, 130, clock_advance)

    opened, sql = statements(lambda: reconnect(conn))

    (notice,) = opened.notices
    data = notice["data"]
    server_time = datetime.fromisoformat(data["server_time"])
    assert data["seconds"] == math.floor((server_time - released).total_seconds())
    assert 130 <= data["seconds"] <= 131
    assert (data["reason"], data["total_credited_seconds"]) == ("disconnected", data["seconds"])
    assert "seq" not in notice  # the snapshot already shows it: see PROTOCOL.md, Disconnect credit
    after = attempt_of(started)
    assert after.deadline_at == before.deadline_at + timedelta(seconds=data["seconds"])
    assert after.disconnect_credit_seconds == data["seconds"]
    assert opened.deadline == after.deadline_at  # the consumer's time-up timer follows it
    snapshot = opened.auth_success["data"]["assessment"]
    assert datetime.fromisoformat(snapshot["deadline"]) == after.deadline_at
    assert snapshot["time_remaining_seconds"] == data["time_remaining_seconds"]
    logged = AssessmentEvent.objects.get(assessment_id=after.pk, type="time_extended")
    assert logged.seq == after.last_seq == snapshot["last_seq"]
    assert logged.payload == {**notice, "seq": logged.seq}
    assert len(sql) == CREDIT_OPEN_BUDGET, "\n".join(sql)


def test_the_cap_holds_across_several_disconnects(clock_advance: Any) -> None:
    conn, started = attempt_started(disconnect_policy="credit", disconnect_credit_minutes=1)
    deadline = attempt_of(started).deadline_at
    given = []
    for channel in ("second", "third", "fourth"):
        drop_and_wait(conn, 40.2, clock_advance)
        opened = reconnect(conn, channel)
        conn = Connection(user=conn.user, test_id=conn.test_id, connection_id=conn.connection_id, epoch=conn.epoch + 1)
        given.append([(n["data"]["seconds"], n["data"]["total_credited_seconds"]) for n in opened.notices])

    assert given == [[(40, 40)], [(20, 60)], []]
    attempt = attempt_of(started)
    assert (attempt.disconnect_credit_seconds, attempt.deadline_at) == (60, deadline + timedelta(seconds=60))
    assert AssessmentEvent.objects.filter(assessment=attempt, type="time_extended").count() == 2


def test_only_a_test_with_the_credit_policy_gives_time_back(clock_advance: Any) -> None:
    credited, _ = attempt_started(disconnect_policy="credit")
    plain, started = attempt_started()  # the default policy: none
    deadline = attempt_of(started).deadline_at
    for conn in (credited, plain):
        session_release(connection_id=conn.connection_id, epoch=conn.epoch)
    clock_advance(130)

    assert [n["data"]["reason"] for n in reconnect(credited).notices] == ["disconnected"]
    assert reconnect(plain).notices == []
    attempt = attempt_of(started)
    assert (attempt.deadline_at, attempt.disconnect_credit_seconds) == (deadline, 0)
    assert not AssessmentEvent.objects.filter(assessment=attempt, type="time_extended").exists()


def test_an_attempt_whose_deadline_passed_while_offline_ends_instead(clock_advance: Any, settings: Any) -> None:
    """The expiry loop could have ended it meanwhile: the credit must not depend on whether it ran."""
    conn, started = attempt_started(disconnect_policy="credit", time_limit_minutes=1)
    drop_and_wait(conn, 60 + settings.JATAYU_TIME_UP_GRACE_SECONDS + 1, clock_advance)

    opened = reconnect(conn)

    assert opened.notices == []
    assert opened.auth_success["data"]["assessment"]["status"] == Assessment.Status.TIMED_OUT
    assert not AssessmentEvent.objects.filter(assessment=attempt_of(started), type="time_extended").exists()
    # The control: with time left, the same gap is given back.
    conn, _ = attempt_started(disconnect_policy="credit", time_limit_minutes=5)
    drop_and_wait(conn, 66, clock_advance)
    assert [n["data"]["seconds"] for n in reconnect(conn).notices] in ([66], [67])


# ---------------------------------------------------------------- what recruiters see


def credited_attempt(clock_advance: Any, seconds: float = 130.2) -> tuple[Assessment, datetime]:
    conn, started = attempt_started(disconnect_policy="credit")
    drop_and_wait(conn, seconds, clock_advance)
    (notice,) = reconnect(conn).notices
    return attempt_of(started), datetime.fromisoformat(notice["data"]["server_time"])


def test_the_report_and_the_attempts_record_list_each_credit(admin_client: Client, clock_advance: Any) -> None:
    attempt, given_at = credited_attempt(clock_advance)
    line = f"Time given back for a lost connection: 2 min 10 s at {date_format(timezone.localtime(given_at), 'H:i')}"

    report = admin_client.get(reverse("admin:assessments_assessment_report", args=[attempt.pk]))
    record = admin_client.get(reverse("admin:assessments_assessment_change", args=[attempt.pk]))

    assert report.status_code == record.status_code == 200
    assert line in report.content.decode()
    assert "130 s given back in all" in report.content.decode()
    assert line in record.content.decode()


def test_the_tests_form_shows_and_saves_the_disconnect_policy_its_cap_and_the_exposure_rate(
    admin_client: Client,
) -> None:
    test = TestFactory.create(status=Test.Status.DRAFT)
    url = reverse("admin:assessments_test_change", args=[test.pk])
    page = admin_client.get(url).content.decode()
    for name in ("disconnect_policy", "disconnect_credit_minutes", "max_exposure_rate"):
        assert f'name="{name}"' in page
    assert "Give back the time without a connection" in page
    assert "the most, in minutes, one attempt gets back" in page

    form = admin_client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update(
        {
            "requires_application": "on" if test.requires_application else "",
            "disconnect_policy": "credit",
            "disconnect_credit_minutes": "3",
            "max_exposure_rate": "0.25",
            "skills-TOTAL_FORMS": "0",
            "skills-INITIAL_FORMS": "0",
            "questions-TOTAL_FORMS": "0",
            "questions-INITIAL_FORMS": "0",
        }
    )
    response = admin_client.post(url, {k: v for k, v in data.items() if v != ""})

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    test.refresh_from_db()
    assert (test.disconnect_policy, test.disconnect_credit_minutes, test.max_exposure_rate) == ("credit", 3, 0.25)
    left_out = {
        k: v for k, v in data.items() if v != "" and k not in ("disconnect_policy", "disconnect_credit_minutes")
    }
    assert admin_client.post(url, {**left_out, "title": "Renamed"}).status_code == 302  # a post from an older form
    test.refresh_from_db()
    assert (test.title, test.disconnect_policy, test.disconnect_credit_minutes) == ("Renamed", "credit", 3)
