"""Per-attempt response signals (`psychometrics.response_times` states the rules): rapid guesses and
person fit. Signals for a recruiter to look closer, described in plain words, never used to score.

- A *rapid guess* is an answer faster than a tenth of the item's median time (between 1.5 s and
  10 s), the time being the server's, from the question sent to the answer received, less the
  connection's round trip. Until an item has MEDIAN_MIN_ANSWERS timed answers only the floor applies.
- *Person fit* is lz of the attempt's answers at its final θ, with the difficulties selection uses.
"""

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from assessments.models import Assessment, Response, Test
from assessments.psychometrics.response_times import (
    LZ_CUTOFF,
    misfits,
    person_fit_lz,
    rapid_guess,
    response_seconds,
)
from assessments.selectors.bank import bank_for

MEDIAN_MIN_ANSWERS = 20


@dataclass(frozen=True)
class ResponseSignals:
    answered: int
    rapid_response_ids: frozenset[int]
    person_fit: float | None  # lz; None with too few answers to judge

    @property
    def rapid_guesses(self) -> int:
        return len(self.rapid_response_ids)

    @property
    def misfit(self) -> bool:
        return misfits(self.person_fit)

    @property
    def anything(self) -> bool:
        return bool(self.rapid_guesses or self.misfit)

    def phrases(self) -> list[str]:
        """What a recruiter reads, short: only what was noticed (the report's legend says more)."""
        said = []
        if self.rapid_guesses:
            many = "answers" if self.rapid_guesses != 1 else "answer"
            said.append(f"{self.rapid_guesses} {many} too fast to read")
        if self.misfit and self.person_fit is not None:
            said.append(f"unusual answer pattern (person fit {self.person_fit:.1f})")
        return said


LEGEND = (
    "Answers too fast to read: faster than a tenth of the question's usual time (at least 1.5 s, at most 10 s), "
    "timed by the server less the network's round trip. Unusual answer pattern: hard questions right and easy "
    f"ones wrong more than this ability explains (person fit lz below {LZ_CUTOFF}). Signals to look closer, "
    "never used to score."
)


def answer_seconds(response: Response) -> float | None:
    """The candidate's time on the question (`response_times.response_seconds`); None if not timed."""
    if response.time_taken_ms is None:
        return None
    return response_seconds(sent_to_received_ms=response.time_taken_ms, round_trip_ms=response.round_trip_ms)


def item_median_seconds(*, test_ids: Iterable[int]) -> dict[int, float]:
    """Each question's median answer time, over its timed answers, once it has MEDIAN_MIN_ANSWERS."""
    times: dict[int, list[float]] = defaultdict(list)
    rows = Response.objects.filter(assessment__test_id__in=list(test_ids), time_taken_ms__isnull=False).only(
        "question_id", "time_taken_ms", "round_trip_ms"
    )
    for response in rows.iterator(chunk_size=2000):
        seconds = answer_seconds(response)
        if seconds is not None:
            times[response.question_id].append(seconds)
    return {qid: statistics.median(ts) for qid, ts in times.items() if len(ts) >= MEDIAN_MIN_ANSWERS}


def response_signals(*, assessments: Sequence[Assessment]) -> dict[int, ResponseSignals]:
    """The signals of each of these attempts, by id (two statements, and a bank per test)."""
    if not assessments:
        return {}
    medians = item_median_seconds(test_ids={a.test_id for a in assessments})
    by_attempt: dict[int, list[Response]] = defaultdict(list)
    answered = Response.objects.filter(assessment__in=[a.pk for a in assessments], credit__isnull=False).only(
        "id", "assessment_id", "question_id", "credit", "time_taken_ms", "round_trip_ms"
    )
    for response in answered:
        by_attempt[response.assessment_id].append(response)
    tests = {t.pk: t for t in Test.objects.filter(pk__in={a.test_id for a in assessments})}
    banks = {tid: bank_for(test=test) for tid, test in tests.items()}
    signals = {}
    for assessment in assessments:
        bank, responses = banks[assessment.test_id], by_attempt.get(assessment.pk, [])
        rapid = set()
        for response in responses:
            seconds = answer_seconds(response)
            if seconds is not None and rapid_guess(seconds=seconds, median_seconds=medians.get(response.question_id)):
                rapid.add(response.pk)
        overall = ((assessment.ai_state or {}).get("ability") or {}).get("overall")
        scored = [
            (bank.items[r.question_id].logit, float(r.credit or 0.0), bank.items[r.question_id].discrimination)
            for r in responses
            if r.question_id in bank.items and r.question_id not in bank.voided
        ]
        lz = person_fit_lz(theta=float(overall["theta"]), responses=scored) if overall else None
        signals[assessment.pk] = ResponseSignals(
            answered=len(responses), rapid_response_ids=frozenset(rapid), person_fit=lz
        )
    return signals
