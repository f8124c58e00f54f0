"""Can catsim and girth serve Jatayu's adaptive testing? (issue 15, "Libraries"): each library against
Jatayu's hand-written code, side by side, on the item pool and answer model of `benchmarks.cat_simulation`.

    .venv/bin/pip install -r requirements-bench.txt   # numpy, scipy, catsim, girth (Jatayu itself needs none)
    .venv/bin/python -m benchmarks.psychometric_libraries [--quick] [--items 120] [--seed 7] [--candidates 2000]

The pool is cat_simulation's: true difficulties b ~ N(0, 1), priors off by noise with SD 0.7, two skills
of equal weight (the same draws from the same seed), candidates θ ~ N(0, 1) answering as the Rasch model
says. Printed figures, not a test; Jatayu's randomesque choice draws from the system's random source, so
figures move a little from run to run.

Calibration. Candidates take 20-item adaptive tests through Jatayu's real selection, exposure cap and
online calibration (as in cat_simulation, minus the guessers), which leaves the sparse item x candidate
matrix an adaptive test produces. When the responses per item reach 50, 200 and 1,000 on average, the
item-difficulty RMSE against the true b: of the prior, of Jatayu's online estimate (`calibration_update`,
one Laplace step per response) and of girth's batch estimators (`rasch_jml`, `rasch_mml`,
`rasch_conditional`) run on that matrix, missing cells tagged `girth.INVALID_RESPONSE`; with each one's
wall time. girth has no per-response update: keeping it current online means re-running the batch.

Selection and estimation. The same candidates (the same true θ and the same uniform draw at each
position, so engines differ only by what they choose) through 30-item tests, once with the items'
true difficulties (a calibrated pool) and once with the noisy priors (a new pool):
Jatayu's `question_pick_next` + `ability_estimate` (content balancing by skill, closest difficulty,
randomesque among 3, exposure cap 0.3, EAP under N(0, 1)) against catsim's selectors with its
`NumericalSearchEstimator` (maximum likelihood with Dodd's heuristic), and catsim's MaxInfoSelector
with Jatayu's EAP. θ RMSE and bias at 10, 20 and 30 items, the maximum exposure, how unevenly the two
skills were asked in the first 20 items, and the CPU time of one estimation + selection step.
Jatayu's hot path has a budget of well under 1 ms of CPU per answer.
"""

import argparse
import contextlib
import io
import logging
import math
import random
import statistics
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import version
from typing import Any, Protocol

from benchmarks.ai_setup import django_setup
from benchmarks.cat_simulation import CALIBRATION_POINTS, FIXED_LENGTHS, MAX_EXPOSURE, MAX_LENGTH, _rmse

CALIBRATION_LENGTH = 20  # items per candidate in the calibration study
# girth's estimators get the items with at least this many responses, both right and wrong ones among them
# (the "usable items" rows); the rest keep their prior. Also the cut for the "items with enough" RMSE.
MIN_RESPONSES = 20
PRIOR_NOISE = 0.7
LIBRARIES = ("numpy", "scipy", "catsim", "girth")


@dataclass(frozen=True)
class Pool:
    true_b: list[float]  # index i is Jatayu's question pk i + 1 and catsim's item i
    prior: list[float]
    skill: list[int]  # 1 or 2


def pool_make(*, items: int, seed: int) -> Pool:
    """cat_simulation's pool: the same draws, in the same order, from the same seed."""
    rng = random.Random(seed)
    true_b = [rng.gauss(0, 1) for _ in range(items)]
    prior = [b + rng.gauss(0, PRIOR_NOISE) for b in true_b]
    return Pool(true_b=true_b, prior=prior, skill=[1 + pk % 2 for pk in range(1, items + 1)])


def _girth_fit(estimate: Callable[..., dict[str, Any]], matrix: Any) -> Any:
    """girth's difficulties for `matrix`, its warnings and scipy's prints (NaN results) kept off the report."""
    import numpy as np

    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        return np.asarray(estimate(matrix)["Difficulty"], dtype=float)


