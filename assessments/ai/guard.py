"""Defence in depth for the tutor: a reply that gives away the key is never sent.

The key is never in the model's context, but a model can still work the answer out. Every reply is
checked for the correct option's text, its letter, number or ordinal ("B", "option 2", "the second
one"), a statement of which option is right, or the elimination of every other option; a leaking
reply is replaced by a refusal. The check is deliberately conservative: a reply that merely names
the correct option's text is blocked too.

Text is canonicalised first (NFKC, so a full-width B is a plain B; invisible format characters dropped; curly apostrophes made straight;
Latin look-alikes from Cyrillic and Greek mapped to Latin), and base64 runs are decoded and checked.
"""

import base64
import binascii
import re
import unicodedata
from dataclasses import dataclass

from assessments.ai.validation import normalise

REFUSAL = (
    "I can't tell you which option is correct, but I can help you reason about it: "
    "what does the question ask for, and which options can you rule out?"
)

LETTERS = "ABCDEF"
_ORDINALS = (
    ("first", "1st", "one"),
    ("second", "2nd", "two"),
    ("third", "3rd", "three"),
    ("fourth", "4th", "four"),
    ("fifth", "5th", "five"),
    ("sixth", "6th", "six"),
)
# Cyrillic and Greek capitals and small letters that look like A, B, C, E; and the curly apostrophe.
_LOOK_ALIKES = str.maketrans("\u0410\u0412\u0421\u0415\u0430\u0441\u0435\u0391\u0392\u0395\u03f2\u2019", "ABCEaceABEc'")

_VERDICT = re.compile(
    r"\b(correct|right|true|best|answer|solution|pick|choose|select|go with|go for"
    r"|respuesta|correcta|réponse|richtig|antwort)\b",
    re.IGNORECASE,
)
_ELIMINATION = re.compile(
    r"\b(not|isn'?t|aren'?t|wrong|incorrect|false|rule[sd]? out|eliminate[sd]?|exclude[sd]?|nor|except)\b",
    re.IGNORECASE,
)
_REFERENCE = r"(?:option|choice|answer|alternative|letter|number|no\.|#|opción|opcion|réponse|antwort)"
_CHOOSING = r"(?:pick|choose|select|go with|go for|answer is|answer:|correct one is|right one is|it'?s|is)"
_REFERENT = r"(?:option|choice|one|answer|alternative)"


