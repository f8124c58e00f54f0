"""A test's question bank in and out of files: CSV, and the multiple-choice subset of Moodle's GIFT.

Parsing never stops at the first mistake: a `ParsedBank` carries every problem with its line, so a
recruiter fixes the whole file at once. `bank_import` writes through `question_create` in one
transaction and refuses the whole file while any problem is left; a dry run checks exactly what the
import would, then rolls back.
"""

import csv
import io
import re
from dataclasses import asdict, dataclass, field, replace

from django.core.exceptions import ValidationError
from django.db import transaction

from assessments.csv_cells import FORMULA_PREFIXES, csv_cell
from assessments.errors import ApplicationError, BackOfficeCode
from assessments.models import Difficulty, Question, Test
from assessments.services.blueprints import QuestionSpec, question_create

MIN_OPTIONS, MAX_OPTIONS = 2, 6
CSV_COLUMNS = ["skill", "difficulty", "prompt", *(f"option_{n}" for n in range(1, 7)), "correct", "explanation"]
CSV_REQUIRED = ("prompt", "option_1", "option_2", "correct")
GIFT_FORMATS = re.compile(r"^\[(html|moodle|markdown|plain)\]\s*", re.IGNORECASE)
OPTION_COLUMN = re.compile(r"^option(\d+)$")
GIFT_DIFFICULTY = re.compile(r"^\s*//\s*difficulty:\s*(\w+)", re.IGNORECASE)  # our exports' note, a comment to Moodle
MISSING_WORD = "_____"
ONLY_MC = "; only multiple choice with one right answer can be imported"


@dataclass(frozen=True)
class Problem:
    line: int | None  # None: about the whole file
    message: str

    def __str__(self) -> str:
        return self.message if self.line is None else f"line {self.line}: {self.message}"


@dataclass(frozen=True)
class ParsedQuestion:
    line: int
    spec: QuestionSpec  # an empty skill means the default: the test's first skill


@dataclass
class ParsedBank:
    questions: list[ParsedQuestion] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


@dataclass(frozen=True)
class ImportReport:
    dry_run: bool
    per_skill: dict[str, int]  # questions created (or that would be), in the test's skill order
    skipped: list[Problem]  # duplicates, left out

    @property
    def created(self) -> int:
        return sum(self.per_skill.values())

    @property
    def summary(self) -> str:
        verb = "would create" if self.dry_run else "created"
        counts = ", ".join(f"{n} {name}" for name, n in self.per_skill.items() if n)
        text = f"{verb} {self.created} question{'' if self.created == 1 else 's'}" + (f": {counts}" if counts else "")
        if self.skipped:
            text += f"; {'would skip' if self.dry_run else 'skipped'} {len(self.skipped)} duplicate(s)"
        return text


def _options_problem(options: list[str]) -> str | None:
    """What `Question.clean` would refuse about these options, said for a file's author."""
    if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
        return f"the question has {len(options)} option(s); it needs {MIN_OPTIONS} to {MAX_OPTIONS}"
    seen: dict[str, int] = {}
    for number, option in enumerate(options, start=1):
        if (key := option.casefold()) in seen:
            return f"options {seen[key]} and {number} are the same ({option!r}); each option must differ"
        seen[key] = number
    return None


# ---------------------------------------------------------------- CSV


def _csv_header(cells: list[str]) -> dict[str, int] | str:
    """The column of each known name, or what is wrong with the header row."""
    columns: dict[str, int] = {}
    for index, cell in enumerate(cells):
        name = re.sub(r"[\s_-]+", "", cell.casefold())
        if match := OPTION_COLUMN.match(name):
            name = f"option_{int(match.group(1))}"  # option_7 and on: fine while at most 6 are filled
        if not name:
            continue
        if name not in CSV_COLUMNS and not name.startswith("option_"):
            return f"unknown column {cell!r}; the columns are {','.join(CSV_COLUMNS)}"
        if name in columns:
            return f"the column {cell!r} appears twice"
        columns[name] = index
    missing = [name for name in CSV_REQUIRED if name not in columns]
    if missing:
        return f"the header row lacks {', '.join(missing)}; the columns are {','.join(CSV_COLUMNS)}"
    return columns


def _csv_cell_read(text: str) -> str:
    """Undo the quote our exports put before cells a spreadsheet would read as formulas."""
    text = text.strip()
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_PREFIXES) else text