def _catsim_bank(parameters: Any) -> Any:
    """A catsim ItemBank; its validation prints a blank line for a valid bank (catsim 0.21.0), kept off the report."""
    from catsim.item_bank import ItemBank

    with contextlib.redirect_stdout(io.StringIO()):
        return ItemBank(parameters)


def p_right(theta: float, b: float) -> float:
    return 1.0 / (1.0 + math.exp(-(theta - b)))


# --------------------------------------------------------------------------------------- calibration


@dataclass
class CalibrationRow:
    name: str
    rmse: dict[int, float]  # responses per item: difficulty RMSE (nan: failed)
    seconds: dict[int, float]  # wall time of the estimate at that point (batch) or per update (online)
    online: str
    error: str = ""
    rmse_enough: dict[int, float] = field(default_factory=dict)  # over items with at least MIN_RESPONSES
    slope: dict[int, float] = field(default_factory=dict)  # of the estimate on the true b, those items


def calibration_compare(*, pool: Pool, points: Sequence[int], seed: int) -> tuple[list[CalibrationRow], dict[int, str]]:
    import girth
    import numpy as np

    from assessments.ai.ability import ability_estimate
    from assessments.psychometrics.calibration import ItemEstimate, calibration_update
    from assessments.selectors.bank import Bank, Item, SkillInfo
    from assessments.services.progress import EPOCH, Asked, Progress
    from assessments.services.selection import question_pick_next

    items = len(pool.true_b)
    estimates = {pk: ItemEstimate.from_prior(pool.prior[pk - 1]) for pk in range(1, items + 1)}
    skills = {1: SkillInfo(pk=1, name="A", weight=1.0), 2: SkillInfo(pk=2, name="B", weight=1.0)}

    class SimItem(Item):
        """cat_simulation's: the prior is a number, not a label; the logit is the real rule (`Item.logit`)."""

        @property
        def prior_logit(self) -> float:
            return estimates[self.pk].prior

    def current(pk: int) -> Item:
        estimate = estimates[pk]
        if not estimate.n:
            return _item(SimItem, pk, pool.skill[pk - 1])
        return _item(SimItem, pk, pool.skill[pk - 1], calibrated=estimate.mean, se=estimate.se)

    snapshot_at = {math.ceil(n * items / CALIBRATION_LENGTH): n for n in points}
    rng = random.Random(seed + 3)
    shown = dict.fromkeys(estimates, 0)
    responses: list[list[tuple[int, int]]] = []  # per candidate: (item index, 0/1)
    update_ns = updates = 0
    rows = {
        "prior": CalibrationRow("prior (no calibration)", {}, {}, "n/a"),
        "jatayu": CalibrationRow("Jatayu calibration_update", {}, {}, "yes: one step per response"),
    }
    estimators: dict[str, Callable[..., dict[str, Any]]] = {
        "girth rasch_jml": girth.rasch_jml,
        "girth rasch_mml": girth.rasch_mml,
        "girth rasch_conditional": girth.rasch_conditional,
    }
    spread: dict[int, str] = {}
    true_b = np.array(pool.true_b)
    enough: dict[int, Any] = {}  # responses per item: which items have at least MIN_RESPONSES
    predictions: dict[tuple[str, int], Any] = {}

    for attempt in range(1, max(snapshot_at) + 1):
        theta = rng.gauss(0, 1)
        bank_items = {pk: current(pk) for pk in estimates}  # as a bank loaded now would hold them
        logits = {pk: item.logit for pk, item in bank_items.items()}
        bank = Bank(
            test_id=1,
            version=(1, None),
            items=bank_items,
            skills=skills,
            voided=frozenset(),
            attempts=attempt - 1,
            shown=shown,
            max_exposure_rate=MAX_EXPOSURE,
        )
        progress = Progress()
        answers: list[tuple[int, float]] = []
        for position in range(1, CALIBRATION_LENGTH + 1):
            abilities = _abilities(answers, logits=logits, skill=pool.skill)
            chosen = question_pick_next(progress=progress, bank=bank, prepared=set(), abilities=abilities)
            if chosen is None:
                break
            right = rng.random() < p_right(theta, pool.true_b[chosen.pk - 1])
            progress.items.append(
                Asked(
                    question_id=chosen.pk,
                    response_id=0,
                    position=position,
                    option_order=[],
                    asked_at=EPOCH,
                    answered=True,
                    correct=right,
                )
            )
            answers.append((chosen.pk, float(right)))
            shown[chosen.pk] += 1
        final = ability_estimate([(logits[pk], y) for pk, y in answers])
        started = time.thread_time_ns()
        for pk, y in answers:
            estimates[pk] = calibration_update(item=estimates[pk], theta=final.theta, theta_se=final.se, credit=y)
        update_ns += time.thread_time_ns() - started
        updates += len(answers)
        responses.append([(pk - 1, int(y)) for pk, y in answers])

        if attempt not in snapshot_at:
            continue
        n = snapshot_at[attempt]
        counts = [shown[pk] for pk in estimates]
        spread[n] = (
            f"{attempt} candidates; responses per item {min(counts)}-{max(counts)}, mean {statistics.fmean(counts):.0f}"
        )
        rows["jatayu"].seconds[n] = update_ns / updates / 1e9
        matrix = np.full((items, attempt), girth.INVALID_RESPONSE, dtype=int)
        for column, seen in enumerate(responses):
            for index, y in seen:
                matrix[index, column] = y
        answered = (matrix != girth.INVALID_RESPONSE).sum(axis=1)
        ones = (matrix == 1).sum(axis=1)
        usable = (answered >= MIN_RESPONSES) & (ones > 0) & (ones < answered)
        enough[n] = answered >= MIN_RESPONSES
        predictions[("prior", n)] = np.array(pool.prior)
        predictions[("jatayu", n)] = np.array([estimates[pk].mean for pk in estimates])
        for name, estimate in estimators.items():
            for cleaned in (False, True):
                if cleaned and name.endswith("conditional"):
                    continue  # it fails on any missing cell, cleaned or not
                key = f"{name} ({'usable items, prior for the rest' if cleaned else 'whole matrix'})"
                row = rows.setdefault(key, CalibrationRow(key, {}, {}, "no: batch only (re-run on the whole matrix)"))
                started_wall = time.perf_counter()
                try:
                    fitted = np.array(pool.prior)
                    fitted[usable if cleaned else slice(None)] = _girth_fit(
                        estimate, matrix[usable] if cleaned else matrix
                    )
                    predictions[(key, n)] = fitted
                except Exception as error:  # a library failing on this data is a finding, not a crash
                    row.error = f"{type(error).__name__}: {error}"
                row.seconds[n] = time.perf_counter() - started_wall
    for row_key, row in rows.items():
        for n in snapshot_at.values():
            predicted = predictions.get((row_key, n))
            if predicted is None:
                row.rmse[n] = float("nan")
                continue
            row.rmse[n] = float(np.sqrt(np.mean((predicted - true_b) ** 2)))
            row.rmse_enough[n] = float(np.sqrt(np.mean((predicted - true_b)[enough[n]] ** 2)))
            row.slope[n] = float(np.polyfit(true_b[enough[n]], predicted[enough[n]], 1)[0])
    for n, mask in enough.items():
        spread[n] += f"; {int(mask.sum())} items with at least {MIN_RESPONSES}"
    return list(rows.values()), spread


