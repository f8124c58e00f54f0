"""The tutor's leak guard on its own: what it must catch, and ordinary help it must let through.

Options as served: A Stack, B Queue, C Heap, D Linked list.
"""

import pytest

from assessments.ai.guard import AnswerGuard, reply_leaks

OPTIONS = ["Stack", "Queue", "Heap", "Linked list"]


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
    ],
)
def test_leaks_are_caught(key, reply):
    assert reply_leaks(reply, options=OPTIONS, correct_index=key)


@pytest.mark.parametrize(
    ("key", "reply"),
    [
        (1, "A stack is a good way to think about it."),
        (0, "Try to answer a simpler question first."),
        (0, "The right one is the one you can justify: first, think about what the question asks."),
        (1, "Think about which structures change order; two of the options are similar."),
        (0, "It is a good idea to compare the options."),
        (0, "No one can tell you that; go with your reasoning."),
        (2, "There are 3.5 reasons to read slowly."),
        (1, "Consider what each structure does when you remove an element."),
        (0, "The question has 4 options; a good approach is to eliminate what you know is false."),
        (2, "Not every option is wrong in the same way: rule out what contradicts the question."),
    ],
)
def test_ordinary_help_is_not_blocked(key, reply):
    assert not reply_leaks(reply, options=OPTIONS, correct_index=key)


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


def test_options_mentioned_counts_distinct_options_however_named():
    guard = AnswerGuard(options=OPTIONS, correct_index=2)
    assert guard.options_mentioned("Think about ordering.") == 0
    assert guard.options_mentioned("Is a stack like option B?") == 2
    assert guard.options_mentioned("not A, not the second option, not Linked List") == 3


def test_restating_the_question_is_not_a_leak():
    """The offline tutor quotes the prompt; a prompt with "right" in it and a number elsewhere is no verdict."""
    prompt = "Which option is right in case 5?"
    reply = f'The question asks: "{prompt}" It tests skill 3. Rule out what is clearly wrong.'
    assert reply_leaks(reply, options=OPTIONS, correct_index=2)  # without knowing the prompt: "right" … "3"
    guard = AnswerGuard(options=OPTIONS, correct_index=2, question_prompt=prompt)
    assert not guard.leaks(reply)
    assert guard.leaks(f'"{prompt}" The answer is C.')
