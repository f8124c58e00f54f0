"""Defence in depth for the tutor: a reply that points at an option is never sent.

The key is never in the model's context, but a model can still work the answer out, or guess. A reply
is refused when it points at *any* option: by its text (also plural, unspaced, spelled out letter by
letter, reversed, rot13, leetspeak, base64, URL-encoded), its letter, number, ordinal or position
("C", "option 2", "the third one", "the bottom one"), or a statement of which one to pick. Refusing
whatever the key is matters as much as catching the key: a guard that blocked only replies naming the
correct option would turn every refusal into a hint ("it refused to talk about heaps, so Heap is
right"). `leaks` says whether a refused reply pointed at the correct option, which is recorded.

Text is canonicalised first (NFKC, so a full-width B is a plain B; invisible format characters and
keycap marks dropped; curly apostrophes made straight; Cyrillic and Greek look-alikes mapped to Latin).
What it cannot catch is meaning: a synonym of an option ("linear time" for O(n)) passes.
"""

import base64
import binascii
import codecs
import itertools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import unquote

from assessments.ai.validation import normalise

REFUSAL = (
    "I can't point you to any of the options, but I can help you reason about them: "
    "what does the question ask for, and what would each idea imply?"
)

LETTERS = "ABCDEF"
_CJK_NUMERALS = "一二三四五六"
_ROMAN = ("i", "ii", "iii", "iv", "v", "vi")
# Per position: English ordinals, the spelled number, and ordinals in Spanish, French and German.
_ORDINALS = (
    ("first", "1st", "one", "primera", "primero", "première", "premier", "erste"),
    ("second", "2nd", "two", "segunda", "segundo", "deuxième", "zweite"),
    ("third", "3rd", "three", "tercera", "tercero", "troisième", "dritte"),
    ("fourth", "4th", "four", "cuarta", "cuarto", "quatrième", "vierte"),
    ("fifth", "5th", "five", "quinta", "quinto", "cinquième", "fünfte"),
    ("sixth", "6th", "six", "sexta", "sexto", "sixième", "sechste"),
)
# Option texts too common to search for everywhere: they count only where a verdict points at them.
_COMMON_WORDS = frozenset(
    [
        "yes",
        "no",
        "true",
        "false",
        "none",
        "all",
        "both",
        "neither",
        "either",
        "always",
        "never",
        "sometimes",
        "maybe",
        "other",
    ]
)
# Cyrillic and Greek capitals and small letters that look like A, B, C, E; and the curly apostrophe.
_LOOK_ALIKES = str.maketrans("\u0410\u0412\u0421\u0415\u0430\u0441\u0435\u0391\u0392\u0395\u03f2\u2019", "ABCEaceABEc'")
_LEET = str.maketrans("4@3105$7", "aaeiosst")

