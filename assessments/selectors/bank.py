"""A test's item pool, cached in each process and keyed by the test's `bank_version`.

The hot path reads the test's row anyway (with the attempt's lock); its `bank_version` tells whether
this process's copy is current, so a cached bank costs no statement and a stale one is never used.
Every change to the test's skills, questions or voids bumps the version (`services.bank_versions`).

What the answers teach changes without a new version: the items' calibrated difficulties and
discriminations, the test's prior for its items fitted from them (`psychometrics.item_priors`),
and how often each item was shown (its exposure). A copy older than
`BANK_REFRESH_SECONDS` is read again, so selection follows them within that time at the cost of five
statements per test and process.
"""

import functools
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count

from assessments.ai.ability import difficulty_logit
from assessments.models import Assessment, Question, Response, Skill, Test
from assessments.psychometrics.calibration import TRUSTED_SE
from assessments.psychometrics.item_priors import LABELS, ItemPrior, estimate_under, item_prior_fit
from assessments.selectors.calibration_report import item_estimate
from assessments.selectors.regrades import blueprint_voided_question_ids

# Calibrated difficulties and discriminations are used to this step: finer adds nothing under an SE of
# at least a few hundredths, and a coarse grid keeps the ability estimate's per-item cache small.
LOGIT_STEP = 0.05


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
    calibrated: float | None = None  # the calibrated difficulty (logits), once there are answers
    calibration_se: float | None = None
    calibrated_discrimination: float | None = None  # the 2PL a, with the difficulty
    # The test's prior for this item's difficulty and its pool's a (`psychometrics.item_priors`), once
    # the test has learnt them.
    prior_mean: float | None = None
    prior_discrimination: float | None = None

    @property
    def key(self) -> tuple[int, ...]:
        """Every correct option index: `correct_option` alone for a single question."""
        return self.correct_options if self.kind == Question.Kind.MULTIPLE else (self.correct_option,)

    @property
    def prior_logit(self) -> float:
        return difficulty_logit(self.difficulty)

    @property
    def prior_centre(self) -> float:
        """The difficulty before the item's own answers count: the test's prior for its label once the
        test has learnt one from its items' answers, the label's logit until then."""
        return self.prior_logit if self.prior_mean is None else self.prior_mean

    @functools.cached_property  # read a hundred times a pick: computed once per loaded item
    def logit(self) -> float:
        """The difficulty selection and scoring use: the calibrated one once its SE is under
        `calibration.TRUSTED_SE`, the prior (`prior_centre`) until then."""
        if not self._trusted or self.calibrated is None:
            return _on_step(self.prior_centre)
        return _on_step(self.calibrated)

    @functools.cached_property
    def discrimination(self) -> float:
        """The 2PL discrimination a selection and scoring use: the calibrated one once the difficulty
        is trusted (they are estimated together); until then the pool's once the test has learnt it, 1
        (the Rasch model) before."""
        if self._trusted and self.calibrated_discrimination is not None:
            return _on_step(self.calibrated_discrimination)
        return 1.0 if self.prior_discrimination is None else _on_step(self.prior_discrimination)

    @property
    def _trusted(self) -> bool:
        return self.calibration_se is not None and self.calibration_se < TRUSTED_SE


def _on_step(value: float) -> float:
    return round(round(value / LOGIT_STEP) * LOGIT_STEP, 2) + 0.0


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
    # Exposure: the test's attempts, and in how many of them each item was shown, as loaded and then
    # counted on by this process's own starts and questions (`exposure_count_start`, `_shown`) until
    # the next load; other processes' are seen at that load.
    attempts: int = 0
    shown: Counter[int] = field(default_factory=Counter)
    max_exposure_rate: float = 1.0
    loaded_at: float = 0.0  # time.monotonic()
    item_prior: ItemPrior = LABELS  # fitted from the items' calibrations as loaded

    def exposure_count_start(self) -> None:
        """An attempt of the test started in this process."""
        object.__setattr__(self, "attempts", self.attempts + 1)

    def exposure_count_shown(self, *, question_id: int) -> None:
        """An attempt of the test was shown this question, in this process."""
        self.shown[question_id] += 1

    def active(self) -> list[Item]:
        return [item for item in self.items.values() if item.active]