def _csv_correct(value: str, options: list[str], numbers: list[int]) -> int | str:
    """The index of the right option, from its column number (a number is always one) or its exact
    text; or what is wrong."""
    if not value:
        return "no correct answer: give the number of the right option or its exact text"
    if re.fullmatch(r"\d+(\s*[,;/ ]\s*\d+)+", value):
        count = len(re.findall(r"\d+", value))
        return f"the question has {count} correct answers; a question here has exactly one"
    if value.isdigit():
        if int(value) in numbers:
            return numbers.index(int(value))
        return f"correct is {value} but there is no option_{value}, or it is empty"
    if value in options:
        return options.index(value)
    return f"correct {value!r} is neither an option's number nor exactly one of the options"


def questions_parse_csv(*, text: str, skill: str = "") -> ParsedBank:
    """Rows `skill,difficulty,prompt,option_1..option_6,correct,explanation` under a header row (any
    case, any order, extra empty option columns allowed). `skill` stands in for an empty skill cell."""
    parsed = ParsedBank()
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    header: dict[str, int] = {}
    next_line = 1
    try:
        for row in reader:
            line, next_line = next_line, reader.line_num + 1  # a quoted cell may span lines
            cells = [_csv_cell_read(cell) for cell in row]
            if not any(cells):
                continue
            if not header:
                found = _csv_header(cells)
                if isinstance(found, str):
                    parsed.problems.append(Problem(line, found))
                    return parsed
                header = found
            elif any(cells[max(header.values()) + 1 :]):
                parsed.problems.append(Problem(line, f"{len(cells)} values: more than the header has columns"))
            else:
                _csv_row(parsed, line=line, cells=cells, columns=header, skill=skill)
    except csv.Error as exc:
        parsed.problems.append(Problem(reader.line_num, f"the CSV cannot be read further: {exc}"))
    return parsed


def _csv_row(parsed: ParsedBank, *, line: int, cells: list[str], columns: dict[str, int], skill: str) -> None:
    def cell(name: str) -> str:
        index = columns.get(name)
        return cells[index] if index is not None and index < len(cells) else ""

    option_columns = sorted((int(name.split("_")[1]), name) for name in columns if name.startswith("option_"))
    filled = [(number, cell(name)) for number, name in option_columns if cell(name)]
    numbers, options = [number for number, _ in filled], [text for _, text in filled]
    difficulty = cell("difficulty").casefold() or Difficulty.MEDIUM
    correct = _csv_correct(cell("correct"), options, numbers)
    wrong = [
        "the prompt is empty" if not cell("prompt") else None,
        _options_problem(options),
        correct if isinstance(correct, str) else None,
        None if difficulty in Difficulty.values else f"difficulty {cell('difficulty')!r} is not easy, medium or hard",
    ]
    problems = [Problem(line, message) for message in wrong if message]
    parsed.problems.extend(problems)
    if problems or isinstance(correct, str):
        return
    spec = QuestionSpec(
        skill=cell("skill") or skill,
        prompt=cell("prompt"),
        options=options,
        correct_option=correct,
        explanation=cell("explanation"),
        difficulty=difficulty,
    )
    parsed.questions.append(ParsedQuestion(line, spec))


# ---------------------------------------------------------------- GIFT


def _masked(text: str) -> str:
    """`text` with escaped pairs blanked: a search finds only unescaped characters, at the same places."""
    return re.sub(r"\\.", "\0\0", text, flags=re.DOTALL)


def _gift_unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), text.strip(), flags=re.DOTALL)


def _gift_escape(text: str) -> str:
    return re.sub(r"([\\~=#{}:])", r"\\\1", text).replace("\n", "\\n")


def _gift_blocks(text: str) -> list[tuple[list[tuple[int, str]], list[str]]]:
    """Blank-line separated blocks: their numbered lines, and their `//` comments apart."""
    blocks: list[tuple[list[tuple[int, str]], list[str]]] = []
    lines: list[tuple[int, str]] = []
    comments: list[str] = []
    for number, line in enumerate([*text.removeprefix("\ufeff").splitlines(), ""], start=1):
        if line.lstrip().startswith("//"):
            comments.append(line)
        elif line.strip():
            lines.append((number, line))
        elif lines:
            blocks.append((lines, comments))
            lines, comments = [], []
    return blocks


