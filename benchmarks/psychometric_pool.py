"""The item pool and helpers shared by `benchmarks.psychometric_libraries` and its selection study
(`benchmarks.psychometric_selection`): cat_simulation's pool, the libraries' adapters and the answer model."""

import contextlib
import io
import math
import random
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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


def girth_fit(estimate: Callable[..., dict[str, Any]], matrix: Any) -> Any:
    """girth's difficulties for `matrix`, its warnings and scipy's prints (NaN results) kept off the report."""
    import numpy as np

    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        return np.asarray(estimate(matrix)["Difficulty"], dtype=float)


def catsim_bank(parameters: Any) -> Any:
    """A catsim ItemBank; its validation prints a blank line for a valid bank (catsim 0.21.0), kept off the report."""
    from catsim.item_bank import ItemBank

    with contextlib.redirect_stdout(io.StringIO()):
        return ItemBank(parameters)


def p_right(theta: float, b: float) -> float:
    return 1.0 / (1.0 + math.exp(-(theta - b)))


# --------------------------------------------------------------------------------------- calibration