# ------------------------------------------------------------------------------ selection, estimation


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
            pk: _item(FixedItem, pk, pool.skill[pk - 1], calibrated=b if calibrated else None, se=0.1)
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
            attempts=number,
            shown={pk: shown[pk - 1] for pk in self.items},
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
        abilities = _abilities(pairs, logits=self.engine.logits, skill=self.engine.pool.skill)
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
        self.bank = _catsim_bank(np.array([[1.0, b, 0.0, 1.0] for b in difficulty]))
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

    bank = _catsim_bank(np.array([[1.0, -0.5, 0.0, 1.0], [1.0, 0.5, 0.0, 1.0], [1.0, 0.0, 0.0, 1.0]]))
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
    same = np.allclose(_girth_fit(girth.rasch_jml, half), _girth_fit(girth.rasch_jml, missing))
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


def _item(cls: type, pk: int, skill_id: int, *, calibrated: float | None = None, se: float | None = None) -> Any:
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


def _abilities(answers: list[tuple[int, float]], *, logits: Mapping[int, float], skill: list[int]) -> Any:
    """Overall and per-skill ability from (question pk, credit) pairs, as `attempt_abilities` builds them."""
    from assessments.ai.ability import ability_estimate

    per_skill: dict[int, list[tuple[float, float]]] = {}
    for pk, y in answers:
        per_skill.setdefault(skill[pk - 1], []).append((logits[pk], y))
    overall = ability_estimate([(logits[pk], y) for pk, y in answers])
    return overall, {sid: ability_estimate(pairs) for sid, pairs in per_skill.items()}


