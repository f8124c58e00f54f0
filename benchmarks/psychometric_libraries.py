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
import logging
import math
import random
import statistics
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import version
from typing import Any

from benchmarks.ai_setup import django_setup
from benchmarks.cat_simulation import CALIBRATION_POINTS, FIXED_LENGTHS, MAX_EXPOSURE, MAX_LENGTH
from benchmarks.psychometric_pool import (
    CALIBRATION_LENGTH,
    LIBRARIES,
    MIN_RESPONSES,
    PRIOR_NOISE,
    Pool,
    girth_fit,
    p_right,
    pool_make,
)
from benchmarks.psychometric_selection import EngineFigures, capabilities, selection_compare, sim_abilities, sim_item


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
            return sim_item(SimItem, pk, pool.skill[pk - 1])
        return sim_item(SimItem, pk, pool.skill[pk - 1], calibrated=estimate.mean, se=estimate.se)

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
            attempts=attempt,  # this one counted, as a bank counts a started attempt
            shown=Counter(shown),
            max_exposure_rate=MAX_EXPOSURE,
        )
        progress = Progress()
        answers: list[tuple[int, float]] = []
        for position in range(1, CALIBRATION_LENGTH + 1):
            abilities = sim_abilities(answers, logits=logits, skill=pool.skill)
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
                    fitted[usable if cleaned else slice(None)] = girth_fit(
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