def _category_skill(line: str) -> str:
    """`$CATEGORY: $course$/top/Default for X/SQL` names the skill `SQL` (`//` is an escaped `/`)."""
    path = line.split(":", 1)[1].strip()
    return re.split(r"(?<!/)/(?!/)", path)[-1].replace("//", "/").strip()


def questions_parse_gift(*, text: str, skill: str = "") -> ParsedBank:
    """Multiple-choice GIFT questions. Each `$CATEGORY:` names the skill of the questions after it (its
    last part); before any, `skill` does. Other question types are problems, never dropped quietly."""
    parsed = ParsedBank()
    current_skill = skill
    for lines, comments in _gift_blocks(text):
        if lines[0][1].lstrip().upper().startswith("$CATEGORY:"):
            current_skill = _category_skill(lines[0][1]) or skill
            lines = lines[1:]
            if not lines:
                continue
        line = lines[0][0]
        outcome = _gift_question("\n".join(text for _, text in lines).strip(), skill=current_skill)
        noted = [m.group(1).casefold() for c in comments if (m := GIFT_DIFFICULTY.match(c))]
        if noted and not isinstance(outcome, str):
            wrong = f"difficulty {noted[-1]!r} is not easy, medium or hard"
            outcome = replace(outcome, difficulty=noted[-1]) if noted[-1] in Difficulty.values else wrong
        if isinstance(outcome, str):
            parsed.problems.append(Problem(line, outcome))
        else:
            parsed.questions.append(ParsedQuestion(line, outcome))
    return parsed


def _gift_question(block: str, *, skill: str) -> QuestionSpec | str:
    """One block as a question, or why it cannot be imported."""
    masked = _masked(block)
    if masked.startswith("::") and (end := masked.find("::", 2)) != -1:
        block, masked = block[end + 2 :].lstrip(), masked[end + 2 :].lstrip()
    if prefix := GIFT_FORMATS.match(masked):
        block, masked = block[prefix.end() :], masked[prefix.end() :]
    opening = masked.find("{")
    if opening == -1:
        return f"no answer block {{ … }}{ONLY_MC}"
    closing = masked.find("}", opening)
    if closing == -1:
        return "the answer block opened with { is never closed"
    if "{" in masked[closing:]:
        return "more than one answer block; only multiple choice with one answer block can be imported"
    after = _gift_unescape(block[closing + 1 :])
    prompt = _gift_unescape(block[:opening]) + (f" {MISSING_WORD} {after}" if after else "")
    answers = _gift_answers(block[opening + 1 : closing], masked[opening + 1 : closing])
    if isinstance(answers, str):
        return answers
    options, right, explanation = answers
    if not prompt:
        return "the question text is empty"
    if problem := _options_problem(options):
        return problem
    return QuestionSpec(skill=skill, prompt=prompt, options=options, correct_option=right, explanation=explanation)


def _gift_answers(body: str, masked: str) -> tuple[list[str], int, str] | str:
    """The options, the right one's index and the explanation of an answer block, or why not."""
    kind = masked.strip()
    other_types = {
        "an essay": not kind,
        "a true/false": re.fullmatch(r"(T|F|TRUE|FALSE)\s*(#.*)?", kind, flags=re.IGNORECASE | re.DOTALL),
        "a numeric": kind.startswith("#"),
        "a matching": "->" in masked,
    }
    if other := next((name for name, found in other_types.items() if found), None):
        return f"{other} question{ONLY_MC}"
    general = ""
    if (feedback := masked.find("####")) != -1:
        general, body, masked = _gift_unescape(body[feedback + 4 :]), body[:feedback], masked[:feedback]
    marks = [m.start() for m in re.finditer(r"[=~]", masked)]
    if not marks or masked[: marks[0]].strip():
        return "the answers must each start with = (the right one) or ~ (a wrong one)"
    if re.search(r"[=~]\s*%-?[\d.]+%", masked):
        return f"a partial credit question (%weight%){ONLY_MC}"
    options: list[str] = []
    right: list[tuple[int, str]] = []  # (index, its feedback)
    for start, end in zip(marks, [*marks[1:], len(body)], strict=True):
        text, note = body[start + 1 : end], ""
        if (hash_at := masked.find("#", start, end)) != -1:
            text, note = body[start + 1 : hash_at], _gift_unescape(body[hash_at + 1 : end])
        if body[start] == "=":
            right.append((len(options), note))
        options.append(_gift_unescape(text))
    if len(right) == len(options):
        return f"a short answer question (only = answers){ONLY_MC}"
    if len(right) != 1:
        return f"the question has {len(right) or 'no'} correct answers; a question here has exactly one"
    if any(not option for option in options):
        return "an answer is empty"
    return options, right[0][0], general or right[0][1]


