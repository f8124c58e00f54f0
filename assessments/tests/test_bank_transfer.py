"""Question banks in and out of CSV and GIFT files: the parsers report every problem with its line,
an import is all or nothing (a dry run checks the same and writes nothing), duplicates are skipped,
and what an export writes imports back as the same questions."""

import pytest

from assessments.errors import ApplicationError, BackOfficeCode
from assessments.models import Question, Skill, Test
from assessments.services.bank_transfer import (
    ParsedBank,
    ParsedQuestion,
    bank_export_csv,
    bank_export_gift,
    bank_import,
    questions_parse_csv,
    questions_parse_gift,
)
from assessments.services.blueprints import QuestionSpec
from assessments.tests.factories import QuestionFactory, SkillFactory, TestFactory

pytestmark = pytest.mark.django_db

HEADER = "skill,difficulty,prompt,option_1,option_2,option_3,option_4,option_5,option_6,correct,explanation\n"


def problems(parsed: ParsedBank) -> list[str]:
    return [str(p) for p in parsed.problems]


def refusal(test: Test, parsed: ParsedBank, *, dry_run: bool = False) -> list[str]:
    with pytest.raises(ApplicationError) as refused:
        bank_import(test=test, parsed=parsed, dry_run=dry_run)
    assert refused.value.code == BackOfficeCode.IMPORT_INVALID
    return list(refused.value.extra["problems"])


def bank(test: Test) -> list[tuple[str, str, list[str], int, str, str]]:
    questions = Question.objects.filter(test=test).select_related("skill").order_by("id")
    return [(q.skill.name, q.prompt, q.options, q.correct_option, q.explanation, q.difficulty) for q in questions]


def blueprint_with_skills(*names: str) -> Test:
    test = TestFactory.create(status=Test.Status.DRAFT)
    for order, name in enumerate(names):
        SkillFactory.create(test=test, name=name, order=order)
    return test


# ---------------------------------------------------------------- CSV


def test_csv_reads_a_header_in_any_case_a_bom_extra_empty_option_columns_and_quoted_lines() -> None:
    text = (
        "\ufeffSKILL,Difficulty,Prompt,Option 1,option_2,OPTION_3,option_4,option_5,option_6,option_7,Correct,Explanation\r\n"
        'SQL,hard,"Which clause\nfilters groups?",WHERE,HAVING,,,,,,2,Groups first.\r\n'
        "\r\n"
        'Python,,Which is a tuple?,[1],(1;),"(1,)",,,,,"(1,)",\r\n'
    )

    parsed = questions_parse_csv(text=text)

    assert problems(parsed) == []
    assert [(q.line, q.spec) for q in parsed.questions] == [
        (2, QuestionSpec("SQL", "Which clause\nfilters groups?", ["WHERE", "HAVING"], 1, "Groups first.", "hard")),
        (5, QuestionSpec("Python", "Which is a tuple?", ["[1]", "(1;)", "(1,)"], 2, "", "medium")),
    ]


def test_csv_reports_every_problem_of_every_row_with_its_line() -> None:
    text = HEADER + (
        'SQL,,Two keys,a,b,c,,,,"1,3",\n'  # line 2
        "SQL,,One option,a,,,,,,1,\n"
        "SQL,,Same twice,Yes,yes,,,,,1,\n"
        "SQL,expert,,a,b,,,,,,\n"  # line 5: three problems
        "SQL,,Out of range,a,b,,,,,4,\n"
        "SQL,,Unknown text,a,b,,,,,c,\n"
        "SQL,,Too wide,a,b,,,,,1,,surplus\n"
        "SQL,,Fine,a,b,,,,,b,\n"
    )

    parsed = questions_parse_csv(text=text)

    assert problems(parsed) == [
        "line 2: the question has 2 correct answers; a question here has exactly one",
        "line 3: the question has 1 option(s); it needs 2 to 6",
        "line 4: options 1 and 2 are the same ('yes'); each option must differ",
        "line 5: the prompt is empty",
        "line 5: no correct answer: give the number of the right option or its exact text",
        "line 5: difficulty 'expert' is not easy, medium or hard",
        "line 6: correct is 4 but there is no option_4, or it is empty",
        "line 7: correct 'c' is neither an option's number nor exactly one of the options",
        "line 8: 12 values: more than the header has columns",
    ]
    assert [(q.line, q.spec.correct_option) for q in parsed.questions] == [(9, 1)]


def test_csv_without_its_header_row_is_refused_on_line_1() -> None:
    parsed = questions_parse_csv(text="SQL,,Which?,a,b,,,,,1,\n")

    assert parsed.questions == []
    assert problems(parsed)[0].startswith("line 1: unknown column 'SQL'")


# ---------------------------------------------------------------- GIFT

