"""The layout keeps the architecture (docs/ARCHITECTURE.md): the domain never imports the delivery
package, and every module is short enough to read in one sitting."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ["assessments", "realtime", "jatayu", "testsupport", "benchmarks"]
PLAIN_DATA = {Path("assessments/demo_data.py")}  # the demo's questions and texts, no logic
MAX_LINES = 400


def python_files(package: str) -> list[Path]:
    return [p for p in (ROOT / package).rglob("*.py") if "migrations" not in p.parts and ".venv" not in p.parts]


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_nothing_in_assessments_imports_realtime() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(m for m in imported_modules(path) if m.split(".")[0] == "realtime")
        for path in python_files("assessments")
    }
    assert {path: modules for path, modules in offenders.items() if modules} == {}


def test_no_module_outside_migrations_and_plain_data_is_over_400_lines() -> None:
    too_long = {
        str(path.relative_to(ROOT)): lines
        for package in PACKAGES
        for path in python_files(package)
        if path.relative_to(ROOT) not in PLAIN_DATA and (lines := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert too_long == {}


def test_the_checks_see_the_code() -> None:
    # Both checks above pass trivially on an empty walk: this one fails if the layout moves away.
    assert len(python_files("assessments")) > 50
    assert "realtime.liveness" in imported_modules(ROOT / "realtime" / "tests" / "test_liveness_clock_postgres.py")
