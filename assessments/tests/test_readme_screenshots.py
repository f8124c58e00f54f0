"""The README's pictures are in the repository, and each is one a browser test takes (`make screenshots`
refreshes them), so they show the app as it is."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_screenshot_the_readme_shows_is_in_the_repository_and_taken_by_a_browser_test():
    readme = (ROOT / "README.md").read_text()
    shown = re.findall(r"\(docs/screenshots/([\w-]+)\.png\)", readme)
    tests = "\n".join(p.read_text() for p in (ROOT / "assessments" / "tests" / "browser").glob("test_*.py"))
    assert len(shown) >= 10
    for name in shown:
        assert (ROOT / "docs" / "screenshots" / f"{name}.png").is_file(), name
        assert re.search(rf'shot\([^")]*"{re.escape(name)}"', tests), f"no browser test takes {name}"
