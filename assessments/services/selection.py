"""Which question to ask next.

1. Content balancing: the skill furthest below its share of the blueprint's weights.
2. Adaptivity: within that skill, an unseen item whose difficulty is closest to the candidate's
   current ability θ (the skill's own estimate once it has answers, the overall one before),
   drawn at random from the few closest so candidates don't all see the same items.
"""

import secrets
from collections import Counter, defaultdict

from assessments.ai.ability import Ability, ability_estimate, difficulty_logit
from assessments.models import Assessment, Question, Skill

_random = secrets.SystemRandom()
CLOSEST_FEW = 3


def attempt_abilities(*, assessment: Assessment) -> tuple[Ability, dict[int, Ability]]:
    """Overall and per-skill (by skill id) ability estimates from the attempt's answers so far."""
    answered = assessment.responses.filter(answered_at__isnull=False).select_related("question")
    overall: list[tuple[float, bool]] = []
    per_skill: dict[int, list[tuple[float, bool]]] = defaultdict(list)
    for response in answered:
        pair = (difficulty_logit(response.question.difficulty), bool(response.is_correct))
        overall.append(pair)
        per_skill[response.question.skill_id].append(pair)
    return ability_estimate(overall), {sid: ability_estimate(pairs) for sid, pairs in per_skill.items()}


def skill_most_behind(*, weights: dict[int, float], asked: Counter[int], eligible: set[int]) -> int:
    """The eligible skill whose asked count lags furthest behind its weight share."""
    total_weight = sum(weights.values()) or 1.0
    upcoming = sum(asked.values()) + 1

    def deficit(skill_id: int) -> float:
        return weights.get(skill_id, 0.0) / total_weight * upcoming - asked[skill_id]

    return max(eligible, key=lambda sid: (deficit(sid), -sid))


def question_pick_next(*, assessment: Assessment) -> Question | None:
    asked_ids = set(assessment.responses.values_list("question_id", flat=True))
    available = [q for q in Question.objects.filter(test_id=assessment.test_id, active=True) if q.pk not in asked_ids]
    if not available:
        return None
    weights = dict(Skill.objects.filter(test_id=assessment.test_id).values_list("pk", "weight"))
    asked = Counter(assessment.responses.values_list("question__skill_id", flat=True))
    skill_id = skill_most_behind(weights=weights, asked=asked, eligible={q.skill_id for q in available})
    overall, per_skill = attempt_abilities(assessment=assessment)
    theta = per_skill[skill_id].theta if skill_id in per_skill else overall.theta

    in_skill = sorted(
        (q for q in available if q.skill_id == skill_id), key=lambda q: abs(difficulty_logit(q.difficulty) - theta)
    )
    cutoff = abs(difficulty_logit(in_skill[min(CLOSEST_FEW, len(in_skill)) - 1].difficulty) - theta)
    closest = [q for q in in_skill if abs(difficulty_logit(q.difficulty) - theta) <= cutoff]
    prepared = set(assessment.ai_state.get("prepared", []))
    preferred = [q for q in closest if q.pk in prepared] or closest
    return _random.choice(preferred)


def option_order_shuffled(*, count: int) -> list[int]:
    order = list(range(count))
    _random.shuffle(order)
    return order