def canonical(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return text.translate(_LOOK_ALIKES)


def _decoded_fragments(reply: str) -> list[str]:
    """Base64 runs in the reply, decoded, so an encoded key is caught too."""
    decoded = []
    for run in re.findall(r"[A-Za-z0-9+/]{8,}={0,2}", reply):
        try:
            decoded.append(base64.b64decode(run + "=" * (-len(run) % 4), validate=True).decode("utf-8"))
        except (binascii.Error, UnicodeDecodeError, ValueError):
            continue
    return decoded


def _token(word: str) -> str:
    """A standalone token: not part of a word, a contraction ("A's") or a decimal ("3.5")."""
    return rf"(?<![\w'])(?<!\d[.,]){re.escape(word)}(?![\w']|[.,]\d)"


_SENTENCE_END = re.compile(r"(?<=[.!?;])[\"')\]]*\s+|\n+")
_CLAUSE_END = r"\s*(?:[.,;:!?)\]]|$)"


def _letter(letter: str) -> str:
    """The letter in either case, except that a lower-case "a" (an article) counts only before a clause end."""
    if letter == "A":
        return rf"(?-i:A(?![\w'])|a(?={_CLAUSE_END}))"
    return rf"[{letter}{letter.lower()}](?![\w'])"


@dataclass(frozen=True)
class _Option:
    """One option as a reply can point at it without quoting it."""

    letter: str
    number: str
    spelled: str
    ordinals: tuple[str, ...]  # "third", "3rd", and "last" for the last option
    text: str  # normalised option text

    def by_reference(self, text: str) -> bool:
        """ "option b", "choice #2", "answer three", "the third one", "(B)", "B)" at a line start."""
        named = rf"(?:{_letter(self.letter)}|{self.number}(?!\w|[.,]\d)|{self.spelled}\b)"
        ordinal = "|".join(self.ordinals)
        return bool(
            re.search(rf"\b{_REFERENCE}\s*[:(\[]?\s*{named}", text, re.IGNORECASE)
            or re.search(rf"\b(?:{ordinal})\s+{_REFERENT}\b", text, re.IGNORECASE)
            or re.search(rf"(?:^|[\s(\[]){self.letter}[).\]]", text)
            or re.search(rf"[(\[]{self.letter.lower()}[)\]]", text)
        )

    def as_token(self, text: str) -> bool:
        """The letter (upper case) or the number standing alone somewhere in the text."""
        return bool(re.search(_token(self.letter), text) or re.search(_token(self.number), text))

    def text_in(self, flat: str) -> bool:
        return bool(self.text) and re.search(rf"(?<!\w){re.escape(self.text)}(?!\w)", flat) is not None

    def mentioned(self, text: str, flat: str) -> bool:
        return self.by_reference(text) or self.as_token(text) or self.text_in(flat)


class AnswerGuard:
    """Checks replies about one question, whose options are shown in this order."""

    def __init__(self, *, options: list[str], correct_index: int, question_prompt: str | None = None) -> None:
        last = len(options) - 1
        self.options = [
            _Option(
                letter=LETTERS[i],
                number=str(i + 1),
                spelled=_ORDINALS[i][2],
                ordinals=(*_ORDINALS[i][:2], *(("last",) if i == last else ())),
                text=normalise(option),
            )
            for i, option in enumerate(options)
        ]
        self.key = self.options[correct_index]
        self.others = [o for i, o in enumerate(self.options) if i != correct_index]
        # Restating the question on screen gives nothing away ("Which option is right for case 2?").
        self.question = canonical(question_prompt).strip() if question_prompt else ""

    def leaks(self, reply: str) -> bool:
        """Does this reply name the correct option, point at it, or rule out every other one?"""
        text = canonical(reply)
        if self.question:
            text = re.sub(re.escape(self.question), " ", text, flags=re.IGNORECASE)
        return any(self._leaks(fragment) for fragment in [text, *_decoded_fragments(text)])

    def options_mentioned(self, reply: str) -> int:
        """How many distinct options the reply points at, in any way the guard recognises."""
        text = canonical(reply)
        flat = normalise(text)
        return sum(option.mentioned(text, flat) for option in self.options)

    def _leaks(self, text: str) -> bool:
        flat = normalise(text)
        key = self.key
        if len(key.text) > 1 and key.text_in(flat):
            return True
        if flat in {key.letter.lower(), key.number, key.spelled, key.text, *key.ordinals}:
            return True  # the whole reply is just the letter, the number, "third" or a one-character text
        if key.by_reference(text) or self._chosen(text):
            return True
        if self.others and all(o.text_in(flat) for o in self.others):
            return True  # naming every other option leaves only the answer
        # "not A, not B, not D"
        return (
            bool(self.others) and bool(_ELIMINATION.search(text)) and all(o.mentioned(text, flat) for o in self.others)
        )

    def _chosen(self, text: str) -> bool:
        """A reply that says which one to pick: "go with c", "the answer is 3.", "I'd pick the third"."""
        key = self.key
        if re.search(rf"(?<![\w']){_letter(key.letter)}[\s.!?)\]]*$", text.strip(), re.IGNORECASE):
            return True  # the reply ends on the letter
        picked = "|".join([key.spelled, *key.ordinals, *([re.escape(key.text)] if len(key.text) == 1 else [])])
        if re.search(rf"\b{_CHOOSING}\s+(?:the\s+)?(?:{picked}){_CLAUSE_END}", text, re.IGNORECASE):
            return True
        if re.search(
            rf"\b{_CHOOSING}\s+(?:the\s+)?(?:{_REFERENT}\s+|letter\s+)?{_letter(key.letter)}", text, re.IGNORECASE
        ):
            return True
        # A verdict and the key's letter or number in one sentence or two neighbouring ones ("2. That's it.").
        tokens = [key.letter, key.number] + ([key.text] if len(key.text) == 1 else [])
        sentences = _SENTENCE_END.split(text)
        return any(
            _VERDICT.search(nearby) and any(re.search(_token(token), nearby) for token in tokens)
            for nearby in (" ".join(sentences[i : i + 2]) for i in range(len(sentences)))
        )


def reply_leaks(reply: str, *, options: list[str], correct_index: int) -> bool:
    """Does this reply name the correct option, its letter or index, or say which option is right?"""
    return AnswerGuard(options=options, correct_index=correct_index).leaks(reply)
