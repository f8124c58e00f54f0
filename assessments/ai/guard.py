"""Defence in depth for the tutor: a reply that gives away the key is never sent.

The key is never in the model's context, but a model can still work the answer out. Every reply is
checked, as it grows, for the correct option's text, its letter or number, or a statement of which
option is right; a leaking reply is replaced by a refusal.
"""

import base64
import binascii
import re

from assessments.ai.validation import normalise

REFUSAL = (
    "I can't tell you which option is correct, but I can help you reason about it: "
    "what does the question ask for, and which options can you rule out?"
)

_LETTERS = "ABCDEF"
_VERDICT = re.compile(
    r"\b(correct|right|true|best|answer|solution|pick|choose|select|go with|respuesta|correcta|réponse|richtig|antwort)\b",
    re.IGNORECASE,
)
_OPTION_REFERENCE = r"(?:option|choice|answer|letter|number|no\.?|#|opción|opcion|réponse|antwort)"


def _mentions_text(reply_normalised: str, option_text: str) -> bool:
    target = normalise(option_text)
    if not target:
        return False
    return re.search(rf"(?<!\w){re.escape(target)}(?!\w)", reply_normalised) is not None


def _decoded_fragments(reply: str) -> list[str]:
    """Base64 runs in the reply, decoded, so an encoded key is caught too."""
    decoded = []
    for run in re.findall(r"[A-Za-z0-9+/]{8,}={0,2}", reply):
        try:
            decoded.append(base64.b64decode(run + "=" * (-len(run) % 4), validate=True).decode("utf-8"))
        except (binascii.Error, UnicodeDecodeError, ValueError):
            continue
    return decoded


def reply_leaks(reply: str, *, options: list[str], correct_index: int) -> bool:
    """Does this reply name the correct option, its letter or index, or say which option is right?"""
    texts = [reply, *_decoded_fragments(reply)]
    correct_text = options[correct_index]
    letter = _LETTERS[correct_index]
    number = str(correct_index + 1)
    wrong = [o for i, o in enumerate(options) if i != correct_index]
    for text in texts:
        flat = normalise(text)
        if _mentions_text(flat, correct_text) and len(normalise(correct_text)) > 1:
            return True
        if text.strip().strip(".!?)(\"' ").upper() in {letter, number}:
            return True  # the whole reply is just the letter or the number
        if wrong and all(_mentions_text(flat, o) for o in wrong):
            return True  # ruling out every other option names the answer just the same
        if re.search(rf"{_OPTION_REFERENCE}\s*[:(\[]?\s*({letter}|{number})\b", text, re.IGNORECASE):
            return True
        if re.search(rf"(^|[\s(\[]){letter}[).\]]", text) or re.search(rf"\b{letter}\b\s*$", text.strip()):
            return True
        if _VERDICT.search(text) and re.search(rf"(?<![\w'\u2019]){letter}(?![\w'\u2019])", text):
            return True
        if _VERDICT.search(text) and re.search(rf"(?<![\w.]){number}(?![\w.])", text):
            return True
    return False
