"""The selection and estimation study of `benchmarks.psychometric_libraries`: Jatayu's `question_pick_next`
+ `ability_estimate` and catsim's selectors and estimator, as engines run over the same candidates."""

import random
import statistics
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from benchmarks.cat_simulation import FIXED_LENGTHS, MAX_EXPOSURE, MAX_LENGTH, _rmse
from benchmarks.psychometric_pool import Pool, catsim_bank, girth_fit, p_right


class Session(Protocol):
    def step(self, answers: list[tuple[int, bool]], *, pick: bool) -> tuple[float, int | None]:
        """θ̂ after `answers` ((item index, right) so far), and the next item's index when `pick`."""
        ...


class Engine(Protocol):
    name: str

    def attempt(self, *, number: int, shown: list[int]) -> Session: ...


@dataclass
class EngineFigures:
    name: str
    fixed: dict[int, tuple[float, float]]  # length: (RMSE, bias)
    exposure_max: float
    imbalance: float  # mean |asked in skill A - asked in skill B| over the first 20 items
    step_us: tuple[float, float]  # mean, p99 CPU µs of one estimation + selection step


def selection_compare(
    *, pool: Pool, difficulty: list[float], calibrated: bool, candidates: int, seed: int
) -> list[EngineFigures]:
    """Every engine through the same candidates: the same true θ and the same uniform draw at each position."""
    rng = random.Random(seed + 2)
    people = [(rng.gauss(0, 1), [rng.random() for _ in range(MAX_LENGTH)]) for _ in range(candidates)]
    engines: list[Engine] = [
        JatayuEngine(pool=pool, difficulty=difficulty, calibrated=calibrated),
        CatsimEngine("catsim MaxInfoSelector(r_max=0.3) + NumericalSearch", difficulty, "maxinfo", 0.3, eap=False),
        CatsimEngine("catsim MaxInfoSelector(r_max=1) + NumericalSearch", difficulty, "maxinfo", 1.0, eap=False),
        CatsimEngine("catsim RandomesqueSelector(3) + NumericalSearch", difficulty, "randomesque", 1.0, eap=False),
        CatsimEngine("catsim MaxInfoSelector(r_max=0.3) + Jatayu EAP", difficulty, "maxinfo", 0.3, eap=True),
    ]
    return [_engine_run(engine, pool=pool, people=people) for engine in engines]


def _engine_run(engine: Engine, *, pool: Pool, people: list[tuple[float, list[float]]]) -> EngineFigures:
    shown = [0] * len(pool.true_b)
    errors: dict[int, list[float]] = {n: [] for n in FIXED_LENGTHS}
    step_ns: list[int] = []
    imbalance: list[int] = []
    for number, (theta, draws) in enumerate(people):
        session = engine.attempt(number=number, shown=shown)
        answers: list[tuple[int, bool]] = []
        for position in range(MAX_LENGTH + 1):
            started = time.thread_time_ns()
            estimate, chosen = session.step(answers, pick=position < MAX_LENGTH)
            if 0 < position < MAX_LENGTH:  # an answer in, the next question out
                step_ns.append(time.thread_time_ns() - started)
            if position in errors:
                errors[position].append(estimate - theta)
            if chosen is None:
                break
            answers.append((chosen, draws[position] < p_right(theta, pool.true_b[chosen])))
            shown[chosen] += 1
        first = [pool.skill[index] for index, _ in answers[:20]]
        imbalance.append(abs(first.count(1) - first.count(2)))
    step_ns.sort()
    return EngineFigures(
        name=engine.name,
        fixed={n: (_rmse(e), statistics.fmean(e)) for n, e in errors.items() if e},
        exposure_max=max(shown) / len(people),
        imbalance=statistics.fmean(imbalance),
        step_us=(statistics.fmean(step_ns) / 1e3, step_ns[int(0.99 * (len(step_ns) - 1))] / 1e3),
    )


