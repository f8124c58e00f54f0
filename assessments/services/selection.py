"""Which question to ask next: content balancing over the blueprint's skill weights.

The adaptive engine (issue 4) replaces the choice of item within a skill; the balancing stays.
"""

import secrets
from collections import Counter

from assessments.models import Assessment, Difficulty, Question, Skill

_random = secrets.SystemRandom()
DIFFICULTY_RANK: dict[str, int] = {Difficulty.EASY: 0, Difficulty.MEDIUM: 1, Difficulty.HARD: 2}


def question_pick_next(*, assessment: Assessment) -> Question | None:
    """An active bank item not yet asked in this attempt, from the skill furthest below its share."""
    asked_ids = set(assessment.responses.values_list("question_id", flat=True))
    available = [q for q in Question.objects.filter(test_id=assessment.test_id, active=True) if q.pk not in asked_ids]
    if not available:
        return None
    skills = {s.pk: s for s in Skill.objects.filter(test_id=assessment.test_id)}
    asked_per_skill = Counter(assessment.responses.values_list("question__skill_id", flat=True))
    total_weight = sum(s.weight for s in skills.values()) or 1.0
    asked_total = sum(asked_per_skill.values()) + 1

    def deficit(skill_id: int) -> float:
        share = skills[skill_id].weight / total_weight if skill_id in skills else 0.0
        return share * asked_total - asked_per_skill[skill_id]

    skill_id = max({q.skill_id for q in available}, key=lambda sid: (deficit(sid), -sid))
    in_skill = [q for q in available if q.skill_id == skill_id]
    target = DIFFICULTY_RANK.get(skills[skill_id].difficulty, 1) if skill_id in skills else 1
    closest = min(abs(DIFFICULTY_RANK.get(q.difficulty, 1) - target) for q in in_skill)
    return _random.choice([q for q in in_skill if abs(DIFFICULTY_RANK.get(q.difficulty, 1) - target) == closest])


def option_order_shuffled(*, count: int) -> list[int]:
    order = list(range(count))
    _random.shuffle(order)
    return order