# ---------------------------------------------------------------- import and export


@transaction.atomic
def bank_import(*, test: Test, parsed: ParsedBank, dry_run: bool) -> ImportReport:
    """Add every parsed question to `test`'s bank, or none. Questions already in the bank (the same
    prompt and options) are skipped and reported. Raises `IMPORT_INVALID`, listing every problem, while
    any is left; with `dry_run`, checks all the same and writes nothing."""
    problems = list(parsed.problems) or ([] if parsed.questions else [Problem(None, "the file has no questions")])
    skills = list(test.skills.all())
    by_name = {s.name.casefold(): s.name for s in skills}
    default, per_skill = (skills[0].name if skills else ""), dict.fromkeys((s.name for s in skills), 0)
    bank = Question.objects.filter(test=test, source=Question.Source.BANK).values_list("prompt", "options")
    known = {(prompt.strip(), tuple(options)): "already in the bank" for prompt, options in bank}
    unknown: dict[str, list[int]] = {}
    skipped: list[Problem] = []
    for item in parsed.questions:
        spec = item.spec
        name = by_name.get((spec.skill or default).casefold())
        if name is None:
            unknown.setdefault(spec.skill, []).append(item.line)
            continue
        key = (spec.prompt.strip(), tuple(spec.options))
        if key in known:
            skipped.append(Problem(item.line, f"skipped: the same question is {known[key]}"))
            continue
        known[key] = f"on line {item.line}"
        try:
            question_create(test=test, **{**asdict(spec), "skill": name})
        except ValidationError as exc:
            problems.append(Problem(item.line, "; ".join(exc.messages)))
            continue
        per_skill[name] += 1
    for name, lines in unknown.items():  # one problem per skill, not per question
        more = f" (and {len(lines) - 1} more question(s) after it)" if len(lines) > 1 else ""
        why = f"the test has no skill {name!r}{more}; its skills: {', '.join(per_skill)}. Add the skill first"
        problems.append(Problem(lines[0], why if skills else "the test has no skills: add them before importing"))
    if problems:
        problems.sort(key=lambda p: p.line or 0)
        raise ApplicationError(
            BackOfficeCode.IMPORT_INVALID,
            f"Nothing was imported: the file has {len(problems)} problem(s) to fix first.",
            extra={"problems": [str(p) for p in problems]},
        )
    if dry_run:
        transaction.set_rollback(True)
    return ImportReport(dry_run=dry_run, per_skill=per_skill, skipped=skipped)


def _bank(test: Test) -> list[Question]:
    """The active single-answer bank questions, skill by skill: what a file carries. Retired and void
    ones stay out, and so do multi-select ones, whose several keys neither format here can hold yet."""
    bank = Question.objects.filter(test=test, source=Question.Source.BANK, active=True, kind=Question.Kind.SINGLE)
    return list(bank.select_related("skill").order_by("skill__order", "skill_id", "id"))


def bank_export_csv(*, test: Test) -> str:
    stream = io.StringIO()
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for q in _bank(test):
        options = [*q.option_list, *[""] * (MAX_OPTIONS - len(q.option_list))]
        cells = [q.skill.name, q.difficulty, q.prompt, *options, q.correct_option + 1, q.explanation]
        writer.writerow([csv_cell(cell) for cell in cells])
    return stream.getvalue()


def bank_export_gift(*, test: Test) -> str:
    parts: list[str] = []
    skill_id = None
    for q in _bank(test):
        if q.skill_id != skill_id:
            skill_id = q.skill_id
            parts.append(f"$CATEGORY: {q.skill.name.replace('/', '//')}")
        answers = [f"\t{'=' if i == q.correct_option else '~'}{_gift_escape(o)}" for i, o in enumerate(q.option_list)]
        if q.explanation:
            answers.append(f"\t####{_gift_escape(q.explanation)}")
        parts.append(f"// difficulty: {q.difficulty}\n{_gift_escape(q.prompt)} {{\n" + "\n".join(answers) + "\n}")
    return "\n\n".join(parts) + "\n" if parts else ""
