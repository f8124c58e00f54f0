"""The gate every generated item passes before a candidate sees it.

`item_validate` is the part that needs no model: the shape of the item, and what words alone can
judge (the prompt says something, the options are of one kind). `generation.item_generate` adds the model's part: an independent solver, and a
key-blind review (`providers.Review`) of whether the prompt is about the skill, whether the options
answer it and exclude each other, and which option the explanation supports.
"""

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from difflib import SequenceMatcher

NEAR_DUPLICATE_RATIO = 0.85
MIN_PROMPT_WORDS = 4
MIN_PROMPT_CONTENT_WORDS = 2

# Each rejection is counted by its reason, so the reasons are fixed strings.
EMPTY_PROMPT = "empty prompt"
VAGUE_PROMPT = "prompt too short or vague to be a question"
OPTION_COUNT = "not 2 to 6 options"
EMPTY_OPTION = "an empty option"
DUPLICATE_OPTIONS = "duplicate options"
MIXED_OPTIONS = "options of mixed kinds"
KEY_OUT_OF_RANGE = "correct_option out of range"
NO_EXPLANATION = "no explanation"
NEAR_DUPLICATE = "near-duplicate of a question already asked or in the bank"

# Words that say nothing about what a question is about.
FILLER = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
        "for",
        "with",
        "by",
        "is",
        "are",
        "be",
        "which",
        "what",
        "when",
        "why",
        "how",
        "does",
        "do",
        "this",
        "that",
        "these",
        "those",
        "it",
        "its",
        "as",
        "at",
        "from",
        "not",
        "no",
        "one",
        "two",
        "skill",
        "skills",
        "question",
        "questions",
        "answer",
        "option",
        "options",
        "correct",
        "following",
        "best",
        "true",
        "false",
        "about",
        "use",
        "used",
        "using",
        "job",
        "role",
        "engineer",
        "developer",
        "candidate",
        "test",
    ]
)
NUMBER = re.compile(r"[-+]?(\d+([.,]\d+)*|\.\d+)\s*(%|[a-zµ]{1,3})?", re.IGNORECASE)


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    text = re.sub(r"[^\w\s]", " ", text)
    return " ".join(text.split())


def content_words(text: str) -> set[str]:
    """The words that carry meaning, crudely stemmed ("indexes" and "index" meet)."""
    words = set()
    for word in normalise(text).split():
        if len(word) < 2 or word in FILLER:
            continue
        words.add(re.sub(r"(es|s)$", "", word) if len(word) > 4 else word)
    return words


def option_kind(option: str) -> str:
    return "number" if NUMBER.fullmatch(option.strip()) else "text"


def is_near_duplicate(prompt: str, others: Iterable[str]) -> bool:
    mine = normalise(prompt)
    return any(SequenceMatcher(None, mine, normalise(other)).ratio() >= NEAR_DUPLICATE_RATIO for other in others)


@dataclass
class Verdict:
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def item_validate(
    *,
    prompt: str,
    options: list[str],
    correct_option: int,
    known_prompts: Iterable[str],
    explanation: str | None = None,
) -> Verdict:
    """What can be judged without a model; `explanation=None` skips the checks that need it."""
    verdict = Verdict()
    problems = verdict.problems
    if not prompt or not prompt.strip():
        problems.append(EMPTY_PROMPT)
    elif len(normalise(prompt).split()) < MIN_PROMPT_WORDS or len(content_words(prompt)) < MIN_PROMPT_CONTENT_WORDS:
        problems.append(VAGUE_PROMPT)
    if not 2 <= len(options) <= 6:
        problems.append(OPTION_COUNT)
    normalised = [normalise(o) for o in options]
    if any(not o for o in normalised):
        problems.append(EMPTY_OPTION)
    if len(set(normalised)) != len(normalised):
        problems.append(DUPLICATE_OPTIONS)
    if len({option_kind(o) for o in options}) > 1:
        problems.append(MIXED_OPTIONS)
    if not 0 <= correct_option < len(options):
        problems.append(KEY_OUT_OF_RANGE)
    if explanation is not None and not explanation.strip():
        problems.append(NO_EXPLANATION)
    if prompt and is_near_duplicate(prompt, known_prompts):
        problems.append(NEAR_DUPLICATE)
    return verdict
