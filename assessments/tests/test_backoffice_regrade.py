"""Regrading a question: void it or change its key, dry run versus apply, the audit record."""

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from assessments.errors import ApplicationError
from assessments.models import Assessment, Question, QuestionRegrade, Response, Test
from assessments.services.regrades import question_regrade_apply, question_regrade_plan
from assessments.tests.backoffice_factories import attempt_with_answers, wrong_option
from assessments.tests.factories import QuestionFactory, RecruiterFactory, SkillFactory, TestFactory, UserFactory

pytestmark = pytest.mark.django_db
VOID = QuestionRegrade.Action.VOID
REKEY = QuestionRegrade.Action.REKEY
RESCORE = QuestionRegrade.Action.RESCORE


@pytest.fixture
def graded() -> dict[str, Any]:
    """Four questions; pass mark 60%. ann 3/4 (75%, passed), ben 2/4 (50%), cid 4/4, dee running."""
    test = TestFactory.create(total_questions=4, pass_percentage=60.0)
    skill = SkillFactory.create(test=test, name="sql")
    q = [QuestionFactory.create(test=test, skill=skill, prompt=f"Q{i + 1}") for i in range(4)]
    ann = attempt_with_answers(
        test=test,
        answers={q[0]: False, q[1]: True, q[2]: True, q[3]: True},
        candidate=UserFactory.create(username="ann"),
    )
    ben = attempt_with_answers(
        test=test,
        answers={q[0]: True, q[1]: False, q[2]: True, q[3]: False},
        candidate=UserFactory.create(username="ben"),
    )
    cid = attempt_with_answers(
        test=test,
        answers={q[0]: True, q[1]: True, q[2]: True, q[3]: True},
        candidate=UserFactory.create(username="cid"),
    )
    dee = attempt_with_answers(
        test=test,
        answers={q[0]: False},
        candidate=UserFactory.create(username="dee"),
        status="in_progress",
        max_score=4,
    )
    other = attempt_with_answers(test=test, answers={q[1]: True}, candidate=UserFactory.create(username="eve"))
    ann.ai_state = {"ability": {"overall": {"theta": 0.5}, "skills": {}}}
    ann.save()
    return {"test": test, "q": q, "ann": ann, "ben": ben, "cid": cid, "dee": dee, "eve": other}


def scores(*attempts: Assessment) -> list[tuple[int, int, float | None, bool | None]]:
    rows = []
    for attempt in attempts:
        attempt.refresh_from_db()
        rows.append((attempt.score, attempt.max_score, attempt.percentage_score, attempt.passed))
    return rows


def test_void_dry_run_shows_the_changes_and_writes_nothing(graded: dict[str, Any]) -> None:
    q1 = graded["q"][0]
    before = scores(graded["ann"], graded["ben"], graded["cid"])

    plan = question_regrade_plan(question=q1, action=VOID)

    by_name = {r.candidate: r for r in plan.rescores}
    assert set(by_name) == {"ann", "ben", "cid"}  # eve never saw Q1; dee is still running
    assert plan.skipped == [graded["dee"].pk]
    # ann: 3 of the 3 other questions right -> 3/3 = 100%, now passes; ben: 1/3 = 33.33%; cid: 3/3.
    assert (by_name["ann"].new_score, by_name["ann"].new_max_score, by_name["ann"].new_percentage) == (3, 3, 100.0)
    assert (by_name["ann"].old_passed, by_name["ann"].new_passed) == (True, True)
    assert (by_name["ben"].new_score, by_name["ben"].new_max_score, by_name["ben"].new_percentage) == (1, 3, 33.33)
    assert (by_name["cid"].new_score, by_name["cid"].new_max_score, by_name["cid"].new_percentage) == (3, 3, 100.0)
    assert {r.candidate for r in plan.changed} == {"ann", "ben", "cid"}
    assert scores(graded["ann"], graded["ben"], graded["cid"]) == before
    assert not QuestionRegrade.objects.exists()
    q1.refresh_from_db()
    assert q1.active


def test_void_apply_rescores_and_records_who_did_it(graded: dict[str, Any]) -> None:
    q1 = graded["q"][0]
    recruiter = RecruiterFactory.create(username="rhea")

    record = question_regrade_apply(question=q1, action=VOID, by=recruiter, reason="two right answers")

    assert scores(graded["ann"], graded["ben"], graded["cid"]) == [
        (3, 3, 100.0, True),
        (1, 3, 33.33, False),
        (3, 3, 100.0, True),
    ]
    assert scores(graded["dee"])[0][:2] == (0, 4)  # running: untouched
    assert scores(graded["eve"])[0] == (1, 1, 100.0, True)  # never saw it
    q1.refresh_from_db()
    assert not q1.active
    assert (record.action, record.performed_by, record.performed_by_username) == ("void", recruiter, "rhea")
    assert record.reason == "two right answers"
    assert (record.attempts_rescored, record.scores_changed, record.skipped_attempts) == (3, 3, [graded["dee"].pk])
    change = next(c for c in record.changes if c["candidate"] == "ben")
    # ben holds no ability estimate, so none is re-estimated (test_regrade_reestimation has those).
    assert change["old"] == {"score": 2, "max_score": 4, "percentage": 50.0, "passed": False, "ability": None}
    assert change["new"] == {"score": 1, "max_score": 3, "percentage": 33.33, "passed": False, "ability": None}
    ann = Assessment.objects.get(pk=graded["ann"].pk)
    assert ann.ai_state["regrade"] == {"original_max_score": 4, "voided_question_ids": [q1.pk]}
    assert ann.ai_state["ability"]["overall"]["asked"] == 3  # θ re-estimated without the void item
    with pytest.raises(ApplicationError) as error:
        question_regrade_apply(question=q1, action=VOID, by=recruiter)
    assert error.value.code == "question_void"


