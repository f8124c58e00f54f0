"""A regrade re-estimates θ and SE, overall and per skill, of every finished attempt that saw the
question, without the void questions; the dry run shows old → new and the audit keeps both.

Hand-computed set-up: ann answered three questions, all uncalibrated, so their difficulties are
the priors (easy -1, hard +1, medium 0 logits):
- sql: the easy one right, the hard one wrong;
- python: the medium one right.
Voiding the hard one leaves sql [(-1, right)], python [(0, right)], overall both of them.
"""

import io
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from assessments.ai.ability import ability_estimate, difficulty_logit
from assessments.models import Assessment, Difficulty, QuestionRegrade, Response, Test
from assessments.selectors.bank import Item, bank_for
from assessments.selectors.comparison import attempts_compare
from assessments.services.regrades import question_regrade_apply, question_regrade_plan
from assessments.tests.backoffice_factories import attempt_with_answers
from assessments.tests.factories import QuestionFactory, SkillFactory, TestFactory, UserFactory
from assessments.tests.paging import whole_list

pytestmark = pytest.mark.django_db
VOID = QuestionRegrade.Action.VOID
REKEY = QuestionRegrade.Action.REKEY
RESCORE = QuestionRegrade.Action.RESCORE

EASY_RIGHT, HARD_WRONG, MEDIUM_RIGHT = (-1.0, True), (1.0, False), (0.0, True)


def estimate(*pairs: tuple[float, bool | float]) -> dict[str, Any]:
    return ability_estimate(pairs).as_dict()


BEFORE = {
    "overall": estimate(EASY_RIGHT, HARD_WRONG, MEDIUM_RIGHT),
    "skills": {"sql": estimate(EASY_RIGHT, HARD_WRONG), "python": estimate(MEDIUM_RIGHT)},
}
AFTER_VOID = {
    "overall": estimate(EASY_RIGHT, MEDIUM_RIGHT),
    "skills": {"sql": estimate(EASY_RIGHT), "python": estimate(MEDIUM_RIGHT)},
}


@pytest.fixture
def ann(recruiter: Any) -> dict[str, Any]:
    test = TestFactory.create(total_questions=3, pass_percentage=50.0, created_by=recruiter)
    sql = SkillFactory.create(test=test, name="sql")
    python = SkillFactory.create(test=test, name="python")
    easy = QuestionFactory.create(test=test, skill=sql, difficulty=Difficulty.EASY)
    hard = QuestionFactory.create(test=test, skill=sql, difficulty=Difficulty.HARD)
    medium = QuestionFactory.create(test=test, skill=python, difficulty=Difficulty.MEDIUM)
    attempt = attempt_with_answers(
        test=test,
        answers={easy: True, hard: False, medium: True},
        candidate=UserFactory.create(username="ann"),
        ai_state={"ability": BEFORE},  # what the answer path kept
    )
    return {"test": test, "attempt": attempt, "easy": easy, "hard": hard, "medium": medium}


def ability_of(attempt: Assessment) -> dict[str, Any]:
    ability: dict[str, Any] = Assessment.objects.get(pk=attempt.pk).ai_state["ability"]
    return ability


def test_a_void_re_estimates_theta_and_se_without_the_item_overall_and_per_skill(ann: dict[str, Any]) -> None:
    # The hand-computed pairs hold while Item.logit of an uncalibrated item is its prior.
    bank = bank_for(test=Test.objects.get(pk=ann["test"].pk))
    assert [bank.items[ann[name].pk].logit for name in ("easy", "hard", "medium")] == [-1.0, 1.0, 0.0]
    assert AFTER_VOID["overall"] != BEFORE["overall"]
    assert AFTER_VOID["skills"]["sql"] != BEFORE["skills"]["sql"]

    record = question_regrade_apply(question=ann["hard"], action=VOID, by=None)

    assert ability_of(ann["attempt"]) == AFTER_VOID
    (change,) = record.changes
    assert change["old"]["ability"] == BEFORE
    assert change["new"]["ability"] == AFTER_VOID
    assert (change["old"]["score"], change["new"]["score"], change["new"]["max_score"]) == (2, 2, 2)


def test_the_dry_run_shows_old_and_new_theta_and_writes_nothing(ann: dict[str, Any]) -> None:
    plan = question_regrade_plan(question=ann["hard"], action=VOID)

    (rescore,) = plan.rescores
    assert (rescore.old_ability, rescore.new_ability) == (BEFORE, AFTER_VOID)
    assert plan.ability_changed == [rescore]
    rows = {c.name: (c.old, c.new, c.changed) for c in rescore.ability_changes()}
    assert list(rows) == ["overall", "sql", "python"]
    assert rows["overall"] == (BEFORE["overall"], AFTER_VOID["overall"], True)
    assert rows["sql"] == (BEFORE["skills"]["sql"], AFTER_VOID["skills"]["sql"], True)
    assert rows["python"] == (BEFORE["skills"]["python"], AFTER_VOID["skills"]["python"], False)
    assert ability_of(ann["attempt"]) == BEFORE
    assert not QuestionRegrade.objects.exists()