def _number(value: float | None) -> str:
    return "failed" if value is None or math.isnan(value) else f"{value:.3f}"


def report(
    *,
    calibration: list[CalibrationRow],
    spread: dict[int, str],
    selections: dict[str, list[EngineFigures]],
    caps: list[tuple[str, str, str]],
    args: argparse.Namespace,
    seconds: float,
) -> str:
    points = sorted(spread)
    lines = [
        f"## Psychometric libraries against Jatayu ({args.items} items in 2 skills, seed {args.seed})",
        "",
        "`.venv/bin/python -m benchmarks.psychometric_libraries"
        + (" --quick" if args.quick else "")
        + f" --items {args.items} --seed {args.seed} --candidates {args.candidates}`, {seconds:.0f} s; "
        + ", ".join(f"{name} {version(name)}" for name in LIBRARIES)
        + ".",
        "",
        f"### Calibration: item difficulty RMSE against the true b ({CALIBRATION_LENGTH}-item adaptive tests)",
        "",
        *(f"- {n} responses per item: {spread[n]}" for n in points),
        "",
        "Difficulty RMSE over all items (girth's whole-matrix rows put every item in; the 'usable' rows give "
        f"girth only the items with at least {MIN_RESPONSES} responses, some right and some wrong, and keep the prior "
        f"for the rest); at {points[-1]}, also over the items with at least {MIN_RESPONSES} responses, and the slope "
        "of the estimates on the true b there (1 is right: below 1 shrinks the spread, above 1 stretches it).",
        "",
        "| estimator | "
        + " | ".join(f"RMSE @{n}" for n in points)
        + f" | RMSE @{points[-1]}, items ≥ {MIN_RESPONSES} | slope @{points[-1]} | "
        + " | ".join(f"time @{n}" for n in points)
        + " | online (per response) |",
        "| --- |" + " --- |" * (2 * len(points) + 3),
    ]
    last = points[-1]
    for row in calibration:
        rmse = " | ".join(_number(row.rmse[n]) for n in points)
        rmse += f" | {_number(row.rmse_enough.get(last))} | {_number(row.slope.get(last))}"
        if row.name.startswith("Jatayu"):
            times = " | ".join(f"{row.seconds[n] * 1e6:.1f} µs/update" for n in points)
        elif row.seconds:
            times = " | ".join(f"{row.seconds[n]:.2f} s" for n in points)
        else:
            times = " | ".join("" for _ in points)
        lines.append(f"| {row.name} | {rmse} | {times} | {row.online} |")
    lines += [f"- {row.name}: {row.error}" for row in calibration if row.error]
    for label, figures in selections.items():
        lines += [
            "",
            f"### Selection and estimation, {label} ({args.candidates} candidates, {MAX_LENGTH} items each)",
            "",
            "| engine | "
            + " | ".join(f"θ RMSE (bias) @{n}" for n in FIXED_LENGTHS)
            + " | max exposure | skill imbalance @20 | step CPU mean / p99 |",
            "| --- |" + " --- |" * (len(FIXED_LENGTHS) + 3),
        ]
        for f in figures:
            cells = " | ".join(f"{f.fixed[n][0]:.3f} ({f.fixed[n][1]:+.3f})" for n in FIXED_LENGTHS)
            lines.append(
                f"| {f.name} | {cells} | {f.exposure_max:.3f} | {f.imbalance:.2f} | "
                f"{f.step_us[0]:.0f} / {f.step_us[1]:.0f} µs |"
            )
    lines += ["", "### What Jatayu needs", "", "| need | Jatayu | the libraries |", "| --- | --- | --- |"]
    lines += [f"| {need} | {jatayu} | {libs} |" for need, jatayu, libs in caps]
    lines += ["", "### Verdicts", "", *verdicts(calibration=calibration, selections=selections, points=points)]
    return "\n".join(lines)