class JatayuEngine:
    """`question_pick_next` (its exposure rule over the attempts so far included) with the attempt's overall
    and per-skill `ability_estimate`, as the answer path calls them. `calibrated`: the difficulties are
    trusted calibrations (SE 0.1, so `Item.logit` rounds them as it does live), else uncalibrated priors."""

    def __init__(self, *, pool: Pool, difficulty: list[float], calibrated: bool) -> None:
        from assessments.selectors.bank import Item, SkillInfo

        class FixedItem(Item):
            @property
            def prior_logit(self) -> float:
                return difficulty[self.pk - 1]

        self.name = "Jatayu question_pick_next + ability_estimate"
        self.pool = pool
        self.items = {
            pk: sim_item(FixedItem, pk, pool.skill[pk - 1], calibrated=b if calibrated else None, se=0.1)
            for pk, b in enumerate(difficulty, start=1)
        }
        self.logits = {pk: item.logit for pk, item in self.items.items()}
        self.skills = {1: SkillInfo(pk=1, name="A", weight=1.0), 2: SkillInfo(pk=2, name="B", weight=1.0)}

    def attempt(self, *, number: int, shown: list[int]) -> Session:
        from assessments.selectors.bank import Bank

        bank = Bank(
            test_id=1,
            version=(1, None),
            items=self.items,
            skills=self.skills,
            voided=frozenset(),
            attempts=number + 1,  # this one counted, as a bank counts a started attempt
            shown=Counter({pk: shown[pk - 1] for pk in self.items}),
            max_exposure_rate=MAX_EXPOSURE,
        )
        return JatayuSession(engine=self, bank=bank)


class JatayuSession:
    def __init__(self, *, engine: JatayuEngine, bank: Any) -> None:
        from assessments.services.progress import Progress

        self.engine = engine
        self.bank = bank
        self.progress = Progress()

    def step(self, answers: list[tuple[int, bool]], *, pick: bool) -> tuple[float, int | None]:
        from assessments.services.progress import EPOCH, Asked
        from assessments.services.selection import question_pick_next

        if answers:
            index, right = answers[-1]
            self.progress.items.append(
                Asked(
                    question_id=index + 1,
                    response_id=0,
                    position=len(answers),
                    option_order=[],
                    asked_at=EPOCH,
                    answered=True,
                    correct=right,
                )
            )
        pairs = [(index + 1, float(right)) for index, right in answers]
        abilities = sim_abilities(pairs, logits=self.engine.logits, skill=self.engine.pool.skill)
        if not pick:
            return abilities[0].theta, None
        chosen = question_pick_next(progress=self.progress, bank=self.bank, prepared=set(), abilities=abilities)
        return abilities[0].theta, None if chosen is None else chosen.pk - 1


class CatsimEngine:
    """A catsim selector over an ItemBank of Rasch items (a = 1, c = 0, d = 1), its exposure rates set before
    each attempt to the share of attempts so far that saw each item; the estimate is catsim's
    NumericalSearchEstimator (or Jatayu's EAP, `eap`), starting from θ = 0, with catsim's SE (`irt.see`)."""

    def __init__(self, name: str, difficulty: list[float], selector: str, r_max: float, *, eap: bool) -> None:
        import numpy as np
        from catsim.estimation import NumericalSearchEstimator
        from catsim.selection import MaxInfoSelector, RandomesqueSelector

        self.name = name
        self.difficulty = difficulty
        self.bank = catsim_bank(np.array([[1.0, b, 0.0, 1.0] for b in difficulty]))
        self.selector = MaxInfoSelector(r_max=r_max) if selector == "maxinfo" else RandomesqueSelector(bin_size=3)
        self.estimator = NumericalSearchEstimator()
        self.eap = eap
        self.rng = np.random.default_rng(0)

    def attempt(self, *, number: int, shown: list[int]) -> Session:
        for index, count in enumerate(shown):
            self.bank.update_exposure_rate(index, count / number if number else 0.0)
        return CatsimSession(self)


