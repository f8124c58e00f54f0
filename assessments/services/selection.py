"""Which question to ask next.

1. Content balancing: the skill furthest below its share of the blueprint's weights.
2. Exposure control: within that skill, an item that would then have been shown in more than the
   test's maximum share of its attempts is not eligible (restricted maximum, `psychometrics.exposure`),
   unless that would leave none. The counts are the bank's (`selectors.bank`).
3. Adaptivity: among those, an unseen item whose difficulty (calibrated once trusted,
   `Item.logit`) is closest to the candidate's current ability θ (the skill's own estimate once it
   has answers, the overall one before), drawn at random from the few closest so candidates don't
   all see the same items.
"""

import secrets
from collections import Counter, defaultdict
from typing import Any

from assessments.ai.ability import Ability, ability_estimate
from assessments.psychometrics.exposure import exposure_eligible
from assessments.selectors.bank import Bank, Item
from assessments.services.progress import Progress

_random = secrets.SystemRandom()
CLOSEST_FEW = 3


def attempt_abilities(*, progress: Progress, bank: Bank) -> "Abilities":
    """Overall and per-skill (by skill id) ability estimates from the attempt's answers so far; a
    partly right answer counts as the fractional response its credit is (`ai.ability`)."""
    overall: list[tuple[float, bool | float]] = []
    per_skill: dict[int, list[tuple[float, bool | float]]] = defaultdict(list)
    for asked in progress.items:
        item = bank.items.get(asked.question_id)
        if not asked.answered or item is None or item.pk in bank.voided:  # a void item measures nothing
            continue
        pair: tuple[float, bool | float] = (item.logit, asked.earned)
        overall.append(pair)
        per_skill[item.skill_id].append(pair)
    return ability_estimate(overall), {sid: ability_estimate(pairs) for sid, pairs in per_skill.items()}


def skill_most_behind(*, weights: dict[int, float], asked: Counter[int], eligible: set[int]) -> int:
    """The eligible skill whose asked count lags furthest behind its weight share."""
    total_weight = sum(weights.values()) or 1.0
    upcoming = sum(asked.values()) + 1

    def deficit(skill_id: int) -> float:
        return weights.get(skill_id, 0.0) / total_weight * upcoming - asked[skill_id]

    return max(eligible, key=lambda sid: (deficit(sid), -sid))


def skills_asked(*, progress: Progress, bank: Bank) -> Counter[int]:
    return Counter(bank.items[a.question_id].skill_id for a in progress.items if a.question_id in bank.items)


Abilities = tuple[Ability, dict[int, Ability]]


def abilities_state(*, abilities: Abilities, bank: Bank) -> dict[str, Any]:
    """The estimates as an attempt keeps them in `ai_state["ability"]`: overall, and per skill by name."""
    overall, per_skill = abilities
    return {
        "overall": overall.as_dict(),
        "skills": {bank.skills[sid].name: a.as_dict() for sid, a in per_skill.items() if sid in bank.skills},
    }


def question_pick_next(
    *, progress: Progress, bank: Bank, prepared: set[int], abilities: Abilities | None = None
) -> Item | None:
    """The next item; `abilities` are the attempt's current estimates when the caller has them already."""
    asked_ids = progress.asked_ids()
    available = [item for item in bank.active() if item.pk not in asked_ids]
    if not available:
        return None
    weights = {sid: skill.weight for sid, skill in bank.skills.items()}
    asked = skills_asked(progress=progress, bank=bank)
    skill_id = skill_most_behind(weights=weights, asked=asked, eligible={item.skill_id for item in available})
    overall, per_skill = abilities or attempt_abilities(progress=progress, bank=bank)
    theta = per_skill[skill_id].theta if skill_id in per_skill else overall.theta

    in_skill = [item for item in available if item.skill_id == skill_id]
    # Within the skill, so a skill whose items are all at the rate is still asked (from all of them).
    eligible = exposure_eligible(
        items=[item.pk for item in in_skill], shown=bank.shown, attempts=bank.attempts, max_rate=bank.max_exposure_rate
    )
    in_skill = sorted((item for item in in_skill if item.pk in eligible), key=lambda i: abs(i.logit - theta))
    cutoff = abs(in_skill[min(CLOSEST_FEW, len(in_skill)) - 1].logit - theta)
    closest = [item for item in in_skill if abs(item.logit - theta) <= cutoff]
    preferred = [item for item in closest if item.pk in prepared] or closest
    return _random.choice(preferred)


def option_order_shuffled(*, count: int) -> list[int]:
    order = list(range(count))
    _random.shuffle(order)
    return order
