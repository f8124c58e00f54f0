"""What the simulations share (`cat_simulation`, `psychometric_2pl`): simulated items through the real
`Item` rules, the bank a worker would hold, and one adaptive step through the real selection and
ability estimate. Import it after `ai_setup.django_setup()`: it imports the models."""

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from assessments.ai.ability import ability_estimate
from assessments.psychometrics.calibration import ItemEstimate
from assessments.psychometrics.item_priors import LABELS, ItemPrior, estimate_under
from assessments.selectors.bank import Bank, Item, SkillInfo
from assessments.services.progress import EPOCH, Asked, Progress
from assessments.services.selection import Abilities

SKILLS = {1: SkillInfo(pk=1, name="A", weight=1.0), 2: SkillInfo(pk=2, name="B", weight=1.0)}


@dataclass(frozen=True)
class SimItem(Item):
    """A bank item whose prior is the simulated author's guess, a number rather than a label; its
    logit and discrimination are then the real rules' (`Item.logit`: calibrated once trusted)."""

    prior: float = 0.0

    @property
    def prior_logit(self) -> float:
        return self.prior


def sim_item(*, pk: int, skill_id: int, estimate: ItemEstimate, prior: ItemPrior = LABELS) -> Item:
    """The item as a bank loaded now would hold it, under the test's `prior` for its difficulty (as
    `selectors.bank.item_from_question` reads a question): its prior until its first calibrated answer."""
    calibrated = estimate.n > 0
    estimate = estimate_under(estimate, prior=prior)
    return SimItem(
        pk=pk,
        skill_id=skill_id,
        prompt="",
        options=("a", "b", "c", "d"),
        correct_option=0,
        explanation="",
        difficulty="medium",
        active=True,
        calibrated=estimate.mean if calibrated else None,
        calibration_se=estimate.se if calibrated else None,
        calibrated_discrimination=estimate.discrimination if calibrated else None,
        prior=estimate.prior,
        prior_mean=None if prior == LABELS else prior.mean(estimate.prior),
        prior_discrimination=None if prior == LABELS else prior.discrimination,
    )


def sim_bank(*, items: dict[int, Item], attempts: int, shown: Mapping[int, int], max_exposure_rate: float) -> Bank:
    """`attempts` counts the one choosing, as a bank counts a started attempt."""
    return Bank(
        test_id=1,
        version=(1, None),
        items=items,
        skills=SKILLS,
        voided=frozenset(),
        attempts=attempts,
        shown=Counter(shown),
        max_exposure_rate=max_exposure_rate,
    )


def scored(pool: Mapping[int, Item], answers: list[tuple[int, float]]) -> list[tuple[float, float, float]]:
    """The answers as the ability estimate and lz take them: (difficulty, credit, discrimination)."""
    return [(pool[pk].logit, y, pool[pk].discrimination) for pk, y in answers]


def abilities(pool: Mapping[int, Item], answers: list[tuple[int, float]]) -> Abilities:
    """Overall and per-skill θ ± SE from the answers so far, as the answer path estimates them."""
    per_skill = {
        sid: ability_estimate(scored(pool, [(pk, y) for pk, y in answers if pool[pk].skill_id == sid]))
        for sid in {pool[pk].skill_id for pk, _ in answers}
    }
    return ability_estimate(scored(pool, answers)), per_skill


def record_answer(*, progress: Progress, item: Item, position: int, right: bool) -> None:
    progress.items.append(
        Asked(
            question_id=item.pk,
            response_id=0,
            position=position,
            option_order=[],
            asked_at=EPOCH,
            answered=True,
            correct=right,
        )
    )