def test_the_regrade_page_shows_theta_and_se_now_and_after(admin_client: Client, ann: dict[str, Any]) -> None:
    url = reverse("admin:assessments_question_regrade", args=[ann["hard"].pk])

    html = admin_client.post(url, {"action": "void", "dry_run": "Dry run"}).content.decode()

    assert "θ ± SE would change for 1 of them." in html
    old, new = BEFORE["overall"], AFTER_VOID["overall"]
    assert f"{old['theta']} ± {old['se']} →\n          {new['theta']} ± {new['se']}" in html
    sql_old, sql_new = BEFORE["skills"]["sql"], AFTER_VOID["skills"]["sql"]
    assert f"{sql_old['theta']} ± {sql_old['se']} →\n          {sql_new['theta']} ± {sql_new['se']}" in html
    assert ability_of(ann["attempt"]) == BEFORE

    applied = admin_client.post(url, {"action": "void", "apply": "Apply"}, follow=True).content.decode()

    assert "1 attempt(s) re-scored, 1 score(s) changed, 1 θ estimate(s) changed." in applied
    assert ability_of(ann["attempt"]) == AFTER_VOID


def test_a_skill_whose_only_answer_is_voided_has_no_estimate_after(ann: dict[str, Any]) -> None:
    plan = question_regrade_plan(question=ann["medium"], action=VOID)

    (rescore,) = plan.rescores
    assert rescore.new_ability == {
        "overall": estimate(EASY_RIGHT, HARD_WRONG),
        "skills": {"sql": estimate(EASY_RIGHT, HARD_WRONG)},
    }
    python = next(c for c in rescore.ability_changes() if c.name == "python")
    assert (python.old, python.new) == (BEFORE["skills"]["python"], None)


def test_a_new_key_re_estimates_with_the_new_credits(ann: dict[str, Any]) -> None:
    hard = ann["hard"]
    chosen = Response.objects.get(assessment=ann["attempt"], question=hard).selected_option
    assert chosen is not None

    record = question_regrade_apply(question=hard, action=REKEY, new_correct_option=chosen, by=None)

    rekeyed = {
        "overall": estimate(EASY_RIGHT, (1.0, True), MEDIUM_RIGHT),
        "skills": {"sql": estimate(EASY_RIGHT, (1.0, True)), "python": estimate(MEDIUM_RIGHT)},
    }
    assert ability_of(ann["attempt"]) == rekeyed
    assert record.changes[0]["new"]["ability"] == rekeyed


def test_the_estimate_uses_the_banks_item_difficulty(ann: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    # Whatever Item.logit gives (a calibrated difficulty, say), the regrade uses it, as the answer path does.
    monkeypatch.setattr(Item, "logit", property(lambda item: difficulty_logit(item.difficulty) + 0.5))

    plan = question_regrade_plan(question=ann["hard"], action=VOID)

    assert plan.rescores[0].new_ability == {
        "overall": estimate((-0.5, True), (0.5, True)),
        "skills": {"sql": estimate((-0.5, True)), "python": estimate((0.5, True))},
    }


def test_a_running_attempt_keeps_its_theta_until_it_is_rescored_after_it_ends(ann: dict[str, Any]) -> None:
    test, hard = ann["test"], ann["hard"]
    running = attempt_with_answers(
        test=test,
        answers={hard: False, ann["easy"]: True},
        candidate=UserFactory.create(username="ben"),
        status=Assessment.Status.IN_PROGRESS,
        max_score=3,
        ai_state={"ability": {"overall": estimate(HARD_WRONG, EASY_RIGHT), "skills": {}}},
    )

    record = question_regrade_apply(question=hard, action=VOID, by=None)

    assert record.skipped_attempts == [running.pk]
    assert [c["candidate"] for c in record.changes] == ["ann"]
    assert ability_of(running) == {"overall": estimate(HARD_WRONG, EASY_RIGHT), "skills": {}}

    Assessment.objects.filter(pk=running.pk).update(status=Assessment.Status.COMPLETED, ended_at=running.started_at)
    rescored = question_regrade_apply(question=hard, action=RESCORE, by=None)

    assert ability_of(running) == {"overall": estimate(EASY_RIGHT), "skills": {"sql": estimate(EASY_RIGHT)}}
    ben = next(c for c in rescored.changes if c["candidate"] == "ben")
    assert ben["new"]["ability"] == ability_of(running)
    ann_again = next(c for c in rescored.changes if c["candidate"] == "ann")
    assert ann_again["old"]["ability"] == ann_again["new"]["ability"] == AFTER_VOID  # nothing moves twice


def test_results_comparison_report_and_export_show_the_re_estimated_theta(
    ann: dict[str, Any], api_client: Any, recruiter: Any, admin_client: Client
) -> None:
    test, attempt = ann["test"], ann["attempt"]
    record = question_regrade_apply(question=ann["hard"], action=VOID, by=None)
    assert record.changes[0]["new"]["ability"] == AFTER_VOID
    new = AFTER_VOID["overall"]

    api_client.force_authenticate(recruiter)
    (row,) = whole_list(api_client.get(f"/api/tests/{test.pk}/results/"))
    assert row["ability"] == AFTER_VOID

    (compared,), _skills = attempts_compare(test=test, assessment_ids=[attempt.pk])
    assert (compared.theta, compared.se) == (new["theta"], new["se"])
    assert compared.skills["sql"].theta == AFTER_VOID["skills"]["sql"]["theta"]

    report = admin_client.get(reverse("admin:assessments_assessment_report", args=[attempt.pk])).content.decode()
    assert f'<td class="num">{new["theta"]}</td><td class="num">{new["se"]}</td>' in report

    out = io.StringIO()
    call_command("export_results", str(test.pk), "--format", "json", "--no-progress", stdout=out)
    assert [r["ability"] for r in json.loads(out.getvalue())] == [AFTER_VOID]
