"""The bank and selection using calibration: an item's calibrated difficulty and discrimination once
trusted, selection by information, the bank's refresh, and the test's maximum exposure rate."""

from collections import Counter
from dataclasses import replace

import pytest

from assessments.ai.ability import ability_estimate
from assessments.models import Question, Test
from assessments.selectors.bank import Bank, Item, SkillInfo, bank_for
from assessments.services.progress import Progress
from assessments.services.selection import item_information, question_pick_next
from assessments.tests.backoffice_factories import attempt_with_answers
from assessments.tests.factories import published_test_with_bank

pytestmark = pytest.mark.django_db


def _item(
    pk: int,
    *,
    calibrated: float | None = None,
    se: float | None = None,
    difficulty: str = "medium",
    discrimination: float | None = None,
    prior_mean: float | None = None,
    prior_discrimination: float | None = None,
) -> Item:
    return Item(
        pk=pk,
        skill_id=1,
        prompt="",
        options=("a", "b"),
        correct_option=0,
        explanation="",
        difficulty=difficulty,
        active=True,
        calibrated=calibrated,
        calibration_se=se,
        calibrated_discrimination=discrimination,
        prior_mean=prior_mean,
        prior_discrimination=prior_discrimination,
    )


def test_an_item_uses_its_calibrated_difficulty_only_once_trusted() -> None:
    assert _item(1, difficulty="hard").logit == 1.0  # no answers yet: the prior
    assert _item(1, calibrated=0.23, se=0.5, difficulty="hard").logit == 1.0  # SE not under 0.5: the prior still
    assert _item(1, calibrated=0.23, se=0.3, difficulty="hard").logit == 0.25  # trusted, to the 0.05 grid


def test_an_item_uses_its_calibrated_discrimination_with_its_difficulty() -> None:
    assert _item(1).discrimination == 1.0  # the Rasch model until answers say otherwise
    assert _item(1, calibrated=0.2, se=0.6, discrimination=1.62).discrimination == 1.0  # not trusted yet
    assert _item(1, calibrated=0.2, se=0.3, discrimination=1.62).discrimination == 1.6  # to the 0.05 grid
    assert _item(1, calibrated=0.2, se=0.3).discrimination == 1.0  # calibrated before discriminations were


def test_until_trusted_an_item_takes_the_tests_learnt_prior_and_its_pools_discrimination() -> None:
    fresh = _item(1, difficulty="hard", prior_mean=0.62, prior_discrimination=1.31)

    assert (fresh.logit, fresh.discrimination) == (0.6, 1.3)  # the test's prior, to the 0.05 grid
    trusted = replace(fresh, calibrated=0.4, calibration_se=0.2, calibrated_discrimination=0.9)
    assert (trusted.logit, trusted.discrimination) == (0.4, 0.9)
    assert (_item(2, difficulty="hard").logit, _item(2).discrimination) == (1.0, 1.0)  # nothing learnt


def test_selection_takes_the_most_informative_item_not_only_the_closest() -> None:
    # At θ = 0: a steep item half a logit away carries 1.8² · p(1 - p) = 0.67, more than a flat one right
    # at θ (0.6² / 4 = 0.09) and more than Rasch ones 0.3 and 1 logit away (0.24, 0.20); the three most
    # informative are drawn from.
    steep = _item(1, calibrated=0.5, se=0.2, discrimination=1.8)
    flat = _item(2, calibrated=0.0, se=0.2, discrimination=0.6)
    rasch_far = _item(3, calibrated=1.0, se=0.2)
    rasch_near = _item(4, calibrated=-0.3, se=0.2)
    flat_far = _item(5, calibrated=0.8, se=0.2, discrimination=0.6)
    bank = Bank(
        test_id=1,
        version=(1, None),
        items={i.pk: i for i in (steep, flat, rasch_far, rasch_near, flat_far)},
        skills={1: SkillInfo(pk=1, name="s", weight=1.0)},
        voided=frozenset(),
    )

    picks = [question_pick_next(progress=Progress(), bank=bank, prepared=set()) for _ in range(60)]

    picked = {item.pk for item in picks if item is not None}

    assert item_information(item=steep, theta=0.0) == pytest.approx(1.8**2 * 0.28905 * 0.71095, abs=1e-4)
    assert picked == {steep.pk, rasch_near.pk, rasch_far.pk}  # never the flat ones


def test_the_bank_reads_calibration_again_once_older_than_the_refresh(settings) -> None:
    test = published_test_with_bank(questions=1, skills=1)
    (question,) = test.questions.all()
    assert bank_for(test=Test.objects.get(pk=test.pk)).items[question.pk].logit == 0.0
    Question.objects.filter(pk=question.pk).update(calibrated_difficulty=-0.8, calibration_se=0.2)

    settings.JATAYU_BANK_REFRESH_SECONDS = 3600
    assert bank_for(test=Test.objects.get(pk=test.pk)).items[question.pk].logit == 0.0  # cached
    settings.JATAYU_BANK_REFRESH_SECONDS = 0
    assert bank_for(test=Test.objects.get(pk=test.pk)).items[question.pk].logit == -0.8


