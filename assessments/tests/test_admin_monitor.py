"""The live monitor of a test: who is connected, progress, time, integrity events; extend, terminate, announce."""

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from assessments.models import Assessment, CandidateSession, IntegrityEvent, Test, TestAnnouncement
from assessments.tests.backoffice_factories import attempt_with_answers
from assessments.tests.factories import UserFactory, published_test_with_bank

pytestmark = pytest.mark.django_db


def url(name: str, test: Test) -> str:
    return reverse(f"admin:assessments_test_{name}", args=[test.pk])


def connect(candidate: Any, test: Test, *, worker: str, gone: bool = False) -> CandidateSession:
    now = timezone.now()
    return CandidateSession.objects.create(
        key=f"{candidate.pk}_{test.pk}",
        candidate=candidate,
        test=test,
        epoch=1,
        channel_name=f"daphne.{candidate.pk}",
        worker=worker,
        connected_at=now - timedelta(minutes=2),
        disconnected_at=now if gone else None,
    )


@pytest.fixture
def live_test() -> dict[str, Any]:
    """ann: connected on worker w2, 1 of 3 answered, two integrity events. ben: running but offline.
    cid: connected, no attempt yet. dan: disconnected, finished. Another test's connection: not shown."""
    test = published_test_with_bank(questions=4, total_questions=3)
    q = list(test.questions.all())
    ann = attempt_with_answers(
        test=test,
        answers={q[0]: True, q[1]: None},
        candidate=UserFactory.create(username="ann"),
        status="in_progress",
        max_score=3,
    )
    ben = attempt_with_answers(
        test=test, answers={q[0]: None}, candidate=UserFactory.create(username="ben"), status="in_progress", max_score=3
    )
    dan = attempt_with_answers(test=test, answers={q[0]: True}, candidate=UserFactory.create(username="dan"))
    connect(ann.candidate, test, worker="host:2002")
    cid = UserFactory.create(username="cid")
    connect(cid, test, worker="host:2001")
    connect(dan.candidate, test, worker="host:2001", gone=True)
    elsewhere = published_test_with_bank(questions=1, total_questions=1)
    connect(UserFactory.create(username="zed"), elsewhere, worker="host:2001")
    IntegrityEvent.objects.create(assessment=ann, kind="tab_hidden")
    IntegrityEvent.objects.create(assessment=ann, kind="paste")
    IntegrityEvent.objects.create(assessment=dan, kind="copy")
    return {"test": test, "ann": ann, "ben": ben, "dan": dan}


def test_monitor_data_lists_who_is_connected_and_running(admin_client: Client, live_test: dict[str, Any]) -> None:
    test = live_test["test"]

    response = admin_client.get(url("monitor_data", test))

    assert response.status_code == 200
    state = response.json()
    assert (state["test_id"], state["connected"], state["running"]) == (test.pk, 2, 2)
    rows = {row["candidate"]: row for row in state["rows"]}
    assert set(rows) == {"ann", "ben", "cid"}
    ann = rows["ann"]
    assert (ann["assessment_id"], ann["connected"], ann["worker"]) == (live_test["ann"].pk, True, "host:2002")
    assert (ann["answered"], ann["total"], ann["progress"]) == (1, 3, 33.3)
    assert (ann["integrity_events"], ann["hints"]) == (2, 0)
    assert 0 < ann["remaining_seconds"] <= test.time_limit_minutes * 60
    assert (rows["ben"]["connected"], rows["ben"]["answered"]) == (False, 0)
    assert (rows["cid"]["assessment_id"], rows["cid"]["connected"], rows["cid"]["answered"]) == (None, True, None)
    assert [(e["candidate"], e["kind"]) for e in state["integrity_events"]] == [
        ("dan", "copy"),
        ("ann", "paste"),
        ("ann", "tab_hidden"),
    ]


def test_monitor_page_renders_the_same_state_and_the_actions(admin_client: Client, live_test: dict[str, Any]) -> None:
    test = live_test["test"]

    page = admin_client.get(url("monitor", test)).content.decode()

    assert f'data-url="{url("monitor_data", test)}"' in page
    assert f'data-key="a-{live_test["ann"].pk}"' in page
    assert 'data-key="s-cid"' in page
    assert "● connected" in page
    assert "host:200" not in page  # worker ids mean nothing to a recruiter
    assert "○ not connected" in page
    assert "1 / 3 (33.3%)" in page
    assert page.count('value="Extend"') == 2
    assert page.count('value="Terminate"') == 2
    assert 'value="Broadcast"' in page
    assert "dan: copy" in page
    assert "zed" not in page


