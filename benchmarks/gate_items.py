"""A fixed set of generated items, good and junk, that the validation gate is measured on.

Each item is what a generator returned, with what a careful reviewer model says of it without its
key: the option a solver picks, and the review (`assessments.ai.providers.Review`). Junk items carry
the class of fault they were made with; `python -m benchmarks.gate` reports per class.
"""

from dataclasses import dataclass, field
from typing import Any

SKILL = "SQL"
JOB = "Backend engineer: PostgreSQL, Django, query tuning"


@dataclass(frozen=True)
class SeededItem:
    fault: str  # "" for a good item
    prompt: str
    options: list[str]
    correct_option: int
    explanation: str
    solver: int
    review: dict[str, Any] = field(default_factory=dict)

    @property
    def good(self) -> bool:
        return not self.fault

    def draft(self) -> dict[str, Any]:
        return {
            "prompt": self.prompt,
            "options": self.options,
            "correct_option": self.correct_option,
            "explanation": self.explanation,
            "difficulty": "medium",
        }

    def review_reply(self) -> dict[str, Any]:
        fair = {"about_skill": True, "options_answer_it": True, "one_right": True}
        return {**fair, "explanation_supports": self.correct_option, **self.review}


GOOD = [
    SeededItem(
        "",
        "Which SQL clause filters groups after aggregation?",
        ["WHERE", "HAVING", "ORDER BY", "LIMIT"],
        1,
        "HAVING filters the groups GROUP BY produced; WHERE filters rows before grouping.",
        solver=1,
    ),
    SeededItem(
        "",
        "How many rows does SELECT COUNT(*) FROM t return when t is empty?",
        ["0", "1", "2", "3"],
        1,
        "An aggregate without GROUP BY always returns one row; here it holds 0.",
        solver=1,
    ),
    SeededItem(
        "",
        "Which join keeps every row of the left table, matched or not?",
        ["INNER JOIN", "LEFT JOIN", "CROSS JOIN", "SEMI JOIN"],
        1,
        "A LEFT JOIN keeps all left rows and fills unmatched right columns with NULL.",
        solver=1,
    ),
    SeededItem(
        "",
        "In PostgreSQL, which index type serves a query on a jsonb containment operator (@>)?",
        ["B-tree", "Hash", "GIN", "BRIN"],
        2,
        "GIN indexes the keys and values inside a jsonb document, which containment needs.",
        solver=2,
    ),
    SeededItem(
        "",
        "What does NULL = NULL evaluate to in SQL?",
        ["TRUE", "FALSE", "NULL (unknown)", "An error"],
        2,
        "Any comparison with NULL is unknown; IS NULL is the test that returns true.",
        solver=2,
    ),
    SeededItem(
        "",
        "Which isolation level prevents non-repeatable reads but may allow phantom reads by the SQL standard?",
        ["READ UNCOMMITTED", "READ COMMITTED", "REPEATABLE READ", "SERIALIZABLE"],
        2,
        "The standard lets REPEATABLE READ show phantoms; SERIALIZABLE forbids them too.",
        solver=2,
    ),
]

JUNK = [
    SeededItem("vague prompt", "A skill question", ["Yes", "No", "Maybe", "Later"], 0, "Yes is right.", solver=0),
    SeededItem(
        "options that do not answer it",
        "Which SQL statement removes every row of a table but keeps the table?",
        ["Blue", "Seven", "On Tuesdays", "A kilogram"],
        0,
        "Blue is the colour of the table.",
        solver=0,
        review={"options_answer_it": False, "about_skill": True},
    ),
    SeededItem(
        "explanation contradicts the key",
        "Which SQL keyword removes duplicate rows from a result?",
        ["DISTINCT", "UNIQUE", "ALL", "ONLY"],
        1,
        "DISTINCT removes duplicate rows from the result set.",
        solver=0,
        review={"explanation_supports": 0},
    ),
    SeededItem(
        "explanation contradicts the key, naming no option",
        "Which SQL aggregate ignores NULL values when it adds up a column?",
        ["SUM", "COUNT(*)", "ROW_NUMBER", "COALESCE"],
        0,
        "It counts every row, NULL or not, which is why it never skips anything.",
        solver=0,
        review={"explanation_supports": 1},
    ),
    SeededItem(
        "options of mixed kinds",
        "How many bytes does a PostgreSQL integer column take?",
        ["4", "eight", "2", "a lot"],
        0,
        "An integer is 4 bytes.",
        solver=0,
    ),
    SeededItem(
        "not about the skill",
        "Which planet is closest to the sun in our solar system?",
        ["Mercury", "Venus", "Earth", "Mars"],
        0,
        "Mercury orbits closest to the sun.",
        solver=0,
        review={"about_skill": False},
    ),
    SeededItem(
        "two right options",
        "Which of these SQL statements can change rows of an existing table?",
        ["UPDATE", "DELETE", "SELECT", "EXPLAIN"],
        0,
        "UPDATE changes rows in place.",
        solver=1,
        review={"one_right": False},
    ),
    SeededItem(
        "wrong key",
        "Which SQL clause sorts the rows of a result?",
        ["GROUP BY", "ORDER BY", "WHERE", "HAVING"],
        0,
        "The clause sorts the result by the listed columns.",
        solver=1,
        review={"explanation_supports": None},
    ),
    SeededItem(
        "duplicate options",
        "Which SQL command adds rows?",
        ["INSERT", "insert ", "UPDATE", "MERGE"],
        0,
        "INSERT adds.",
        0,
    ),
    SeededItem(
        "key out of range", "Which SQL command adds rows to a table?", ["INSERT", "UPDATE", "MERGE"], 5, "INSERT.", 0
    ),
]

ITEMS = GOOD + JUNK