def test_a_second_void_counts_from_the_original_max_score(graded: dict[str, Any]) -> None:
    q1, q2 = graded["q"][:2]
    question_regrade_apply(question=q1, action=VOID, by=None)
    question_regrade_apply(question=q2, action=VOID, by=None)

    # ann: Q3, Q4 right -> 2/2; ben: Q3 right, Q4 wrong -> 1/2; eve: only Q2, now void -> 0/0.
    assert scores(graded["ann"], graded["ben"], graded["eve"]) == [
        (2, 2, 100.0, True),
        (1, 2, 50.0, False),
        (0, 0, 0.0, False),
    ]


def test_rekey_marks_answers_against_the_new_key(graded: dict[str, Any]) -> None:
    q4 = graded["q"][3]
    new_key = wrong_option(q4)  # the option ben chose

    plan = question_regrade_plan(question=q4, action=REKEY, new_correct_option=new_key)
    assert {r.candidate: (r.old_score, r.new_score) for r in plan.changed} == {
        "ann": (3, 2),
        "ben": (2, 3),
        "cid": (4, 3),
    }
    assert Question.objects.get(pk=q4.pk).correct_option == 0

    record = question_regrade_apply(question=q4, action=REKEY, new_correct_option=new_key, by=None)

    assert (record.old_correct_option, record.new_correct_option) == (0, new_key)
    assert Question.objects.get(pk=q4.pk).correct_option == new_key
    assert scores(graded["ann"], graded["ben"]) == [(2, 4, 50.0, False), (3, 4, 75.0, True)]
    assert Response.objects.get(assessment=graded["ben"], question=q4).is_correct is True
    assert Response.objects.get(assessment=graded["ann"], question=q4).is_correct is False


@pytest.mark.parametrize(
    ("action", "key", "code"),
    [
        (REKEY, None, "invalid_key"),
        (REKEY, 9, "invalid_key"),
        (REKEY, 0, "same_key"),
        ("bogus", None, "invalid_action"),
    ],
)
def test_regrade_refuses_bad_requests(graded: dict[str, Any], action: str, key: int | None, code: str) -> None:
    with pytest.raises(ApplicationError) as error:
        question_regrade_plan(question=graded["q"][0], action=action, new_correct_option=key)
    assert error.value.code == code


def test_a_running_attempt_is_rescored_once_it_has_ended(graded: dict[str, Any]) -> None:
    q1 = graded["q"][0]
    question_regrade_apply(question=q1, action=VOID, by=None)
    dee = graded["dee"]
    # dee answers two more (right) and finishes the way `_finalize` scores: void items still counted.
    for position, question in enumerate(graded["q"][1:3], start=2):
        Response.objects.create(
            assessment=dee,
            question=question,
            position=position,
            option_order=[0, 1, 2, 3],
            asked_at=dee.started_at,
            answered_at=dee.started_at,
            selected_option=question.correct_option,
            is_correct=True,
        )
    Assessment.objects.filter(pk=dee.pk).update(
        status="completed", score=2, max_score=4, percentage_score=50.0, passed=False, ended_at=dee.started_at
    )

    plan = question_regrade_plan(question=q1, action=RESCORE)
    assert plan.skipped == []
    assert [(r.candidate, r.new_score, r.new_max_score) for r in plan.changed] == [("dee", 2, 3)]

    record = question_regrade_apply(question=q1, action=RESCORE, by=None)

    assert (record.attempts_rescored, record.scores_changed) == (4, 1)
    assert scores(dee) == [(2, 3, 66.67, True)]
    again = question_regrade_plan(question=q1, action=RESCORE)
    assert again.changed == []  # idempotent


# --- the admin page -------------------------------------------------------------------------------------------


def regrade_url(question: Question) -> str:
    return reverse("admin:assessments_question_regrade", args=[question.pk])


