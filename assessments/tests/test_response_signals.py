"""Rapid guesses and person fit per attempt (`selectors.response_signals`), on hand-made timings and
answer patterns, and how the integrity summary says them."""

import pytest

from assessments.models import Assessment, Question, Test
from assessments.psychometrics.response_times import person_fit_lz
from assessments.selectors.integrity import integrity_annotate, integrity_signals_attach, integrity_summary_of
from assessments.selectors.response_signals import MEDIAN_MIN_ANSWERS, response_signals
from assessments.tests.backoffice_factories import attempt_with_answers
from assessments.tests.factories import QuestionFactory, SkillFactory, TestFactory, published_test_with_bank

pytestmark = pytest.mark.django_db


def _timed(test: Test, question: Question, *, ms: int, round_trip_ms: int | None = None) -> Assessment:
    attempt = attempt_with_answers(test=test, answers={question: True})
    attempt.responses.update(time_taken_ms=ms, round_trip_ms=round_trip_ms)
    return attempt


def _at_theta_zero(attempt: Assessment) -> Assessment:
    attempt.ai_state = {"ability": {"overall": {"theta": 0.0, "se": 0.6, "asked": 8, "correct": 4}}}
    attempt.save()
    return attempt


def _patterns(test: Test) -> tuple[Assessment, Assessment, Question]:
    """Four easy and four hard questions; at θ 0, `odd` missed the easy ones and got the hard ones right,
    `usual` the other way round. Also the first hard question."""
    skill = SkillFactory(test=test)
    easy = [QuestionFactory(skill=skill, test=test, difficulty="easy") for _ in range(4)]
    hard = [QuestionFactory(skill=skill, test=test, difficulty="hard") for _ in range(4)]
    odd = attempt_with_answers(test=test, answers={**dict.fromkeys(easy, False), **dict.fromkeys(hard, True)})
    usual = attempt_with_answers(test=test, answers={**dict.fromkeys(easy, True), **dict.fromkeys(hard, False)})
    return _at_theta_zero(odd), _at_theta_zero(usual), hard[0]


ODD_LZ = person_fit_lz(theta=0.0, responses=[(-1.0, 0.0)] * 4 + [(1.0, 1.0)] * 4)


def test_an_answer_under_a_tenth_of_the_items_median_less_the_round_trip_is_a_rapid_guess() -> None:
    test = published_test_with_bank(questions=2, skills=1)
    usual, new = test.questions.order_by("id")
    for _ in range(MEDIAN_MIN_ANSWERS):
        _timed(test, usual, ms=30_000)  # median 30 s: the threshold is 3 s
    quick = _timed(test, usual, ms=2_900)
    slow_link = _timed(test, usual, ms=3_400, round_trip_ms=600)  # 2.8 s once the network is taken off
    considered = _timed(test, usual, ms=3_400)
    unknown_item = _timed(test, new, ms=2_000)  # no median yet: only the 1.5 s floor applies
    too_fast = _timed(test, new, ms=1_000)

    signals = response_signals(assessments=[quick, slow_link, considered, unknown_item, too_fast])

    assert [signals[a.pk].rapid_guesses for a in (quick, slow_link, considered, unknown_item, too_fast)] == [
        1,
        1,
        0,
        0,
        1,
    ]


def test_hard_items_right_and_easy_ones_wrong_fit_the_ability_poorly() -> None:
    odd, usual, _ = _patterns(TestFactory())

    signals = response_signals(assessments=[odd, usual])

    assert signals[odd.pk].person_fit == pytest.approx(ODD_LZ)
    assert signals[odd.pk].misfit
    assert not signals[usual.pk].misfit
    assert (signals[usual.pk].person_fit or 0.0) > 0


def test_the_integrity_summary_says_both_in_plain_words() -> None:
    odd, _, hard = _patterns(TestFactory())
    odd.responses.filter(question=hard).update(time_taken_ms=800)

    (row,) = integrity_annotate(Assessment.objects.filter(pk=odd.pk))
    integrity_signals_attach([row])
    summary = integrity_summary_of(row)

    assert summary.anything
    assert "1 answer too fast to read" in summary.line()
    assert "unusual answer pattern (person fit -" in summary.line()


def test_an_answer_keeps_the_round_trip_its_connection_measured() -> None:
    from dataclasses import replace

    from assessments.models import Response
    from assessments.services.answers import answer_submit
    from assessments.tests.factories import attempt_started, question_served

    conn, outcome = attempt_started()
    question_id = question_served(outcome)["question_id"]

    answer_submit(conn=replace(conn, round_trip_ms=240), question_id=question_id, selected_option=0)

    response = Response.objects.get(question_id=question_id)
    assert (response.round_trip_ms, response.time_taken_ms is not None) == (240, True)


def test_the_results_api_gives_each_attempts_signals(as_recruiter, recruiter) -> None:
    odd, _, hard = _patterns(TestFactory(created_by=recruiter))
    odd.responses.filter(question=hard).update(time_taken_ms=800)

    rows = as_recruiter.get(f"/api/tests/{odd.test_id}/results/").json()["results"]

    row = next(r for r in rows if r["id"] == odd.pk)
    assert row["rapid_guesses"] == 1
    assert row["person_fit"] == round(ODD_LZ or 0.0, 2)


def test_the_report_marks_the_rapid_answer_and_explains_the_signals(admin_client) -> None:
    from django.urls import reverse

    odd, _, hard = _patterns(TestFactory())
    odd.responses.filter(question=hard).update(time_taken_ms=800)

    page = admin_client.get(reverse("admin:assessments_assessment_report", args=[odd.pk])).content.decode()

    assert page.count('<div class="flag rapid-guess">too fast to read</div>') == 1
    assert "unusual answer pattern (person fit -" in page
    assert "never used to score" in page


def test_each_page_of_results_gets_its_own_rows_signals(as_recruiter, recruiter, monkeypatch) -> None:
    from assessments.api import views

    odd, usual, hard = _patterns(TestFactory(created_by=recruiter))
    odd.responses.filter(question=hard).update(time_taken_ms=800)
    asked_for: list[set[int]] = []
    real = views.response_signals

    def counting(*, assessments):
        asked_for.append({a.pk for a in assessments})
        return real(assessments=assessments)

    monkeypatch.setattr(views, "response_signals", counting)

    pages = [
        as_recruiter.get(f"/api/tests/{odd.test_id}/results/", {"page_size": 1, "page": n}).json()["results"]
        for n in (1, 2)
    ]

    assert [len(p) for p in pages] == [1, 1]
    assert asked_for == [{pages[0][0]["id"]}, {pages[1][0]["id"]}]  # one page's attempts at a time
    by_id = {p[0]["id"]: p[0] for p in pages}
    assert (by_id[odd.pk]["rapid_guesses"], by_id[usual.pk]["rapid_guesses"]) == (1, 0)
