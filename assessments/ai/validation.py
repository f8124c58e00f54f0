"""The gate every generated item passes before a candidate sees it."""

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from difflib import SequenceMatcher

NEAR_DUPLICATE_RATIO = 0.85


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    text = re.sub(r"[^\w\s]", " ", text)
    return " ".join(text.split())


def is_near_duplicate(prompt: str, others: Iterable[str]) -> bool:
    mine = normalise(prompt)
    return any(SequenceMatcher(None, mine, normalise(other)).ratio() >= NEAR_DUPLICATE_RATIO for other in others)


@dataclass
class Verdict:
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def item_validate(*, prompt: str, options: list[str], correct_option: int, known_prompts: Iterable[str]) -> Verdict:
    """Structural checks plus near-duplicate detection against prompts already asked or in the bank."""
    verdict = Verdict()
    if not prompt or not prompt.strip():
        verdict.problems.append("empty prompt")
    if not 2 <= len(options) <= 6:
        verdict.problems.append(f"{len(options)} options (2 to 6 allowed)")
    normalised = [normalise(o) for o in options]
    if any(not o for o in normalised):
        verdict.problems.append("an empty option")
    if len(set(normalised)) != len(normalised):
        verdict.problems.append("duplicate options")
    if not 0 <= correct_option < len(options):
        verdict.problems.append(f"correct_option {correct_option} out of range")
    if prompt and is_near_duplicate(prompt, known_prompts):
        verdict.problems.append("near-duplicate of a question already asked or in the bank")
    return verdict