def test_regrade_page_dry_run_then_apply(admin_client: Client, admin_user: Any, graded: dict[str, Any]) -> None:
    q1 = graded["q"][0]
    page = admin_client.get(regrade_url(q1))
    assert page.status_code == 200
    assert "Never regraded." in page.content.decode()
    assert 'name="apply"' not in page.content.decode()

    dry = admin_client.post(regrade_url(q1), {"action": "void", "reason": "ambiguous", "dry_run": "Dry run"})

    html = dry.content.decode()
    assert "Dry run: 3 of 3 finished attempt(s) would change" in html
    assert html.count('<tr class="changed"') == 3
    assert "1 attempt(s) that saw it are still running" in html
    assert 'name="apply"' in html
    assert not QuestionRegrade.objects.exists()
    assert scores(graded["ben"])[0] == (2, 4, 50.0, False)

    applied = admin_client.post(
        regrade_url(q1), {"action": "void", "reason": "ambiguous", "apply": "Apply"}, follow=True
    )

    assert applied.redirect_chain[-1][0] == regrade_url(q1)
    html = applied.content.decode()
    assert (
        "3 attempt(s) re-scored, 3 score(s) changed, 1 θ estimate(s) changed, "
        "1 running attempt(s) to re-score once they end." in html
    )
    record = QuestionRegrade.objects.get()
    assert (record.performed_by, record.reason) == (admin_user, "ambiguous")
    assert "ambiguous" in html.split('id="regrade-history"')[1]
    assert scores(graded["ben"])[0] == (1, 3, 33.33, False)
    assert admin_client.get(reverse("admin:assessments_questionregrade_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:assessments_questionregrade_change", args=[record.pk])).status_code == 200


def test_regrade_page_rekey_needs_a_key_and_reports_domain_errors(admin_client: Client, graded: dict[str, Any]) -> None:
    q1 = graded["q"][0]

    missing = admin_client.post(regrade_url(q1), {"action": "rekey", "dry_run": "1"}).content.decode()
    same = admin_client.post(
        regrade_url(q1), {"action": "rekey", "new_correct_option": "0", "apply": "1"}
    ).content.decode()

    assert "Choose the new key." in missing
    assert "That is already the key of this question." in same
    assert not QuestionRegrade.objects.exists()


def test_the_regrade_audit_is_read_only_and_scoped(client: Client, graded: dict[str, Any]) -> None:
    from assessments.roles import recruiters_group_sync

    recruiters_group_sync()
    owner = RecruiterFactory.create()
    Test.objects.filter(pk=graded["test"].pk).update(created_by=owner)
    record = question_regrade_apply(question=graded["q"][0], action=VOID, by=owner)
    stranger = RecruiterFactory.create()

    client.force_login(owner)
    listing = client.get(reverse("admin:assessments_questionregrade_changelist"))
    assert listing.status_code == 200
    assert len(listing.context["cl"].result_list) == 1
    assert client.get(reverse("admin:assessments_questionregrade_add")).status_code == 403
    change = client.get(reverse("admin:assessments_questionregrade_change", args=[record.pk])).content.decode()
    assert 'name="_save"' not in change
    assert (
        client.post(reverse("admin:assessments_questionregrade_delete", args=[record.pk]), {"post": "yes"}).status_code
        == 403
    )

    client.force_login(stranger)
    assert len(client.get(reverse("admin:assessments_questionregrade_changelist")).context["cl"].result_list) == 0
    assert client.get(regrade_url(graded["q"][0])).status_code == 404


def test_a_question_voided_while_an_attempt_runs_is_left_out_when_it_ends(db) -> None:
    from assessments.tests.factories import attempt_play, enrolled_candidate, published_test_with_bank, served_key

    test = published_test_with_bank(questions=3, total_questions=3)
    asked: list[Response] = []

    def choose(response: Response, n: int) -> int:
        if n == 1:  # the first question is answered; void it while the attempt still runs
            question_regrade_apply(question=asked[0].question, action=VOID, by=None)
        asked.append(response)
        return 0 if n == 0 else served_key(response)

    finished = attempt_play(test=test, user=enrolled_candidate(test=test), choose=choose)
    assert (finished.score, finished.max_score, finished.percentage_score) == (2, 2, 100.0)

    # A later regrade of another question counts from the max_score before the void, not twice.
    question_regrade_apply(question=asked[1].question, action=VOID, by=None)
    finished.refresh_from_db()
    assert (finished.score, finished.max_score) == (1, 1)


def test_changing_the_accommodation_keeps_an_extension_already_granted(db) -> None:
    from datetime import timedelta

    from assessments.models import CandidateApplication
    from assessments.services.attempt_control import application_time_multiplier_set, assessment_extend
    from assessments.tests.factories import AssessmentFactory, published_test_with_bank

    test = published_test_with_bank(time_limit_minutes=30)
    running = AssessmentFactory(test=test)
    application = CandidateApplication.objects.create(candidate=running.candidate, test=test)
    assessment_extend(assessment_id=running.pk, minutes=10)
    application_time_multiplier_set(application=application, time_multiplier=1.5)
    running.refresh_from_db()
    assert running.deadline_at - running.started_at == timedelta(minutes=30 + 10 + 15)