class CatsimSession:
    def __init__(self, engine: CatsimEngine) -> None:
        self.engine = engine
        self.theta = 0.0

    def step(self, answers: list[tuple[int, bool]], *, pick: bool) -> tuple[float, int | None]:
        from catsim import irt

        engine = self.engine
        administered = [index for index, _ in answers]
        if answers and engine.eap:
            from assessments.ai.ability import ability_estimate

            self.theta = ability_estimate([(engine.difficulty[i], float(y)) for i, y in answers]).theta
        elif answers:
            self.theta = float(
                engine.estimator.estimate(
                    item_bank=engine.bank,
                    administered_items=administered,
                    response_vector=[y for _, y in answers],
                    est_theta=self.theta,
                )
            )
            irt.see(self.theta, engine.bank.get_items(administered))  # what its MinErrorStopper would compute
        if not pick:
            return self.theta, None
        chosen = engine.selector.select(
            item_bank=engine.bank, administered_items=administered, est_theta=self.theta, rng=engine.rng
        )
        return self.theta, None if chosen is None else int(chosen)


# ----------------------------------------------------------------------------------------- capabilities


def capabilities() -> list[tuple[str, str, str]]:
    """What Jatayu needs, what it has, and what catsim and girth do with it: probed where a call can show it."""
    import girth
    import numpy as np
    from catsim.estimation import NumericalSearchEstimator

    bank = catsim_bank(np.array([[1.0, -0.5, 0.0, 1.0], [1.0, 0.5, 0.0, 1.0], [1.0, 0.0, 0.0, 1.0]]))
    partial: Any = [True, False, 0.5]  # the probe: a partial credit among the answers
    try:
        NumericalSearchEstimator().estimate(
            item_bank=bank,
            administered_items=[0, 1, 2],
            response_vector=partial,
            est_theta=0.0,
        )
        catsim_partial = "accepted"
    except ValueError as error:
        catsim_partial = f"refused: ValueError '{error}'"
    rng = np.random.default_rng(1)
    complete = (rng.random((6, 40)) < 0.5).astype(float)
    half, missing = complete.copy(), complete.copy()
    half[0, 0], missing[0, 0] = 0.5, girth.INVALID_RESPONSE
    same = np.allclose(girth_fit(girth.rasch_jml, half), girth_fit(girth.rasch_jml, missing))
    girth_partial = (
        "a 0.5 is silently dropped as missing (rasch_jml gives the same as with the cell missing)"
        if same
        else "a 0.5 changes rasch_jml's estimate"
    )
    return [
        ("content balancing by weighted skill", "yes (skill furthest below its weight share)", "catsim: no"),
        ("per-skill θ ± SE", "yes (EAP per skill)", "catsim: one θ per examinee"),
        (
            "partial credit (0 < y < 1)",
            "yes (fractional response)",
            f"catsim: {catsim_partial}; girth: {girth_partial}",
        ),
        (
            "exposure cap",
            "yes (restricted maximum, every selector)",
            "catsim: r_max on MaxInfoSelector and ClusterSelector only; its Simulator divides by the total "
            "number of examinees, so a live service must keep the rates itself; no Sympson-Hetter",
        ),
        (
            "EAP under a N(0, 1) prior, SE = posterior SD",
            "yes (grid -4..4)",
            "catsim: maximum likelihood only (Dodd's heuristic until both kinds of answer), SE from test information",
        ),
        ("stop when every skill's SE ≤ target", "yes", "catsim: MinErrorStopper on the one θ only"),
        ("online item calibration", "yes (one step per response)", "girth: batch estimators only"),
    ]


# --------------------------------------------------------------------------------------------- report


def sim_item(cls: type, pk: int, skill_id: int, *, calibrated: float | None = None, se: float | None = None) -> Any:
    return cls(
        pk=pk,
        skill_id=skill_id,
        prompt="",
        options=("a", "b", "c", "d"),
        correct_option=0,
        explanation="",
        difficulty="medium",
        active=True,
        calibrated=calibrated,
        calibration_se=None if calibrated is None else se,
    )


def sim_abilities(answers: list[tuple[int, float]], *, logits: Mapping[int, float], skill: list[int]) -> Any:
    """Overall and per-skill ability from (question pk, credit) pairs, as `attempt_abilities` builds them."""
    from assessments.ai.ability import ability_estimate

    per_skill: dict[int, list[tuple[float, float]]] = {}
    for pk, y in answers:
        per_skill.setdefault(skill[pk - 1], []).append((logits[pk], y))
    overall = ability_estimate([(logits[pk], y) for pk, y in answers])
    return overall, {sid: ability_estimate(pairs) for sid, pairs in per_skill.items()}