def test_the_bank_counts_each_items_attempts_for_exposure(settings) -> None:
    settings.JATAYU_BANK_REFRESH_SECONDS = 0
    test = published_test_with_bank(questions=3, skills=1, max_exposure_rate=0.5)
    q1, q2, _never_shown = test.questions.order_by("id")
    attempt_with_answers(test=test, answers={q1: True, q2: False})
    attempt_with_answers(test=test, answers={q1: True})

    bank = bank_for(test=Test.objects.get(pk=test.pk))

    assert (bank.attempts, dict(bank.shown), bank.max_exposure_rate) == (2, {q1.pk: 2, q2.pk: 1}, 0.5)


def _bank(items: list[Item], *, attempts: int, shown: dict[int, int], max_rate: float, skills: int = 1) -> Bank:
    return Bank(
        test_id=1,
        version=(1, None),
        items={item.pk: item for item in items},
        skills={sid: SkillInfo(pk=sid, name=f"skill {sid}", weight=1.0) for sid in range(1, skills + 1)},
        voided=frozenset(),
        attempts=attempts,
        shown=Counter(shown),
        max_exposure_rate=max_rate,
    )


def test_selection_passes_over_an_item_at_the_maximum_exposure_rate() -> None:
    # Item 1 is the best fit for θ = 0, items 2-4 are far off; item 1 was in 3 of 10 attempts.
    items = [
        _item(1),
        _item(2, calibrated=2.0, se=0.1),
        _item(3, calibrated=2.1, se=0.1),
        _item(4, calibrated=2.2, se=0.1),
    ]
    exposed = _bank(items, attempts=10, shown={1: 3}, max_rate=0.3)
    free = _bank(items, attempts=10, shown={1: 2}, max_rate=0.3)

    def picks(bank: Bank) -> set[int | None]:
        return {
            getattr(question_pick_next(progress=Progress(), bank=bank, prepared=set()), "pk", None) for _ in range(30)
        }

    picks_exposed, picks_free = picks(exposed), picks(free)

    assert 1 not in picks_exposed
    assert 1 in picks_free  # (2 + 1) / 10 is still within 0.3


def test_a_void_item_measures_nothing_in_the_live_ability_estimate() -> None:
    from dataclasses import replace

    from assessments.services.progress import EPOCH, Asked
    from assessments.services.selection import attempt_abilities

    items = [_item(1, difficulty="easy"), _item(2, difficulty="hard")]
    progress = Progress()
    for position, (pk, right) in enumerate(((1, True), (2, True)), start=1):
        progress.items.append(
            Asked(
                question_id=pk,
                response_id=0,
                position=position,
                option_order=[],
                asked_at=EPOCH,
                answered=True,
                correct=right,
            )
        )
    bank = replace(_bank(items, attempts=0, shown={}, max_rate=1.0), voided=frozenset({2}))

    overall, _ = attempt_abilities(progress=progress, bank=bank)

    assert overall == ability_estimate([(-1.0, True)])


def test_a_skill_whose_items_are_all_at_the_rate_is_still_asked() -> None:
    """Exposure control chooses within the skill content balancing picked, never another skill."""
    items = [
        replace(_item(1), skill_id=1),
        replace(_item(2), skill_id=1),
        replace(_item(3), skill_id=2),
        replace(_item(4), skill_id=2),
    ]
    bank = _bank(items, attempts=10, shown={1: 5, 2: 5}, max_rate=0.3, skills=2)  # skill 1: both over the rate

    picked_skills = set()
    for _ in range(20):
        picked = question_pick_next(progress=Progress(), bank=bank, prepared=set())
        assert picked is not None
        picked_skills.add(picked.skill_id)

    assert picked_skills == {1}  # the skill furthest behind (ties: the lower id), from its over-exposed items


def test_an_attempt_started_and_a_question_shown_here_count_before_the_next_load() -> None:
    from assessments.tests.factories import attempt_started, question_served

    conn, outcome = attempt_started(questions=4, total=2)
    assert conn.test_id is not None
    bank = bank_for(test=Test.objects.get(pk=conn.test_id))

    assert bank.attempts == 1
    assert bank.shown[question_served(outcome)["question_id"]] == 1


def test_the_liveness_round_reads_old_banks_again_outside_any_answer() -> None:
    from assessments.selectors.bank import banks_refresh

    test = published_test_with_bank(questions=1, skills=1)
    (question,) = test.questions.all()
    bank_for(test=Test.objects.get(pk=test.pk))
    Question.objects.filter(pk=question.pk).update(calibrated_difficulty=-0.6, calibration_se=0.2)

    assert banks_refresh(older_than=3600) == 0  # nothing that old: the copy stays
    assert bank_for(test=Test.objects.get(pk=test.pk)).items[question.pk].logit == 0.0
    assert banks_refresh(older_than=0) >= 1
    assert bank_for(test=Test.objects.get(pk=test.pk)).items[question.pk].logit == -0.6
