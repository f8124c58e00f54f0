"""/api/docs/ in Chromium: the API reference loads everything it shows from this server, nothing from
another origin (no web fonts, no logo, no script from a CDN), and renders the schema."""

from urllib.parse import urlsplit

import pytest
from playwright.async_api import Browser, Response, expect

from testsupport.live import Cluster

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.sqlite_ok, pytest.mark.django_db(transaction=True)]


async def test_the_api_reference_loads_nothing_from_another_origin(live: Cluster, browser: Browser) -> None:
    page = await (await browser.new_context()).new_page()
    loaded: list[str] = []  # what the browser fetched (a request the CSP refuses gets no response)

    def record(response: Response) -> None:
        loaded.append(response.url)

    page.on("response", record)
    refused: list[str] = []
    page.on(
        "console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None
    )
    await page.goto(live.w1.http_url("/api/docs/"))

    await expect(page.get_by_text("Jatayu API").first).to_be_visible()
    await expect(page.get_by_text("/api/my/assessments/").first).to_be_attached()
    await page.wait_for_load_state("networkidle")
    own = urlsplit(live.w1.http_url("/")).netloc
    elsewhere = [url for url in loaded if urlsplit(url).scheme in {"http", "https"} and urlsplit(url).netloc != own]
    assert any(urlsplit(url).path == "/api/schema/" for url in loaded)
    assert elsewhere == []
    assert [text for text in refused if "cdn.redoc.ly" not in text] == []  # only ReDoc's own logo is refused
