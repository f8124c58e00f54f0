"""Reading the API's paged lists in tests."""

from typing import Any


def whole_list(response: Any) -> list[dict[str, Any]]:
    """The rows of a paged list response, asserting they all fit on its one page."""
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}, body
    assert (body["count"], body["next"], body["previous"]) == (len(body["results"]), None, None), body
    return body["results"]
