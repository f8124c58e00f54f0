"""girth's 2PL batch estimators against Jatayu's online 2PL calibration step, on adaptive data (issue 15,
"Libraries": the 2PL measurement `benchmarks.psychometric_libraries` left open for the Rasch one).

    .venv/bin/pip install -r requirements-bench.txt   # numpy, scipy, girth (Jatayu itself needs none)
    .venv/bin/python -m benchmarks.psychometric_2pl [--quick] [--candidates 2000] [--items 120] [--seed 7]

The pool is cat_simulation's 2PL pool, drawn the same way from the same seed: true difficulties
b ~ N(0, 1), true discriminations a ~ N(1.2, 0.25) (at least 0.25), priors b + N(0, 0.7²) and a = 1, two
skills of equal weight; candidates θ ~ N(0, 1) answer as the 2PL model says (no rapid guessers). Each
takes a 20-item test through Jatayu's real selection (`question_pick_next`, exposure cap 0.3) and
`ability_estimate`, with the items as the bank would hold them (calibrated b and a once answered). After
each attempt its answers calibrate the items as `services.calibration` does: each paired with the
attempt's θ ± SE for its skill from its other answers (`skill_abilities_without_each`), then one
`calibration_update` (a Laplace step on (b, ln a)). The full item x candidate response matrix is kept,
`girth.INVALID_RESPONSE` where an item was not shown.

At checkpoints (300, 1,200 and 2,000 candidates: a mean of 50, 200 and 333 responses per item; --quick:
150 and 300) the b and a RMSE against the true values, over all items and over those with at least 20
responses, of: the priors (a = 1); Jatayu's online estimates; girth's `twopl_jml`, `twopl_mml` and
`twopl_mml_eap` on the whole matrix, and on the "usable" items only (at least 20 responses, some right
and some wrong; candidates with no answer to them dropped), the rest keeping their prior. With each
one's time: µs of CPU per online update (and the θ pairing with it), wall seconds per batch fit.
An estimator that raises or returns NaN is reported, not fatal. Printed figures, not a test; the seed
fixes the pool, the candidates and the selection's randomesque draw, so a run repeats itself.
"""

import argparse
import contextlib
import io
import logging
import math
import random
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import version
from typing import Any

from benchmarks.ai_setup import django_setup
from benchmarks.cat_simulation import DISCRIMINATION_MEAN, DISCRIMINATION_SD, MAX_EXPOSURE, _discrimination
from benchmarks.psychometric_pool import CALIBRATION_LENGTH, MIN_RESPONSES, PRIOR_NOISE

CHECKPOINTS = (300, 1200, 2000)
QUICK_CHECKPOINTS = (150, 300)
ESTIMATORS = ("twopl_jml", "twopl_mml", "twopl_mml_eap")
ONLINE = "yes: one step per response"
BATCH = "no: batch only (re-run on the whole matrix)"


@dataclass
class Row:
    name: str
    online: str
    b: dict[int, tuple[float, float]] = field(default_factory=dict)  # checkpoint: (all items, items ≥ 20)
    a: dict[int, tuple[float, float]] = field(default_factory=dict)
    seconds: dict[int, float] = field(default_factory=dict)  # batch: wall s; online: CPU s per update
    errors: list[str] = field(default_factory=list)


@dataclass
class Checkpoint:
    candidates: int
    mean_responses: float
    min_responses: int
    max_responses: int
    enough: int  # items with at least MIN_RESPONSES
    usable: int  # those with both right and wrong answers too
    pairing_us: float  # CPU µs per answer of the leave-one-out θ pairing


