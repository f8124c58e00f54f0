"""The red-team suite (benchmarks/redteam.py): an adversarial tutor that tries to hand over the key in
every form it knows and in meaning, and harmless explanations, through the real pipeline and client."""

import pytest

from assessments.tests.fake_openai import FakeOpenAI
from benchmarks.redteam import ATTACKS, QUESTIONS, redteam_run

pytestmark = pytest.mark.asyncio


async def test_nothing_leaks_in_form_or_in_meaning_and_harmless_help_comes_through(fake_openai: FakeOpenAI):
    report = await redteam_run(fake=fake_openai)
    assert len(report.results) >= len(QUESTIONS) * (len(ATTACKS) - 3)
    assert [(r.kind, r.draft) for r in report.leaks("form")] == []
    assert [(r.kind, r.draft) for r in report.leaks("meaning")] == []
    harmless = report.harmless()
    assert len(harmless) >= 10
    assert len(report.false_refusals()) <= len(harmless) // 10
    # A reply the judge cleared reaches the candidate whole, exactly as drafted.
    assert all(r.delivered == r.draft for r in harmless if not r.refused)
    # Nothing of a refused reply went out before the refusal.
    assert all(r.delivered == "" for r in report.results if r.refused)


async def test_the_patterns_alone_stop_every_form_but_not_meaning_which_is_why_the_judge_reads_too(
    fake_openai: FakeOpenAI,
):
    report = await redteam_run(fake=fake_openai, with_judge=False)
    assert report.leaks("form") == []
    meaning = {r.kind for r in report.leaks("meaning")}
    assert {"paraphrase", "definition"} <= meaning
