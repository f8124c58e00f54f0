"""What a regrade makes of one finished attempt: its scores and its ability estimate, recomputed
from its responses under the regrade's keys and void set (`services.regrades` picks the attempts,
locks them and writes the result).

- Scores: `scoring.attempt_score` over each answer's credit (`scoring.question_credit`) against the
  (new) key, counting from the max_score before any void.
- Ability: θ and its SE, overall and per skill, re-estimated without the void questions by the very
  rule the answer path uses (`selection.attempt_abilities` over the bank's `Item.logit` and
  `Item.discrimination` and each answer's credit), so a regraded attempt holds what it would have held had the void or the new key
  been there from the start. Only attempts that hold an estimate (`ai_state["ability"]`) get one.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from assessments.models import Assessment, Response
from assessments.scoring import attempt_score, is_full_credit, question_credit
from assessments.selectors.bank import Bank
from assessments.services.progress import Asked, Progress
from assessments.services.selection import abilities_state, attempt_abilities

OVERALL = "overall"


@dataclass(frozen=True)
class AbilityChange:
    """One estimate of an attempt (overall, or one skill's) before and after: {theta, se, asked,
    correct}, or None where there is none (a skill whose only answers were voided has none after)."""

    name: str
    old: dict[str, Any] | None
    new: dict[str, Any] | None

    @property
    def changed(self) -> bool:
        return self.old != self.new


@dataclass(frozen=True)
class AttemptRescore:
    """One attempt's scores and ability estimate before and after a regrade."""

    assessment_id: int
    candidate: str
    attempt_number: int
    old_score: float
    new_score: float
    old_max_score: int
    new_max_score: int
    old_percentage: float | None
    new_percentage: float
    old_passed: bool | None
    new_passed: bool
    old_ability: dict[str, Any] | None = None  # ai_state["ability"]: {"overall": {...}, "skills": {...}}
    new_ability: dict[str, Any] | None = None

    @property
    def changed(self) -> bool:
        """Whether the scores change (`QuestionRegrade.scores_changed` counts these)."""
        return (self.old_score, self.old_max_score, self.old_percentage, self.old_passed) != (
            self.new_score,
            self.new_max_score,
            self.new_percentage,
            self.new_passed,
        )

    @property
    def ability_changed(self) -> bool:
        return self.old_ability != self.new_ability

    def ability_changes(self) -> list[AbilityChange]:
        """Overall first, then every skill either estimate has, in the order they were first met."""
        if self.old_ability is None and self.new_ability is None:
            return []
        old, new = self.old_ability or {}, self.new_ability or {}
        old_skills, new_skills = old.get("skills") or {}, new.get("skills") or {}
        names = list(old_skills) + [name for name in new_skills if name not in old_skills]
        rows = [AbilityChange(name=OVERALL, old=old.get(OVERALL), new=new.get(OVERALL))]
        rows += [AbilityChange(name=name, old=old_skills.get(name), new=new_skills.get(name)) for name in names]
        return rows

    def as_dict(self) -> dict[str, Any]:
        return {
            "assessment_id": self.assessment_id,
            "candidate": self.candidate,
            "attempt": self.attempt_number,
            "old": {
                "score": self.old_score,
                "max_score": self.old_max_score,
                "percentage": self.old_percentage,
                "passed": self.old_passed,
                "ability": self.old_ability,
            },
            "new": {
                "score": self.new_score,
                "max_score": self.new_max_score,
                "percentage": self.new_percentage,
                "passed": self.new_passed,
                "ability": self.new_ability,
            },
        }


@dataclass
class RescoredAttempt:
    """An attempt's recomputed state: the rescore, and what to write when applied."""

    rescore: AttemptRescore
    correctness: dict[int, tuple[bool, float]]  # response id -> (is_correct, credit), for those that change
    original_max_score: int

    @property
    def ability(self) -> dict[str, Any] | None:
        return self.rescore.new_ability


def attempt_rescore(
    *,
    assessment: Assessment,
    responses: Iterable[Response],
    keys: Mapping[int, tuple[int, ...]],
    voided: set[int],
    pass_percentage: float,
    policy: str,
    bank: Bank,
) -> RescoredAttempt:
    """`responses` in the order asked, with their questions; `keys` the new key of a re-keyed question."""
    regrade_state = assessment.ai_state.get("regrade", {})
    original_max = int(regrade_state.get("original_max_score", assessment.max_score))
    asked: list[int] = []
    earned: dict[int, float] = {}
    correctness: dict[int, tuple[bool, float]] = {}
    estimated: list[Asked] = []  # the answered, non-void questions θ is estimated from
    for response in responses:
        question = response.question
        asked.append(question.pk)
        if response.selected_option is None:
            continue
        chosen = response.selected_options if response.selected_options is not None else [response.selected_option]
        credit = question_credit(
            kind=question.kind, correct=keys.get(question.pk, question.key), chosen=chosen, policy=policy
        )
        correct = is_full_credit(credit)
        if (correct, credit) != (response.is_correct, response.credit):
            correctness[response.pk] = (correct, credit)
        earned[question.pk] = credit
        if question.pk not in voided:
            estimated.append(_answered(response=response, correct=correct, credit=credit))
    scored = attempt_score(
        asked=asked, credit=earned, max_before_voids=original_max, voided=voided, pass_percentage=pass_percentage
    )
    old_ability = assessment.ai_state.get("ability")
    new_ability = None if old_ability is None else ability_state(answered=estimated, bank=bank)
    rescore = AttemptRescore(
        assessment_id=assessment.pk,
        candidate=assessment.candidate.get_username(),
        attempt_number=assessment.attempt_number,
        old_score=assessment.score,
        new_score=scored.score,
        old_max_score=assessment.max_score,
        new_max_score=scored.max_score,
        old_percentage=assessment.percentage_score,
        new_percentage=scored.percentage,
        old_passed=assessment.passed,
        new_passed=scored.passed,
        old_ability=old_ability,
        new_ability=new_ability,
    )
    return RescoredAttempt(rescore=rescore, correctness=correctness, original_max_score=original_max)


def _answered(*, response: Response, correct: bool, credit: float) -> Asked:
    return Asked(
        question_id=response.question_id,
        response_id=response.pk,
        position=response.position,
        option_order=list(response.option_order or []),
        asked_at=response.asked_at,
        answered=True,
        correct=correct,
        credit=credit,
    )


def ability_state(*, answered: list[Asked], bank: Bank) -> dict[str, Any]:
    """`ai_state["ability"]` from these answers, shaped as the answer path keeps it (by skill name)."""
    return abilities_state(abilities=attempt_abilities(progress=Progress(items=answered), bank=bank), bank=bank)