def simulate(
    *, candidates: int, items: int, seed: int, checkpoints: tuple[int, ...]
) -> tuple[list[Row], list[Checkpoint]]:
    import girth
    import numpy as np

    from assessments.psychometrics.calibration import ItemEstimate, calibration_update
    from assessments.selectors.bank import Item
    from assessments.services import selection
    from assessments.services.calibration import skill_abilities_without_each
    from assessments.services.progress import Progress
    from assessments.services.selection import question_pick_next
    from benchmarks.sim_items import abilities, record_answer, scored, sim_bank, sim_item

    rng = random.Random(seed)
    selection._random = random.Random(seed)  # the product draws from the system's source; here, repeatably
    # cat_simulation's draws, in its order: b, then a, then the priors.
    true_b = {pk: rng.gauss(0, 1) for pk in range(1, items + 1)}
    true_a = {pk: _discrimination(rng, "2PL") for pk in true_b}
    estimates = {pk: ItemEstimate.from_prior(b + rng.gauss(0, PRIOR_NOISE)) for pk, b in true_b.items()}
    skill_of = {pk: 1 + pk % 2 for pk in true_b}
    shown = dict.fromkeys(true_b, 0)

    def item(pk: int) -> Item:
        return sim_item(pk=pk, skill_id=skill_of[pk], estimate=estimates[pk])

    b_true, a_true = np.array(list(true_b.values())), np.array(list(true_a.values()))
    prior_b = np.array([estimates[pk].prior for pk in true_b])
    rows = {"prior": Row("prior (b from the label, a = 1)", "n/a"), "jatayu": Row("Jatayu calibration_update", ONLINE)}
    for name in ESTIMATORS:
        for usable_only in (False, True):
            key = f"girth {name} ({'usable items, prior for the rest' if usable_only else 'whole matrix'})"
            rows[key] = Row(key, BATCH)
    marks: list[Checkpoint] = []
    responses: list[list[tuple[int, int]]] = []  # per candidate: (item index, 0/1)
    update_ns = pairing_ns = updates = 0

    for attempt in range(1, candidates + 1):
        theta = rng.gauss(0, 1)
        pool = {pk: item(pk) for pk in true_b}  # as a bank loaded now would hold them
        bank = sim_bank(items=pool, attempts=attempt, shown=shown, max_exposure_rate=MAX_EXPOSURE)
        progress = Progress()
        answers: list[tuple[int, float]] = []
        for position in range(1, CALIBRATION_LENGTH + 1):
            overall, per_skill = abilities(pool, answers)
            chosen = question_pick_next(progress=progress, bank=bank, prepared=set(), abilities=(overall, per_skill))
            if chosen is None:
                break
            p = 1 / (1 + math.exp(-true_a[chosen.pk] * (theta - true_b[chosen.pk])))
            right = rng.random() < p
            record_answer(progress=progress, item=chosen, position=position, right=right)
            answers.append((chosen.pk, float(right)))
            shown[chosen.pk] += 1
        started = time.thread_time_ns()
        without = skill_abilities_without_each(
            answers=[(skill_of[pk], a) for (pk, _), a in zip(answers, scored(pool, answers), strict=True)]
        )
        paired = time.thread_time_ns()
        for (pk, y), ability in zip(answers, without, strict=True):
            estimates[pk] = calibration_update(item=estimates[pk], theta=ability.theta, theta_se=ability.se, credit=y)
        update_ns += time.thread_time_ns() - paired
        pairing_ns += paired - started
        updates += len(answers)
        responses.append([(pk - 1, int(y)) for pk, y in answers])
        if attempt not in checkpoints:
            continue

        matrix = np.full((items, attempt), girth.INVALID_RESPONSE, dtype=int)
        for column, seen in enumerate(responses):
            for index, y in seen:
                matrix[index, column] = y
        answered = (matrix != girth.INVALID_RESPONSE).sum(axis=1)
        ones = (matrix == 1).sum(axis=1)
        enough = answered >= MIN_RESPONSES
        usable = enough & (ones > 0) & (ones < answered)
        marks.append(
            Checkpoint(
                candidates=attempt,
                mean_responses=float(answered.mean()),
                min_responses=int(answered.min()),
                max_responses=int(answered.max()),
                enough=int(enough.sum()),
                usable=int(usable.sum()),
                pairing_us=pairing_ns / updates / 1e3,
            )
        )

        def score(row: Row, b: Any, a: Any, n: int = attempt, enough: Any = enough) -> None:
            b_err, a_err = b - b_true, a - a_true
            row.b[n] = (_rmse(b_err), _rmse(b_err[enough]))
            row.a[n] = (_rmse(a_err), _rmse(a_err[enough]))
            missing = int(np.isnan(b).sum() + np.isnan(a).sum())
            if missing:
                row.errors.append(f"{n} candidates: {missing} NaN parameters")

        score(rows["prior"], prior_b, np.ones(items))
        score(
            rows["jatayu"],
            np.array([estimates[pk].mean for pk in true_b]),
            np.array([estimates[pk].discrimination for pk in true_b]),
        )
        rows["jatayu"].seconds[attempt] = update_ns / updates / 1e9
        sub = matrix[usable]
        sub = sub[:, (sub != girth.INVALID_RESPONSE).any(axis=0)]  # candidates who saw none of them: no data
        for name in ESTIMATORS:
            estimate: Callable[..., dict[str, Any]] = getattr(girth, name)
            for usable_only in (False, True):
                key = f"girth {name} ({'usable items, prior for the rest' if usable_only else 'whole matrix'})"
                row = rows[key]
                started_wall = time.perf_counter()
                try:
                    fitted_b, fitted_a = _girth_fit(estimate, sub if usable_only else matrix)
                    b, a = prior_b.copy(), np.ones(items)
                    b[usable if usable_only else slice(None)] = fitted_b
                    a[usable if usable_only else slice(None)] = fitted_a
                    row.seconds[attempt] = time.perf_counter() - started_wall
                    score(row, b, a)
                except Exception as error:  # a library failing on this data is a finding, not a crash
                    row.seconds[attempt] = time.perf_counter() - started_wall
                    row.errors.append(f"{attempt} candidates: {type(error).__name__}: {str(error)[:160]}")
        print(f"checkpoint {attempt} candidates done", flush=True)
    return list(rows.values()), marks


