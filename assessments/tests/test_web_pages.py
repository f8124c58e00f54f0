"""The candidate pages render, load only the project's own static files, and keep tokens out of URLs.

What the pages do in a browser is tested in Chromium (assessments/tests/browser/)."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

STATIC_DIR = Path(settings.BASE_DIR) / "assessments" / "static" / "jatayu"
PAGES = {
    "/": ("sign-in", 'id="sign-in-form"'),
    "/tests/": ("my-tests", 'id="tests"'),
    "/assessment/7/": ("assessment", 'data-test-id="7"'),
    "/results/12/": ("result", 'data-assessment-id="12"'),
}


@pytest.mark.parametrize(("path", "expected"), PAGES.items())
def test_each_page_renders_without_a_session(client: Client, path: str, expected: tuple[str, str]) -> None:
    page, marker = expected

    response = client.get(path)

    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-page="{page}"' in html
    assert marker in html
    assert '<html lang="en">' in html
    assert 'name="viewport"' in html
    assert "/static/jatayu/app.js" in html
    assert "/static/jatayu/styles.css" in html
    assert "{#" not in html
    assert "{%" not in html, "template syntax left in the page"


@pytest.mark.parametrize("path", PAGES)
def test_pages_load_nothing_from_another_origin_and_run_no_inline_script(client: Client, path: str) -> None:
    response = client.get(path)

    html = response.content.decode()
    assert not re.search(r"""(src|href)=["'](https?:)?//""", html), "a page must not load anything from a CDN"
    for script in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in script, f"inline script: {script}"
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert response["Cache-Control"] == "no-store"


def test_only_the_assessment_page_loads_the_assessment_script(client: Client) -> None:
    script = '<script type="module" src="/static/jatayu/assessment/main.js">'
    assert script in client.get("/assessment/3/").content.decode()
    assert "/static/jatayu/assessment/" not in client.get("/tests/").content.decode()


@pytest.mark.parametrize("path", PAGES)
def test_the_scripts_are_native_modules(client: Client, path: str) -> None:
    assert '<script type="module" src="/static/jatayu/app.js">' in client.get(path).content.decode()


IMPORT = re.compile(r'^import \{([^}]*)\} from "([^"]+)";', re.M)
EXPORT = re.compile(r"^export (?:async )?(?:function|const|let|class) ([\w$]+)", re.M)


def test_every_import_between_the_modules_resolves() -> None:
    """Relative imports (no build step): each names a file that exists and something it exports."""
    for script in STATIC_DIR.rglob("*.js"):
        for names, target in IMPORT.findall(script.read_text()):
            assert target.startswith(("./", "../")), f"{script.name}: {target}"
            path = (script.parent / target).resolve()
            assert path.is_file(), f"{script.name} imports {target}, which does not exist"
            exported = set(EXPORT.findall(path.read_text()))
            missing = {name.strip() for name in names.split(",") if name.strip()} - exported
            assert not missing, f"{script.name} imports {missing} from {target}, which does not export them"


def test_the_sign_in_form_posts_so_a_password_never_lands_in_a_url(client: Client) -> None:
    html = client.get("/").content.decode()

    form = re.search(r"<form[^>]*id=\"sign-in-form\"[^>]*>", html)
    assert form is not None
    assert 'method="post"' in form.group(0)
    assert 'autocomplete="current-password"' in html
    assert '<label for="username">' in html
    assert '<label for="password">' in html


def test_the_assessment_page_has_labelled_live_regions(client: Client) -> None:
    html = client.get("/assessment/3/").content.decode()

    assert 'role="timer"' in html
    assert 'aria-live="assertive"' in html  # time warnings
    assert 'role="log"' in html  # the tutor chat
    assert '<label for="chat-input">' in html
    assert '<label for="progress"' in html
    assert "This assessment continues in another window" in html


@pytest.mark.parametrize("path", ["/assessment/abc/", "/results/x/"])
def test_ids_in_page_urls_must_be_numbers(client: Client, path: str) -> None:
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("path", ["/", "/tests/", "/assessment/1/"])
def test_pages_only_answer_get(client: Client, path: str) -> None:
    assert Client(enforce_csrf_checks=False).post(path).status_code == 405


@pytest.mark.parametrize(
    "name", ["app.js", "api.js", "shared.js", "assessment/main.js", "assessment/socket.js", "monitor.js", "styles.css"]
)
def test_static_files_are_served_by_the_app_itself(client: Client, name: str) -> None:
    response = client.get(f"/static/jatayu/{name}")

    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content  # type: ignore[attr-defined]
    assert body == (STATIC_DIR / name).read_bytes()


def test_the_scripts_never_put_a_token_in_a_url() -> None:
    for script in STATIC_DIR.rglob("*.js"):
        source = script.read_text()
        assert "token=" not in source, f"{script.name} builds a URL with a token"
        assert "localStorage" not in source, f"{script.name} keeps something beyond this tab"
        assert "innerHTML" not in source, f"{script.name} writes HTML from data"