_banks: dict[int, Bank] = {}
_loading = threading.Lock()


def bank_refresh_seconds() -> float:
    return float(settings.JATAYU_BANK_REFRESH_SECONDS)


def bank_for(*, test: Test) -> Bank:
    """The bank of `test` as of its `bank_version`; loads it (five statements) when this process has
    none, or only one older than `bank_refresh_seconds()`."""
    version = (test.bank_version, test.created_at)
    cached = _banks.get(test.pk)
    if (
        cached is not None
        and cached.version == version
        and cached.max_exposure_rate == test.max_exposure_rate
        and time.monotonic() - cached.loaded_at < bank_refresh_seconds()
    ):
        return cached
    with _loading:
        bank = _bank_load(test_id=test.pk, version=version, max_exposure_rate=test.max_exposure_rate)
        # Read after the version was: the rows are at least that new, so a later bump reloads again.
        _banks[test.pk] = bank
    return bank


def banks_refresh(*, older_than: float) -> int:
    """Read again every bank this process holds that is older than `older_than` seconds, outside any
    answer (the worker's liveness round calls it), so an answer seldom pays for the refresh; how many."""
    now = time.monotonic()
    stale = [test_id for test_id, bank in list(_banks.items()) if now - bank.loaded_at >= older_than]
    if not stale:
        return 0
    found = set()
    for test in Test.objects.filter(pk__in=stale):
        found.add(test.pk)
        with _loading:
            version = (test.bank_version, test.created_at)
            _banks[test.pk] = _bank_load(test_id=test.pk, version=version, max_exposure_rate=test.max_exposure_rate)
    for gone in set(stale) - found:  # the test was deleted
        _banks.pop(gone, None)
    return len(found)


def _bank_load(*, test_id: int, version: tuple[int, object], max_exposure_rate: float) -> Bank:
    loaded_at = time.monotonic()
    questions = list(Question.objects.filter(test_id=test_id).order_by("pk"))
    voided = frozenset(blueprint_voided_question_ids(test_id=test_id))
    # A void item keeps the calibration it had, perhaps under a wrong key: it teaches the prior nothing.
    prior = item_prior_fit(item_estimate(q) for q in questions if q.pk not in voided)
    items = {q.pk: item_from_question(q, prior=prior) for q in questions}
    skills = {
        s.pk: SkillInfo(pk=s.pk, name=s.name, weight=s.weight)
        for s in Skill.objects.filter(test_id=test_id).order_by("order", "pk")
    }
    attempts, shown = blueprint_exposure_counts(test_id=test_id)
    return Bank(
        test_id=test_id,
        version=version,
        items=items,
        skills=skills,
        voided=voided,
        attempts=attempts,
        shown=Counter(shown),
        max_exposure_rate=max_exposure_rate,
        loaded_at=loaded_at,
        item_prior=prior,
    )


def item_from_question(question: Question, *, prior: ItemPrior = LABELS) -> Item:
    """The question as selection and scoring see it: its calibration as the row holds it, under the
    test's `prior` for its difficulty."""
    q = question
    estimate = estimate_under(item_estimate(q), prior=prior)
    calibrated = q.calibrated_difficulty is not None and q.calibration_se is not None
    return Item(
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
        calibrated=estimate.mean if calibrated else None,
        calibration_se=estimate.se if calibrated else None,
        calibrated_discrimination=estimate.discrimination if q.calibrated_discrimination is not None else None,
        prior_mean=None if prior == LABELS else prior.mean(difficulty_logit(q.difficulty)),
        prior_discrimination=None if prior == LABELS else prior.discrimination,
    )


def blueprint_exposure_counts(*, test_id: int) -> tuple[int, dict[int, int]]:
    """The test's attempts, and for each question the attempts it was shown in (two statements; an
    attempt holds a question once, so its responses count attempts)."""
    attempts = Assessment.objects.filter(test_id=test_id).count()
    shown = dict(
        Response.objects.filter(assessment__test_id=test_id)
        .values("question_id")
        .annotate(n=Count("id"))
        .values_list("question_id", "n")
    )
    return attempts, shown
