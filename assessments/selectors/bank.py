"""A test's item pool, cached in each process and keyed by the test's `bank_version`.

The hot path reads the test's row anyway (with the attempt's lock); its `bank_version` tells whether
this process's copy is current, so a cached bank costs no statement and a stale one is never used.
Every change to the test's skills, questions or voids bumps the version (`services.bank_versions`).
"""

import threading
from dataclasses import dataclass

from assessments.ai.ability import difficulty_logit
from assessments.models import Question, Skill, Test
from assessments.selectors.regrades import blueprint_voided_question_ids


@dataclass(frozen=True)
class Item:
    pk: int
    skill_id: int
    prompt: str
    options: tuple[str, ...]
    correct_option: int
    explanation: str
    difficulty: str
    active: bool
    kind: str = Question.Kind.SINGLE
    correct_options: tuple[int, ...] = ()  # a multiple question's correct option indices

    @property
    def key(self) -> tuple[int, ...]:
        """Every correct option index: `correct_option` alone for a single question."""
        return self.correct_options if self.kind == Question.Kind.MULTIPLE else (self.correct_option,)

    @property
    def logit(self) -> float:
        return difficulty_logit(self.difficulty)


@dataclass(frozen=True)
class SkillInfo:
    pk: int
    name: str
    weight: float


@dataclass(frozen=True)
class Bank:
    test_id: int
    version: tuple[int, object]  # bank_version, and created_at: a test re-made with the same id is another
    items: dict[int, Item]  # every question of the test, inactive ones too: a running attempt may hold one
    skills: dict[int, SkillInfo]
    voided: frozenset[int]

    def active(self) -> list[Item]:
        return [item for item in self.items.values() if item.active]


_banks: dict[int, Bank] = {}
_loading = threading.Lock()


def bank_for(*, test: Test) -> Bank:
    """The bank of `test` as of its `bank_version`; loads it (three statements) when this process has none."""
    version = (test.bank_version, test.created_at)
    cached = _banks.get(test.pk)
    if cached is not None and cached.version == version:
        return cached
    with _loading:
        bank = _bank_load(test_id=test.pk, version=version)
        # Read after the version was: the rows are at least that new, so a later bump reloads again.
        _banks[test.pk] = bank
    return bank


def _bank_load(*, test_id: int, version: tuple[int, object]) -> Bank:
    items = {
        q.pk: Item(
            pk=q.pk,
            skill_id=q.skill_id,
            prompt=q.prompt,
            options=tuple(q.options),
            correct_option=q.correct_option,
            explanation=q.explanation,
            difficulty=q.difficulty,
            active=q.active,
            kind=q.kind,
            correct_options=q.key if q.kind == Question.Kind.MULTIPLE else (),
        )
        for q in Question.objects.filter(test_id=test_id).order_by("pk")
    }
    skills = {
        s.pk: SkillInfo(pk=s.pk, name=s.name, weight=s.weight)
        for s in Skill.objects.filter(test_id=test_id).order_by("order", "pk")
    }
    voided = frozenset(blueprint_voided_question_ids(test_id=test_id))
    return Bank(test_id=test_id, version=version, items=items, skills=skills, voided=voided)