GIFT = r"""// exported from Moodle
$CATEGORY: $course$/top/Default for Backend/SQL

// question: 7  name: having
::having::[html]Which clause filters \{grouped\} rows\: WHERE or HAVING? {
	~WHERE #rows, not groups
	=HAVING #right
	~GROUP BY
	####HAVING runs after the grouping.
}

Moodle costs {~$10 =nothing ~$5} to download.
"""


def test_gift_reads_titles_formats_comments_categories_escapes_and_feedback() -> None:
    parsed = questions_parse_gift(text=GIFT)

    assert problems(parsed) == []
    assert [(q.line, q.spec) for q in parsed.questions] == [
        (
            5,
            QuestionSpec(
                "SQL",
                "Which clause filters {grouped} rows: WHERE or HAVING?",
                ["WHERE", "HAVING", "GROUP BY"],
                1,
                "HAVING runs after the grouping.",
            ),
        ),
        (12, QuestionSpec("SQL", "Moodle costs _____ to download.", ["$10", "nothing", "$5"], 1, "")),
    ]


def test_gift_questions_before_any_category_take_the_skill_given_and_the_right_answers_feedback() -> None:
    parsed = questions_parse_gift(text="Pick one {=a #because a ~b}\n", skill="Python")

    assert parsed.questions[0].spec == QuestionSpec("Python", "Pick one", ["a", "b"], 0, "because a")


def test_gift_reports_every_other_question_type_with_its_line_rather_than_dropping_it() -> None:
    text = (
        "Is SQL declarative? {T}\n\n"  # line 1
        "How many bits in a byte? {#8}\n\n"
        "Name a join. {=INNER =LEFT}\n\n"  # line 5
        "Match them. {=SELECT -> reads =INSERT -> writes}\n\n"
        "Explain ACID. {}\n\n"  # line 9
        "Pick the primes. {~%50%2 ~%50%3 ~%-100%4}\n\n"
        "Two right. {=a =b ~c}\n\n"  # line 13
        "A plain description.\n\n"
        "Never closed { =a ~b\n\n"  # line 17
        "Fine {=a ~b}\n"
    )

    parsed = questions_parse_gift(text=text, skill="SQL")

    only = "only multiple choice with one right answer can be imported"
    assert problems(parsed) == [
        f"line 1: a true/false question; {only}",
        f"line 3: a numeric question; {only}",
        f"line 5: a short answer question (only = answers); {only}",
        f"line 7: a matching question; {only}",
        f"line 9: an essay question; {only}",
        f"line 11: a partial credit question (%weight%); {only}",
        "line 13: the question has 2 correct answers; a question here has exactly one",
        f"line 15: no answer block {{ … }}; {only}",
        "line 17: the answer block opened with { is never closed",
    ]
    assert [q.line for q in parsed.questions] == [19]


# ---------------------------------------------------------------- import


def test_a_dry_run_writes_nothing_and_reports_what_the_import_then_creates() -> None:
    test = blueprint_with_skills("SQL", "Python")
    parsed = questions_parse_csv(
        text=HEADER + "SQL,,q1,a,b,,,,,1,\nsql,,q2,a,b,,,,,1,\nPython,easy,q3,a,b,c,,,,c,\n,,q4,a,b,,,,,2,\n"
    )
    test.refresh_from_db()
    version = test.bank_version

    checked = bank_import(test=test, parsed=parsed, dry_run=True)

    assert Question.objects.filter(test=test).count() == 0
    test.refresh_from_db()
    assert test.bank_version == version
    imported = bank_import(test=test, parsed=parsed, dry_run=False)
    assert checked.per_skill == imported.per_skill == {"SQL": 3, "Python": 1}  # an empty skill: the first one
    assert checked.summary == "would create 4 questions: 3 SQL, 1 Python"
    assert imported.summary == "created 4 questions: 3 SQL, 1 Python"
    assert [row[:4] for row in bank(test)] == [
        ("SQL", "q1", ["a", "b"], 0),
        ("SQL", "q2", ["a", "b"], 0),
        ("Python", "q3", ["a", "b", "c"], 2),
        ("SQL", "q4", ["a", "b"], 1),
    ]


def test_a_file_with_one_bad_question_imports_nothing_and_the_dry_run_says_the_same() -> None:
    test = blueprint_with_skills("SQL")
    parsed = questions_parse_gift(text="Good {=a ~b}\n\nBad {T}\n\nAlso good {=c ~d}\n", skill="SQL")

    for dry_run in (True, False):
        assert refusal(test, parsed, dry_run=dry_run) == [
            "line 3: a true/false question; only multiple choice with one right answer can be imported"
        ]
    assert Question.objects.filter(test=test).count() == 0


def test_skills_the_test_lacks_are_one_problem_each_and_are_not_created() -> None:
    test = blueprint_with_skills("SQL", "Python")
    parsed = questions_parse_csv(text=HEADER + "Go,,q1,a,b,,,,,1,\nSQL,,q2,a,b,,,,,1,\nGo,,q3,a,b,,,,,1,\n")

    assert refusal(test, parsed) == [
        "line 2: the test has no skill 'Go' (and 1 more question(s) after it); its skills: SQL, Python. "
        "Add the skill first"
    ]
    assert list(Skill.objects.filter(test=test).values_list("name", flat=True)) == ["SQL", "Python"]
    assert Question.objects.filter(test=test).count() == 0