def test_monitor_is_read_only_without_the_change_permission(client: Client, live_test: dict[str, Any]) -> None:
    viewer = UserFactory.create(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_test"))
    Test.objects.filter(pk=live_test["test"].pk).update(created_by=viewer)
    client.force_login(viewer)

    page = client.get(url("monitor", live_test["test"])).content.decode()
    refused = client.post(url("monitor_extend", live_test["test"]), {"assessment": live_test["ann"].pk, "minutes": 5})

    assert "ann" in page
    assert 'value="Extend"' not in page
    assert refused.status_code == 403


def test_extend_pushes_time_extended(
    admin_client: Client, live_test: dict[str, Any], group_sends: list, django_capture_on_commit_callbacks: Any
) -> None:
    ann: Assessment = live_test["ann"]
    before = ann.deadline_at

    with django_capture_on_commit_callbacks(execute=True):
        page = admin_client.post(
            url("monitor_extend", live_test["test"]), {"assessment": ann.pk, "minutes": "7"}, follow=True
        )

    ann.refresh_from_db()
    assert ann.deadline_at == before + timedelta(minutes=7)
    assert "Gave ann 7 more minute(s)" in page.content.decode()
    ((group, event),) = group_sends
    assert group == f"user_{ann.candidate_id}"
    assert event["message"]["type"] == "time_extended"
    assert datetime.fromisoformat(event["message"]["data"]["deadline"]) == ann.deadline_at
    assert ann.events.filter(type="time_extended").count() == 1


def test_terminate_ends_the_attempt_with_the_reason(
    admin_client: Client, live_test: dict[str, Any], group_sends: list, django_capture_on_commit_callbacks: Any
) -> None:
    ann: Assessment = live_test["ann"]

    with django_capture_on_commit_callbacks(execute=True):
        page = admin_client.post(
            url("monitor_terminate", live_test["test"]), {"assessment": ann.pk, "reason": "phone in view"}, follow=True
        )

    ann.refresh_from_db()
    assert (ann.status, ann.end_reason) == ("terminated", "terminated")
    assert ann.ai_state["termination_reason"] == "phone in view"
    assert "Terminated the attempt of ann." in page.content.decode()
    ((group, event),) = group_sends
    assert (group, event["message"]["type"]) == (f"user_{ann.candidate_id}", "assessment_completed")
    assert event["message"]["data"]["status"] == "terminated"


def test_announce_broadcasts_to_the_tests_group(
    admin_client: Client, live_test: dict[str, Any], group_sends: list, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        page = admin_client.post(
            url("monitor_announce", live_test["test"]), {"message": "  Ten minutes left  "}, follow=True
        )

    assert "Announcement sent" in page.content.decode()
    ((group, event),) = group_sends
    assert group == f"test_{live_test['test'].pk}"
    assert event["type"] == "test.announcement"
    assert event["message"]["type"] == "announcement"
    assert event["message"]["data"]["message"] == "Ten minutes left"
    kept = TestAnnouncement.objects.get(test=live_test["test"])
    assert (kept.message, event["message"]["data"]["announcement_id"]) == ("Ten minutes left", kept.pk)


@pytest.mark.parametrize(
    ("name", "data", "error"),
    [
        ("monitor_extend", {"minutes": "0"}, "Not extended: minutes"),
        ("monitor_extend", {"minutes": "abc"}, "Not extended: minutes"),
        (
            "monitor_extend",
            {"minutes": "5", "assessment": "dan"},
            "Not extended: Only a running attempt can be extended.",
        ),
        ("monitor_extend", {"minutes": "5", "assessment": "999999"}, "that attempt is not part of this test"),
        ("monitor_terminate", {"reason": ""}, "Not terminated: reason"),
        ("monitor_terminate", {"reason": "x", "assessment": "dan"}, "Only a running attempt can be terminated."),
        ("monitor_announce", {"message": "   "}, "Not sent: message"),
    ],
)
def test_monitor_actions_report_errors_and_change_nothing(
    admin_client: Client,
    live_test: dict[str, Any],
    group_sends: list,
    django_capture_on_commit_callbacks: Any,
    name: str,
    data: dict[str, str],
    error: str,
) -> None:
    data = {"assessment": str(live_test["ann"].pk), **data}
    if data["assessment"] == "dan":
        data["assessment"] = str(live_test["dan"].pk)
    before = Assessment.objects.get(pk=live_test["ann"].pk).deadline_at

    with django_capture_on_commit_callbacks(execute=True):
        page = admin_client.post(url(name, live_test["test"]), data, follow=True)

    assert error in page.content.decode()
    assert group_sends == []
    ann = Assessment.objects.get(pk=live_test["ann"].pk)
    assert (ann.status, ann.deadline_at) == ("in_progress", before)


def test_monitor_actions_want_post(admin_client: Client, live_test: dict[str, Any]) -> None:
    for name in ("monitor_extend", "monitor_terminate", "monitor_announce"):
        assert admin_client.get(url(name, live_test["test"])).status_code == 405
    assert admin_client.post(url("monitor_data", live_test["test"])).status_code == 405


def test_an_empty_monitor(admin_client: Client) -> None:
    test = published_test_with_bank()
    page = admin_client.get(url("monitor", test)).content.decode()
    assert "Nobody is connected or taking this test right now." in page
    assert admin_client.get(url("monitor_data", test)).json()["rows"] == []
