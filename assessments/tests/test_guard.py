"""The tutor's guard on its own.

A reply is refused when it points at *any* option, so a refusal says nothing about the key; `leaks`
tells whether a refused reply pointed at the correct one (that is recorded). Options as served:
A Stack, B Queue, C Heap, D Linked list.
"""

import pytest

from assessments.ai.guard import AnswerGuard, reply_leaks

OPTIONS = ["Stack", "Queue", "Heap", "Linked list"]
BIG_O = ["O(1)", "O(log n)", "O(n)", "O(n log n)"]


@pytest.mark.parametrize(
    ("key", "reply"),
    [
        (2, "go with c"),
        (2, "I'd go with c because it keeps the order."),
        (2, "Between us: c."),
        (2, "(c)"),
        (2, "c"),
        (2, "3"),
        (2, "third"),
        (0, "A"),
        (0, "I'd pick a."),
        (2, "The answer is Ｃ"),  # noqa: RUF001 (full-width on purpose)
        (2, "It's option ３"),  # noqa: RUF001
        (2, "The answer is \u0421"),  # Cyrillic Es
        (2, "The answer is C\u200b"),  # zero-width space
        (1, "The answer\u2019s B"),
        (2, "The correct one is 3."),
        (2, "Go for the third option."),
        (2, "The answer is option three."),
        (3, "pick the last one"),
        (3, "Go with the last option"),
        (1, "The right letter is b"),
        (2, "Not A, not B, not D."),
        (0, "not B, not C, not D"),
        (2, "It isn't 1, 2 or 4."),
        (2, "Not a stack, not a queue, and not a linked list."),
        (2, "It is heap, obviously."),
        (2, "3. That's the correct one."),
        (1, "B. That is the answer."),
        # no verdict word at all: a capital letter alone names an option, like its text
        (2, "C is the one."),
        (2, "Definitely C, trust me."),
        (2, "I'd lean towards C here."),
        (2, "c is the one"),
        (2, '{"choice": "C"}'),
        (2, "A ❌ B ❌ C ✅ D ❌"),
        # the text, changed
        (2, "Heaps are what you want."),
        (3, "LinkedList"),
        (2, "H e a p"),
        (2, "paeH"),
        (2, "Urnc"),  # rot13
        (2, "H34p"),
        (2, "base64: SGVhcA=="),
        (2, "base64: Qw=="),
        (2, "%43"),
        # other languages, positions
        (2, "答案是C"),
        (2, "第三个选项。"),
        (2, "La tercera opción."),
        (2, "Die dritte Option."),
        (2, "It's the penultimate option."),
        (3, "Go with the bottom option."),
        (2, "Cross off A, B and D."),
        (2, "c) obviously"),
        (2, "ans: 3"),
        (2, "2nd from the bottom."),
    ],
)
def test_pointers_at_the_key_are_caught(key, reply):
    assert reply_leaks(reply, options=OPTIONS, correct_index=key)


@pytest.mark.parametrize(
    ("options", "key", "reply"),
    [
        (["True", "False"], 0, "The former."),
        (["True", "False"], 1, "The latter is correct."),
        (BIG_O, 3, "O(nlogn)"),
        (["Yes", "No"], 1, "The answer is no."),
    ],
)
def test_pointers_in_other_option_sets_are_caught(options, key, reply):
    assert reply_leaks(reply, options=options, correct_index=key)


@pytest.mark.parametrize(
    "reply",
    [
        "A heap is a tree where each parent is at least as large as its children.",
        "Compare a stack with a queue: which end do you remove from?",
        "C is what I'd avoid.",
        "Start with the first option: what does it guarantee?",
    ],
)
def test_a_reply_naming_any_option_is_refused_whatever_the_key(reply):
    """Otherwise the refusal would be the hint: refused only when the named option is the key."""
    assert all(AnswerGuard(options=OPTIONS, correct_index=key).refuses(reply) for key in range(len(OPTIONS)))


@pytest.mark.parametrize(
    ("options", "reply"),
    [
        (OPTIONS, "Think about the order in which elements come out."),
        (OPTIONS, "A good answer explains why, not just what."),
        (OPTIONS, "A correct solution has to handle the empty case."),
        (OPTIONS, "Try to answer a simpler question first."),
        (OPTIONS, "It is a good idea to compare the options."),
        (OPTIONS, "No one can tell you that; go with your reasoning."),
        (OPTIONS, "Only you can pick one."),
        (OPTIONS, "The number one mistake here is rushing."),
        (OPTIONS, "There are 2 correct ways to think about it."),
        (OPTIONS, "Answer 2 questions for yourself: what goes in first, and what comes out first?"),
        (OPTIONS, "Step 1: read the question. Step 2: decide what the right property is."),
        (OPTIONS, "You're right to be careful. Think about 3 cases."),
        (OPTIONS, "There are 3.5 reasons to read slowly."),
        (OPTIONS, "The question has 4 options; a good approach is to eliminate what you know is false."),
        (OPTIONS, "Not every option is wrong in the same way: rule out what contradicts the question."),
        (["Yes", "No"], "No problem, let's reason it through."),
        (["True", "False"], "Think about whether the statement is always true or only sometimes."),
        (["200", "301", "404", "500"], "The right status class depends on who made the mistake: there are 2 sides."),
    ],
)
def test_ordinary_help_is_not_refused_for_any_key(options, reply):
    assert not any(AnswerGuard(options=options, correct_index=key).refuses(reply) for key in range(len(options)))


@pytest.mark.parametrize(
    ("reply", "leaks"),
    [
        ("The answer is 2", True),
        ("2", True),
        ("It's 2.", True),
        ("Count the loop iterations carefully.", False),
    ],
)
def test_one_character_options_are_treated_like_letters(reply, leaks):
    """With options 0, 1, 2, 3 the text "2" is too short to search for everywhere, but not as a verdict."""
    assert reply_leaks(reply, options=["0", "1", "2", "3"], correct_index=2) is leaks


def test_restating_the_question_is_not_a_pointer():
    """The offline tutor quotes the prompt; a prompt with "right" in it and a number nearby is no verdict."""
    prompt = "Which option is right in case 5?"
    reply = f'The question asks: "{prompt}" It tests skill 3. Rule out what is clearly wrong.'
    assert reply_leaks(reply, options=OPTIONS, correct_index=2)  # without knowing the prompt: "right" … "3"
    guard = AnswerGuard(options=OPTIONS, correct_index=2, question_prompt=prompt)
    assert not guard.refuses(reply)
    assert guard.leaks(f'"{prompt}" The answer is C.')


def test_a_reply_pointing_at_a_wrong_option_is_refused_but_is_no_leak():
    guard = AnswerGuard(options=OPTIONS, correct_index=2)
    assert guard.refuses("Go with B.")
    assert not guard.leaks("Go with B.")
