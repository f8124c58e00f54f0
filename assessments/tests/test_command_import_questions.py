"""`import_questions` and `export_questions`: the format from the extension, a dry run that writes
nothing, every problem printed with its line and a non-zero exit, and an export that imports back."""

import re
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command, load_command_class

from assessments.models import Question, Test
from assessments.tests.commands_support import run
from assessments.tests.factories import QuestionFactory, SkillFactory, TestFactory

pytestmark = pytest.mark.django_db

CSV = (
    "skill,difficulty,prompt,option_1,option_2,option_3,option_4,option_5,option_6,correct,explanation\n"
    "SQL,,Which clause filters groups?,WHERE,HAVING,,,,,2,\n"
    "Python,easy,Which is immutable?,list,tuple,dict,,,,tuple,\n"
)


@pytest.fixture
def test() -> Test:
    test = TestFactory.create(status=Test.Status.DRAFT)
    SkillFactory.create(test=test, name="SQL", order=0)
    SkillFactory.create(test=test, name="Python", order=1)
    return test


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("command", ["import_questions", "export_questions"])
def test_both_commands_have_help(command: str) -> None:
    parser = load_command_class("assessments", command).create_parser("manage.py", command)

    assert parser.format_help().startswith(f"usage: manage.py {command}")
    assert len(parser.description or "") > 100


def test_a_dry_run_reports_the_counts_per_skill_and_writes_nothing(test: Test, tmp_path: Path) -> None:
    out, _ = run("import_questions", str(test.pk), write(tmp_path, "bank.csv", CSV), "--dry-run")

    assert f"test {test.pk} ({test.title}): would create 2 questions: 1 SQL, 1 Python" in out
    assert not Question.objects.filter(test=test).exists()


def test_an_import_creates_the_questions_and_a_second_one_skips_them(test: Test, tmp_path: Path) -> None:
    path = write(tmp_path, "bank.csv", CSV)

    first, _ = run("import_questions", str(test.pk), path)
    second, _ = run("import_questions", str(test.pk), path)

    assert "created 2 questions: 1 SQL, 1 Python" in first
    assert "line 2: skipped: the same question is already in the bank" in second
    assert "created 0 questions; skipped 2 duplicate(s)" in second
    assert sorted(Question.objects.filter(test=test).values_list("skill__name", "correct_option")) == [
        ("Python", 1),
        ("SQL", 1),
    ]


def test_a_txt_file_is_read_as_gift_and_skill_names_questions_without_a_category(test: Test, tmp_path: Path) -> None:
    path = write(tmp_path, "moodle.txt", "Which is immutable? {~list =tuple ~dict}\n")

    out, _ = run("import_questions", str(test.pk), path, "--skill", "Python")

    assert "created 1 question: 1 Python" in out


def test_problems_are_printed_by_line_and_the_command_fails_without_importing(test: Test, tmp_path: Path) -> None:
    path = write(tmp_path, "bank.gift", "Good {=a ~b}\n\nTrue? {T}\n\n$CATEGORY: Go\n\nGo? {=yes ~no}\n")

    with pytest.raises(CommandError, match=re.escape("Nothing was imported: the file has 2 problem(s) to fix first.")):
        run("import_questions", str(test.pk), path, "--dry-run")
    with pytest.raises(CommandError) as refused:
        run("import_questions", str(test.pk), path)

    assert not Question.objects.filter(test=test).exists()
    assert "\n" not in str(refused.value)


def test_the_problems_go_to_stdout_before_the_error(test: Test, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = write(tmp_path, "bank.csv", CSV.replace("HAVING,,,,,2", "HAVING,,,,,7"))

    with pytest.raises(CommandError):
        call_command("import_questions", str(test.pk), path)

    assert "line 2: correct is 7 but there is no option_7, or it is empty" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["999999", "bank.csv"], "Test 999999 does not exist."),
        (["{test}", "bank.xlsx"], "Cannot tell the format of"),
        (["{test}", "missing.csv"], "Cannot read"),
        (["{test}", "latin1.csv"], "it is not UTF-8 text"),
        (["{test}", "bank.csv", "--format", "xml"], "invalid choice: 'xml'"),
    ],
)
def test_bad_arguments_are_clear_errors(test: Test, tmp_path: Path, args: list[str], error: str) -> None:
    write(tmp_path, "bank.csv", CSV)
    write(tmp_path, "bank.xlsx", CSV)
    (tmp_path / "latin1.csv").write_bytes("prompt\ncaf\xe9".encode("latin-1"))
    args = [str(test.pk) if a == "{test}" else str(tmp_path / a) if "." in a else a for a in args]

    with pytest.raises(CommandError, match=re.escape(error)):
        run("import_questions", *args)


def test_export_prints_the_bank_or_writes_it_to_a_file_that_imports_back(test: Test, tmp_path: Path) -> None:
    QuestionFactory.create(test=test, skill=test.skills.get(name="SQL"), prompt="Which join keeps all rows?")
    target = TestFactory.create(status=Test.Status.DRAFT)
    SkillFactory.create(test=target, name="SQL")
    output = tmp_path / "bank.gift"

    printed, _ = run("export_questions", str(test.pk))
    _, told = run("export_questions", str(test.pk), "--format", "gift", "--output", str(output))
    imported, _ = run("import_questions", str(target.pk), str(output))

    assert printed.startswith("skill,difficulty,prompt,option_1")
    assert "Which join keeps all rows?" in printed
    assert output.read_text().startswith("$CATEGORY: SQL")
    assert f"wrote the bank of test {test.pk} to {output} (gift)" in told
    assert "created 1 question: 1 SQL" in imported


def test_export_refuses_an_unknown_test_and_a_missing_directory(test: Test, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="Test 999999 does not exist"):
        run("export_questions", "999999")
    with pytest.raises(CommandError, match=r"the directory \S+ does not exist"):
        run("export_questions", str(test.pk), "--output", str(tmp_path / "nowhere" / "bank.csv"))