def _girth_fit(estimate: Callable[..., dict[str, Any]], matrix: Any) -> tuple[Any, Any]:
    """girth's (difficulty, discrimination) for `matrix`; its warnings and scipy's prints kept off the report."""
    import numpy as np

    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        result = estimate(matrix)
    b = np.asarray(result["Difficulty"], dtype=float).reshape(-1)
    a = np.asarray(result["Discrimination"], dtype=float).reshape(-1)
    if b.shape != (matrix.shape[0],) or a.shape != (matrix.shape[0],):
        raise ValueError(f"{b.shape[0]} difficulties and {a.shape[0]} discriminations for {matrix.shape[0]} items")
    return b, a


def _rmse(errors: Any) -> float:
    import numpy as np

    return float(np.sqrt(np.mean(errors**2))) if errors.size else float("nan")


def _pair(values: tuple[float, float] | None) -> str:
    if values is None:
        return "failed"
    return " / ".join("NaN" if math.isnan(v) else f"{v:.3f}" for v in values)


def report(rows: list[Row], marks: list[Checkpoint], *, args: argparse.Namespace, commit: str, seconds: float) -> str:
    points = [m.candidates for m in marks]
    lines = [
        f"## girth's 2PL estimators against Jatayu's online 2PL step ({args.items} items in 2 skills, seed {args.seed})",
        "",
        "`.venv/bin/python -m benchmarks.psychometric_2pl"
        + (" --quick" if args.quick else "")
        + f" --candidates {args.candidates} --items {args.items} --seed {args.seed}`"
        + (f", commit {commit}" if commit else "")
        + f", {seconds:.0f} s; girth {version('girth')}, numpy {version('numpy')}, scipy {version('scipy')}. "
        f"True a ~ N({DISCRIMINATION_MEAN}, {DISCRIMINATION_SD}), b ~ N(0, 1), priors off by SD {PRIOR_NOISE} "
        f"and a = 1, {CALIBRATION_LENGTH}-item adaptive tests, exposure cap {MAX_EXPOSURE}.",
        "",
        *(
            f"- {m.candidates} candidates: responses per item {m.min_responses}-{m.max_responses}, mean "
            f"{m.mean_responses:.0f}; {m.enough} items with at least {MIN_RESPONSES}, {m.usable} of them usable "
            "(some right, some wrong)"
            for m in marks
        ),
        "",
        f"RMSE against the true values, over all items / over items with at least {MIN_RESPONSES} responses; "
        "time: Jatayu's CPU per update, girth's wall time for one fit of the matrix at that point.",
        "",
        "| estimator | " + " | ".join(f"b @{n} | a @{n} | time @{n}" for n in points) + " | online (per response) |",
        "| --- |" + " --- |" * (3 * len(points) + 1),
    ]
    for row in rows:
        cells = []
        for n in points:
            if row.online == ONLINE:
                time_cell = f"{row.seconds[n] * 1e6:.1f} µs/update"
            else:
                time_cell = f"{row.seconds[n]:.2f} s" if n in row.seconds else ""
            cells.append(f"{_pair(row.b.get(n))} | {_pair(row.a.get(n))} | {time_cell}")
        lines.append(f"| {row.name} | {' | '.join(cells)} | {row.online} |")
    lines += [f"- {row.name}: {'; '.join(row.errors)}" for row in rows if row.errors]
    lines += [
        "",
        f"The leave-one-out θ pairing (`skill_abilities_without_each`) costs {marks[-1].pairing_us:.0f} µs of CPU "
        "per answer on top of the update.",
        "",
        verdict(rows, points[-1]),
    ]
    return "\n".join(lines)