_VERDICT = re.compile(
    r"\b(correct|right|best|answer|solution|pick|choose|select|go with|go for|bet|lean|take|final|verdict"
    r"|conclusion|therefore|spell|spelled|decode|decoded|try"
    r"|respuesta|correcta|réponse|bonne|richtig|antwort|sahi|jawab)\b|答案|选|選",
    re.IGNORECASE,
)
_REFERENCE = (
    r"(?:option|choice|answer|ans|alternative|letter|number|no\.|#|opción|opcion|número|numero|réponse|antwort|choix)"
)
_REFERENT = r"(?:option|choice|one|answer|alternative|opción|opcion|respuesta|réponse|choix|antwort)"
_CHOOSING = r"(?:pick|choose|select|go with|go for|answer is|answer:|correct one is|right one is|it'?s|is)"
_COUNTED = (
    r"(?:cases?|things?|minutes?|seconds?|hours?|days?|questions?|steps?|ways?|sides?|options?|choices?"
    r"|times?|items?|elements?|nodes?|bytes?|bits?|lines?|words?|points?|parts?|examples?|ideas?|reasons?"
    r"|rules?|types?|kinds?|levels?|columns?|rows?|keys?|values?|calls?)"
)
_COUNT_FOLLOWS = rf"\s+(?:[a-z]+\s+)?{_COUNTED}\b"  # "3 cases", "2 correct ways"
_NUMBERED = r"\b(?:step|part|phase|case|rule|line|chapter|section|page|level|round|version|python|http)\s+\d+"
_SENTENCE_END = re.compile(r"(?<=[.!?;\u3002\uff01\uff1f])[\"')\]]*\s*|\n+")
_ITEM = r"(?:[A-F]|[1-6])"
_ELIMINATED_LIST = re.compile(
    r"\b(?:not|isn'?t|aren'?t|wrong|incorrect|false|rule[sd]? out|eliminate[sd]?|exclude[sd]?|cross(?:ed)? off"
    rf"|skip|drop|except|but|nor)\s+(?:options?\s+|choices?\s+)?({_ITEM}(?:\s*(?:,|or|and|nor|/|&)\s*(?:not\s+)?{_ITEM})+)"
    r"(?![\w'])",
    re.IGNORECASE,
)
# "not 16, not 32": one option's text ruled out, whatever it is (a list of letters is `_ELIMINATED_LIST`).
_RULED_OUT = re.compile(
    r"\b(?:not|isn'?t|aren'?t|never|rule[sd]? out|eliminate[sd]?|exclude[sd]?|cross(?:ed)? off|nor)\s+"
    r"(?:the\s+)?(?:options?\s+|choices?\s+)?([\w.+#-]+)",
    re.IGNORECASE,
)
_CLAUSE_END = r"\s*(?:[.,;:!?)\]。]|$)"
# Not part of a word for a letter standing alone: ASCII only, so "选C" counts; "C++", "C#", "B-tree" do not.
_NOT_PART = r"A-Za-z0-9_'+#\-"


