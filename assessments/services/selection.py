"""Which question to ask next.

1. Content balancing: the skill furthest below its share of the blueprint's weights.
2. Exposure control: within that skill, an item that would then have been shown in more than the
   test's maximum share of its attempts is not eligible (restricted maximum, `psychometrics.exposure`),
   unless that would leave none. The counts are the bank's (`selectors.bank`).
3. Adaptivity: among those, an unseen item that carries the most Fisher information a² p (1 - p) at
   the candidate's current ability θ (the skill's own estimate once it has answers, the overall one
   before), with its difficulty b and discrimination a (calibrated once trusted, `Item.logit` and
   `Item.discrimination`; until then a = 1 and this is the item whose difficulty is closest to θ),
   drawn at random from the few most informative so candidates don't all see the same items.
"""

import math
import random
import secrets
from collections import Counter, defaultdict
from typing import Any

from assessments.ai.ability import Ability, Answer, ability_estimate
from assessments.psychometrics.exposure import exposure_eligible
from assessments.selectors.bank import Bank, Item
from assessments.services.progress import Progress

_random: random.Random = secrets.SystemRandom()
MOST_INFORMATIVE_FEW = 3


def attempt_abilities(*, progress: Progress, bank: Bank) -> "Abilities":
    """Overall and per-skill (by skill id) ability estimates from the attempt's answers so far; a
    partly right answer counts as the fractional response its credit is (`ai.ability`)."""
    overall: list[Answer] = []
    per_skill: dict[int, list[Answer]] = defaultdict(list)
    for asked in progress.items:
        item = bank.items.get(asked.question_id)
        if not asked.answered or item is None or item.pk in bank.voided:  # a void item measures nothing
            continue
        answer: Answer = (item.logit, asked.earned, item.discrimination)
        overall.append(answer)
        per_skill[item.skill_id].append(answer)
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
    informative = sorted(
        ((item_information(item=item, theta=theta), item) for item in in_skill if item.pk in eligible),
        key=lambda pair: -pair[0],
    )
    cutoff = informative[min(MOST_INFORMATIVE_FEW, len(informative)) - 1][0]
    best = [item for information, item in informative if information >= cutoff]
    preferred = [item for item in best if item.pk in prepared] or best
    return _random.choice(preferred)


def item_information(*, item: Item, theta: float) -> float:
    """The 2PL item's Fisher information at θ: a² p (1 - p), the same either side of b (so two items
    equally far from θ tie, as their distances do)."""
    a = item.discrimination
    odds = math.exp(-abs(a * (theta - item.logit)))
    return a * a * odds / (1.0 + odds) ** 2


def option_order_shuffled(*, count: int) -> list[int]:
    order = list(range(count))
    _random.shuffle(order)
    return order