def test_what_question_create_refuses_is_a_problem_with_its_line_even_in_a_dry_run() -> None:
    test = blueprint_with_skills("SQL")
    key_out_of_range = QuestionSpec("SQL", "Which?", ["a", "b"], correct_option=5)
    parsed = ParsedBank(questions=[ParsedQuestion(4, key_out_of_range)])

    assert refusal(test, parsed, dry_run=True) == ["line 4: correct_option must be between 0 and 1."]


def test_an_empty_file_is_a_problem() -> None:
    assert refusal(blueprint_with_skills("SQL"), questions_parse_gift(text="// nothing but a comment\n")) == [
        "the file has no questions"
    ]


def test_questions_already_in_the_bank_or_twice_in_the_file_are_skipped_and_reported() -> None:
    test = blueprint_with_skills("SQL")
    QuestionFactory.create(test=test, skill=test.skills.get(), prompt="Old", options=["a", "b"])
    text = HEADER + "SQL,,Old,a,b,,,,,2,\nSQL,,Old,b,a,,,,,1,\nSQL,,New,a,b,,,,,1,\nSQL,,New,a,b,,,,,1,\n"

    report = bank_import(test=test, parsed=questions_parse_csv(text=text), dry_run=False)

    assert [str(p) for p in report.skipped] == [
        "line 2: skipped: the same question is already in the bank",
        "line 5: skipped: the same question is on line 4",
    ]
    assert report.summary == "created 2 questions: 2 SQL; skipped 2 duplicate(s)"
    assert sorted((q[1], q[2]) for q in bank(test)) == [("New", ["a", "b"]), ("Old", ["a", "b"]), ("Old", ["b", "a"])]


# ---------------------------------------------------------------- export and round trip


def tricky_bank() -> Test:
    """Text each format has to quote or escape: separators, formulas, GIFT's special characters, lines."""
    test = blueprint_with_skills("SQL", "CI/CD")
    sql, cicd = test.skills.all()
    QuestionFactory.create(
        test=test,
        skill=sql,
        prompt='=SUM(A1) or "x, y"?\nSecond line: {braces} ~tilde =equals #hash \\backslash',
        options=["-1", "+1", "@home", "a,b", "c:d", "6th"],
        correct_option=5,
        explanation="Because; it ## is.",
        difficulty="hard",
    )
    QuestionFactory.create(test=test, skill=cicd, prompt="Plain?", options=["yes", "no"], explanation="")
    QuestionFactory.create(test=test, skill=sql, prompt="Retired", options=["a", "b"], active=False)
    return test


@pytest.mark.parametrize(
    ("export", "parse"), [(bank_export_csv, questions_parse_csv), (bank_export_gift, questions_parse_gift)]
)
def test_an_export_imports_back_into_an_empty_test_as_the_same_questions(export, parse) -> None:
    source = tricky_bank()
    target = blueprint_with_skills("SQL", "CI/CD")

    parsed = parse(text=export(test=source))
    report = bank_import(test=target, parsed=parsed, dry_run=False)

    assert problems(parsed) == []
    assert report.per_skill == {"SQL": 1, "CI/CD": 1}
    assert bank(target) == [row for row in bank(source) if row[1] != "Retired"]


def test_the_exports_keep_spreadsheets_from_running_formulas_and_give_each_skill_its_gift_category() -> None:
    test = tricky_bank()

    csv_text, gift = bank_export_csv(test=test), bank_export_gift(test=test)

    assert csv_text.startswith(HEADER.replace("\n", "\r\n"))
    assert "'=SUM(A1)" in csv_text
    assert "'-1,'+1,'@home" in csv_text
    assert "Retired" not in csv_text
    assert "Retired" not in gift
    assert gift.index("$CATEGORY: SQL") < gift.index("$CATEGORY: CI//CD") < gift.index("Plain?")
    assert r"\{braces\} \~tilde \=equals \#hash \\backslash" in gift


@pytest.mark.parametrize("export", [bank_export_csv, bank_export_gift])
def test_a_multi_select_question_is_left_out_of_the_files_rather_than_written_with_one_key(export) -> None:
    test = blueprint_with_skills("SQL")
    skill = test.skills.get()
    QuestionFactory(
        test=test,
        skill=skill,
        prompt="Pick the read-only verbs",
        options=["GET", "POST", "HEAD", "PUT"],
        kind=Question.Kind.MULTIPLE,
        correct_options=[0, 2],
        correct_option=0,
    )
    QuestionFactory(test=test, skill=skill, prompt="One verb that is safe", options=["GET", "POST"], correct_option=0)

    text = export(test=test)

    assert "One verb that is safe" in text
    assert "read-only verbs" not in text