def verdicts(
    *, calibration: list[CalibrationRow], selections: dict[str, list[EngineFigures]], points: list[int]
) -> list[str]:
    """One line per library, from the figures: what it would serve, and what not."""
    last = points[-1]
    prior, jatayu, *girth_rows = calibration
    working = [row for row in girth_rows if not math.isnan(row.rmse[last])]
    failed = [row.name.removeprefix("girth ") for row in girth_rows if math.isnan(row.rmse[last])]
    girth_line = f"- girth: batch only, no per-response update; at {last} responses per item"
    if working:
        best = min(working, key=lambda row: row.rmse[last])
        girth_line += (
            f" its best, {best.name.removeprefix('girth ')}, has RMSE {best.rmse[last]:.3f} in {best.seconds[last]:.2f} s "
            f"against Jatayu's online {jatayu.rmse[last]:.3f} at {jatayu.seconds[last] * 1e6:.1f} µs an update"
        )
        if best.rmse[last] <= jatayu.rmse[last]:
            girth_line += ": it serves calibrate_items' batch recompute"
        elif best.rmse[last] < prior.rmse[last]:
            girth_line += ": less accurate than the online step on adaptive data, a cross-check at most"
        else:
            girth_line += ": no better than the priors, it does not serve"
    if failed:
        girth_line += f"; {', '.join(failed)} failed"
    first = next(iter(selections.values()))
    ours, *others = first
    pure = [f for f in others if f.name.endswith("NumericalSearch")]
    best_pure = min(pure, key=lambda f: f.fixed[20][0])
    hybrid = [f for f in others if f.name.endswith("Jatayu EAP")]
    catsim_line = (
        f"- catsim: with its own estimator its best, {best_pure.name.removeprefix('catsim ')}, has θ RMSE "
        f"{best_pure.fixed[20][0]:.3f} at 20 items against Jatayu's {ours.fixed[20][0]:.3f}, at "
        f"{best_pure.step_us[0]:.0f} µs of CPU a step against {ours.step_us[0]:.0f} µs"
    )
    if hybrid:
        catsim_line += (
            f" (its MaxInfoSelector with Jatayu's EAP: {hybrid[0].fixed[20][0]:.3f}, "
            f"skill imbalance {hybrid[0].imbalance:.2f} items against {ours.imbalance:.2f})"
        )
    catsim_line += (
        "; without content balancing, per-skill θ, partial credit or an EAP prior it cannot replace "
        "question_pick_next + ability_estimate, a simulation cross-check at most."
    )
    return [girth_line, catsim_line]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="calibration to 200 responses per item, 200 candidates")
    parser.add_argument("--items", type=int, default=120, help="pool size (cat_simulation's default)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--candidates", type=int, default=None, help="selection study (default 2000; quick 200)")
    args = parser.parse_args()
    args.candidates = args.candidates or (200 if args.quick else 2000)
    django_setup(quiet_below=logging.WARNING)
    started = time.perf_counter()
    pool = pool_make(items=args.items, seed=args.seed)
    points = [n for n in CALIBRATION_POINTS if not args.quick or n <= 200]
    calibration, spread = calibration_compare(pool=pool, points=points, seed=args.seed)
    selections = {
        "true difficulties (a calibrated pool)": selection_compare(
            pool=pool, difficulty=pool.true_b, calibrated=True, candidates=args.candidates, seed=args.seed
        ),
        f"priors off by SD {PRIOR_NOISE} (a new pool)": selection_compare(
            pool=pool, difficulty=pool.prior, calibrated=False, candidates=args.candidates, seed=args.seed
        ),
    }
    caps = capabilities()
    print(
        report(
            calibration=calibration,
            spread=spread,
            selections=selections,
            caps=caps,
            args=args,
            seconds=time.perf_counter() - started,
        )
    )


if __name__ == "__main__":
    main()