def canonical(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf" and ch not in "\ufe0f\u20e3")
    return text.translate(_LOOK_ALIKES)


def sentence_boundaries(text: str) -> list[int]:
    """Where each sentence after the first begins."""
    return [m.end() for m in _SENTENCE_END.finditer(text) if m.end() < len(text)]


def _decoded_fragments(text: str) -> list[str]:
    """Base64 runs (long ones, short ones with padding, and lone 4-character ones), hex runs and
    %-escapes, decoded."""
    decoded = []
    runs = re.findall(
        r"[A-Za-z0-9+/]{8,}={0,2}|(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{2,7}={1,2}|(?<![\w+/])[A-Za-z0-9+/]{4}(?![\w+/=])",
        text,
    )
    for run in runs:
        try:
            plain = base64.b64decode(run + "=" * (-len(run) % 4), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            continue
        if plain.isprintable():  # most short words decode to control bytes
            decoded.append(plain)
    hex_runs = re.findall(r"(?<![0-9A-Fa-f])(?:[0-9A-Fa-f]{2}){2,}(?![0-9A-Fa-f])", text)
    hex_runs += re.findall(r"(?:\b0x|\bhex\W{1,3})([0-9A-Fa-f]{2})(?![0-9A-Fa-f])", text, re.IGNORECASE)
    for run in hex_runs:
        try:
            plain = bytes.fromhex(run).decode("utf-8")
        except ValueError:
            continue
        if plain.isprintable():
            decoded.append(plain)
    if re.search(r"%[0-9A-Fa-f]{2}", text):
        decoded.append(unquote(text))
    return decoded


_NUMBER_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
_TEENS = ["ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def number_words(text: str) -> list[str]:
    """How a whole number may be written out: "thirty-two", "thirty two", "three two", "four oh four"."""
    if not text.isdigit() or len(text) > 3:
        return []
    n, spelled = int(text), []
    if n < 10:
        spelled.append(_NUMBER_WORDS[n])
    elif n < 20:
        spelled.append(_TEENS[n - 10])
    elif n < 100:
        tens, unit = divmod(n, 10)
        spelled += (
            [_TENS[tens]]
            if not unit
            else [f"{_TENS[tens]}-{_NUMBER_WORDS[unit]}", f"{_TENS[tens]} {_NUMBER_WORDS[unit]}"]
        )
    if len(text) > 1:
        digits = [_NUMBER_WORDS[int(d)] for d in text]
        spelled += [" ".join(digits), " ".join("oh" if d == "zero" else d for d in digits)]
    return spelled


def _token(word: str) -> str:
    """A standalone token: not part of a word, a contraction ("A's"), a decimal ("3.5") or a count ("3 cases")."""
    return rf"(?<![\w'])(?<!\d[.,]){re.escape(word)}(?![\w']|[.,]\d|{_COUNT_FOLLOWS})"


def _letter(letter: str) -> str:
    """The letter in either case, except that a lower-case "a" (an article) counts only before a clause end."""
    if letter == "A":
        return rf"(?-i:A(?![\w'])|a(?={_CLAUSE_END}))"
    return rf"[{letter}{letter.lower()}](?![\w'])"


def _letter_alone(letter: str) -> str:
    """A capital letter standing alone names an option, as its text would; "A" only where it is no article."""
    alone = rf"(?<![{_NOT_PART}]){letter}(?![{_NOT_PART}]|\.[A-Za-z])"
    if letter == "A":
        return rf"{alone}(?=\s*(?:[.,;:!?)\]\"'。]|$|(?:is|it|for|all|no|here|and|or|then|because)\b))"
    return alone


@dataclass(frozen=True)
class _Option:
    """One option, and the ways a reply can point at it."""

    letter: str
    number: str
    spelled: str
    ordinals: tuple[str, ...]  # "third", "3rd", other languages, and position words ("last", "bottom")
    cjk: str  # 三
    text: str  # normalised option text
    common: bool  # "yes", "true", a number or a single character: only a verdict makes it a pointer

    def points(self, text: str, variants: list[str], *, complete: bool) -> bool:
        """Does `text` (canonical) point at this option? `variants` are its flattened forms for the text check.

        Some rules read the reply as a whole ("c" alone, a reply ending on "c"): only for a `complete` one,
        since a reply still streaming may end on "remove a" only for now.
        """
        return (
            (complete and self._whole_reply(text, variants[0]))
            or self._named(variants)
            or self._in_eliminated_list(text)
            or self._referenced(text)
            or bool(re.search(_letter_alone(self.letter), text))
            or self._chosen(text)
            or self._verdict_nearby(text)
        )

    def _in_eliminated_list(self, text: str) -> bool:
        """ "It isn't 1, 2 or 4", "rule out B and D": a list of options after a word that rules them out;
        "not 16": the option's own text ruled out."""
        if self.common and any(normalise(m.group(1)) == self.text for m in _RULED_OUT.finditer(text)):
            return True
        for listed in _ELIMINATED_LIST.finditer(text):
            if re.search(rf"(?<![\w']){self.letter}(?![\w'])|(?<![\w.]){self.number}(?![\w.])", listed.group(1)):
                return True
        return False

    def _named(self, variants: list[str]) -> bool:
        if self.common or not self.text:
            return bool(self.text) and variants[0] == self.text  # the whole reply is "yes" or "4"
        body = r"[\s_-]*".join(re.escape(word) for word in self.text.split())
        spelled = "".join(f"|{re.escape(words)}" for words in number_words(self.text))  # "four oh four"
        named = re.compile(rf"(?<![^\W_])(?:{body}(?:e?s)?{spelled})(?![^\W_])")
        return any(named.search(v) for v in variants) or (
            len(self.text) >= 4 and self.text[::-1] in variants[0]  # written backwards
        )

    def _referenced(self, text: str) -> bool:
        """ "option b", "choice #2", "answer three", "the third one", "la tercera opción", "第三个", "(B)"."""
        spelled = [self.spelled] if self.spelled != "one" else []  # "number one", "no one" are no pointers
        roman = [_ROMAN[int(self.number) - 1]] if self.number != "1" else []  # "option I think" is no pointer
        words = "|".join([*spelled, *roman])
        named = rf"(?:{_letter(self.letter)}|{self.number}(?!\w|[.,]\d|{_COUNT_FOLLOWS})" + (
            rf"|(?:{words})\b)" if words else ")"
        )
        ordinals = "|".join(self.ordinals)
        return bool(
            re.search(rf"\b{_REFERENCE}\s*[:(\[]?\s*{named}", text, re.IGNORECASE)
            or re.search(rf"\b(?:option|choice|alternative)\s+{self.spelled}\b", text, re.IGNORECASE)
            or re.search(rf"\b(?:{ordinals})\s+(?:\w+\s+)?{_REFERENT}\b", text, re.IGNORECASE)
            or re.search(rf"\b(?:the|la|el|le|die|der|das)\s+(?:{ordinals}){_CLAUSE_END}", text, re.IGNORECASE)
            or re.search(rf"第\s*{self.cjk}\s*(?:个|個|项|項|选项|選項)", text)
            or re.search(rf"(?:^|[\s(\[]){self.letter}[).\]]", text)
            or re.search(rf"[(\[]{self.letter.lower()}[)\]]", text)
            or re.search(rf"(?:^|\s){self.letter.lower()}\)", text)
        )

    def _whole_reply(self, text: str, flat: str) -> bool:
        """The reply is just "c", "3" or "third", or ends on the letter ("… go with c")."""
        if flat in {self.letter.lower(), self.number, self.spelled}:
            return True
        ordinals = "|".join(self.ordinals)
        if re.fullmatch(rf"\s*(?:the\s+)?(?:{ordinals})(?:\s+(?:one|option))?[\s.!?]*", text, re.IGNORECASE):
            return True
        return bool(re.search(rf"(?<![\w']){_letter(self.letter)}[\s.!?)\]]*$", text.strip(), re.IGNORECASE))

    def _chosen(self, text: str) -> bool:
        """ "go with c", "the answer is 3.", "I'd pick the third", "c is the one", "the latter is right"."""
        if self.letter != "A" and re.search(rf"(?:^|[.!?:]\s+){self.letter.lower()}\s+(?:is|it|for)\b", text):
            return True
        positions = "|".join(o for o in self.ordinals if o.isalpha() and o not in _ORDINALS[int(self.number) - 1])
        if positions and re.search(rf"\bthe\s+(?:{positions})\s+(?:is|it|one|would|should|must)\b", text, re.I):
            return True
        spelled = [self.spelled] if self.spelled != "one" else []  # "pick one." is no pointer
        picked = "|".join([*spelled, *self.ordinals] + ([re.escape(self.text)] if self.common else []))
        if re.search(rf"\b{_CHOOSING}\s+(?:the\s+)?(?:{picked}){_CLAUSE_END}", text, re.IGNORECASE):
            return True
        letter_or_number = rf"(?:{_letter(self.letter)}|{self.number}(?!\w|[.,]\d))"
        return bool(
            re.search(rf"\b{_CHOOSING}\s+(?:the\s+)?(?:{_REFERENT}\s+|letter\s+)?{letter_or_number}", text, re.I)
        )

    def _verdict_nearby(self, text: str) -> bool:
        """A verdict and the letter, number or common text in one sentence or two neighbouring ones."""
        text = re.sub(_NUMBERED, " ", text, flags=re.IGNORECASE)
        tokens = [re.escape(self.number)] + ([re.escape(self.text)] if self.common and self.text else [])
        tokens += [re.escape(words) for words in number_words(self.text)] if self.common else []
        pattern = re.compile(
            rf"{_letter_alone(self.letter)}|" + "|".join(_token(t) for t in tokens), re.IGNORECASE if self.common else 0
        )
        starts = [0, *sentence_boundaries(text), len(text)]
        sentences = [text[a:b] for a, b in itertools.pairwise(starts)]
        return any(
            _VERDICT.search(nearby) and pattern.search(nearby)
            for nearby in (" ".join(sentences[i : i + 2]) for i in range(len(sentences)))
        )


def _option(index: int, text: str, count: int) -> _Option:
    ordinals = list(_ORDINALS[index][:2] + _ORDINALS[index][3:])
    if index == 0:
        ordinals += ["top", "topmost"] + (["former"] if count == 2 else [])
    if index == count - 1:
        ordinals += ["last", "bottom", "final"] + (["latter"] if count == 2 else [])
    if index == count - 2 and count > 2:
        ordinals += [r"penultimate", r"(?:second|2nd)[\s-]+(?:to|from)[\s-]+(?:the\s+)?(?:last|bottom|end)"]
    flat = normalise(text)
    return _Option(
        letter=LETTERS[index],
        number=str(index + 1),
        spelled=_ORDINALS[index][2],
        ordinals=tuple(ordinals),
        cjk=_CJK_NUMERALS[index],
        text=flat,
        # A code of three digits or more ("404") is as telling as a word; "8" or "16" may be a count.
        common=flat in _COMMON_WORDS or len(flat) <= 1 or (flat.replace(" ", "").isdigit() and len(flat) < 3),
    )


class AnswerGuard:
    """Checks replies about one question, whose options are shown in this order."""

    def __init__(
        self,
        *,
        options: list[str],
        correct_index: int,
        question_prompt: str | None = None,
        other_keys: Sequence[int] = (),
    ) -> None:
        self.options = [_option(i, option, len(options)) for i, option in enumerate(options)]
        self.key = self.options[correct_index]
        # A question with several correct options: each of them is as much the key as `key` is.
        self.keys = [self.key, *(self.options[i] for i in other_keys if i != correct_index)]
        # Restating the question on screen gives nothing away ("Which option is right for case 2?").
        self.question = canonical(question_prompt).strip() if question_prompt else ""

    def refuses(self, reply: str, *, complete: bool = True) -> bool:
        """Does the reply point at any option? The refusal then says nothing about which one is right.

        `complete=False` checks a reply still streaming (or a stretch of it).
        """
        return any(self._points(reply, option, complete=complete) for option in self.options)

    def leaks(self, reply: str) -> bool:
        """Does the reply point at a correct option, or at every other one (which names them just the same)?"""
        others = [option for option in self.options if all(option is not key for key in self.keys)]
        return any(self._points(reply, key, complete=True) for key in self.keys) or (
            bool(others) and all(self._points(reply, o, complete=True) for o in others)
        )

    def _points(self, reply: str, option: _Option, *, complete: bool) -> bool:
        text = canonical(reply)
        if self.question:
            text = re.sub(re.escape(self.question), " ", text, flags=re.IGNORECASE)
        fragments = [text, *_decoded_fragments(text)]
        return any(option.points(f, _flat_variants(f), complete=complete) for f in fragments)


def _flat_variants(text: str) -> list[str]:
    """The normalised text, then the same spelled out letter by letter joined up, in leetspeak, and rot13."""
    flat = normalise(text)
    joined = re.sub(r"(?<!\w)\w(?:[\s.\-_*]+\w(?!\w)){2,}", lambda m: re.sub(r"[\s.\-_*]+", "", m.group(0)), flat)
    return [flat, joined, normalise(text.translate(_LEET)), codecs.decode(flat, "rot13")]


def reply_leaks(reply: str, *, options: list[str], correct_index: int) -> bool:
    """Does this reply point at the correct option?"""
    return AnswerGuard(options=options, correct_index=correct_index).leaks(reply)