def verdict(rows: list[Row], last: int) -> str:
    """One line from the figures: at the last checkpoint, over the items with at least MIN_RESPONSES."""
    prior, jatayu, *girth_rows = rows
    # Working: a fit at the last checkpoint with no NaN anywhere (a NaN poisons girth's whole fit).
    working = [r for r in girth_rows if last in r.b and not any(map(math.isnan, (*r.b[last], *r.a[last])))]
    failed = [r.name.removeprefix("girth ") for r in girth_rows if r not in working]
    line = f"Verdict: girth has no per-response update; at {last} candidates, over the items with at least {MIN_RESPONSES} responses,"
    if not working:
        return f"{line} every girth 2PL estimator failed; Jatayu's online step: b {jatayu.b[last][1]:.3f}, a {jatayu.a[last][1]:.3f}."
    best = min(working, key=lambda r: r.b[last][1] + r.a[last][1])
    jb, ja = jatayu.b[last][1], jatayu.a[last][1]
    gb, ga = best.b[last][1], best.a[last][1]
    line += (
        f" girth's best, {best.name.removeprefix('girth ')}, has b RMSE {gb:.3f} and a RMSE {ga:.3f} in "
        f"{best.seconds[last]:.2f} s, against Jatayu's online {jb:.3f} and {ja:.3f} at "
        f"{jatayu.seconds[last] * 1e6:.1f} µs an update (priors {prior.b[last][1]:.3f} and {prior.a[last][1]:.3f})"
    )
    if gb < jb and ga < ja:
        line += ": more accurate on both, worth a batch recompute"
    elif gb < jb or ga < ja:
        line += f": more accurate on {'b' if gb < jb else 'a'} only, a cross-check at most"
    else:
        line += ": less accurate than the online step, a cross-check at most"
    return line + (f"; {', '.join(failed)} failed or gave NaN." if failed else ".")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help=f"{QUICK_CHECKPOINTS[-1]} candidates, checkpoints {QUICK_CHECKPOINTS}"
    )
    parser.add_argument("--candidates", type=int, default=None, help=f"default {CHECKPOINTS[-1]}")
    parser.add_argument("--items", type=int, default=120, help="pool size (cat_simulation's default)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    base = QUICK_CHECKPOINTS if args.quick else CHECKPOINTS
    args.candidates = args.candidates or base[-1]
    checkpoints = tuple(sorted({n for n in base if n < args.candidates} | {args.candidates}))
    django_setup(quiet_below=logging.WARNING)
    started = time.perf_counter()
    rows, marks = simulate(candidates=args.candidates, items=args.items, seed=args.seed, checkpoints=checkpoints)
    from benchmarks.report import git_commit

    print(report(rows, marks, args=args, commit=git_commit(), seconds=time.perf_counter() - started))


if __name__ == "__main__":
    main()
