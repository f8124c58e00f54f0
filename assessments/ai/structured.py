"""Structured output from whichever OpenAI-compatible server is configured.

Servers differ in how they can be held to a JSON shape. This module knows four methods:

- `json_schema`: `response_format` of type `json_schema` (OpenAI, vLLM);
- `json_object`: `response_format` of type `json_object` with the schema beside it (llama-cpp-python
  enforces it by grammar; a server that ignores the schema still returns JSON);
- `tools`: a forced function call whose arguments are the JSON;
- `prompt`: the schema in the prompt, and the first JSON object of the reply, parsed leniently.

`JATAYU_AI_STRUCTURED_OUTPUT` names one of them, or `auto` (the default): the strongest first, then
the next whenever the server refuses one. A method refused with a 4xx is not tried again for that
base URL and model, for the life of the process; one that failed with a 5xx only after it failed
twice (llama-cpp-python answers an unsupported `json_schema` with a 500, and so may a server having a
bad moment). What works is logged once.
"""

import json
import logging
from collections import Counter
from typing import Any, TypeVar

import openai
from django.conf import settings
from pydantic import BaseModel

logger = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)

METHODS = ("json_schema", "json_object", "tools", "prompt")
CHOICES = ("auto", *METHODS)
# What a server answers when it does not support what the request asked for. Timeouts and
# connection errors are not refusals: the next method would fail the same way.
REFUSALS = (openai.BadRequestError, openai.UnprocessableEntityError, openai.NotFoundError, openai.InternalServerError)

SKIP_AFTER = 2  # refusals (a 4xx counts as two) before a method is no longer tried
_refusals: Counter[tuple[str, str, str]] = Counter()  # (base URL, model, method) -> refusals
_logged: set[tuple[str, str, str]] = set()


class Unparseable(ValueError):
    """The server answered, but not with the JSON asked for."""


def methods_for(*, base_url: str, model: str) -> list[str]:
    """The methods to try, in order."""
    chosen = settings.JATAYU_AI_STRUCTURED_OUTPUT
    if chosen != "auto":
        return [chosen]
    left = [m for m in METHODS if _refusals[(base_url, model, m)] < SKIP_AFTER]
    return left or [METHODS[-1]]


async def structured_invoke(
    llm: Any, schema: type[M], messages: list[tuple[str, str]], *, base_url: str, model: str
) -> tuple[M, Any]:
    """`schema` filled in by the model, and the raw reply (for its usage)."""
    refused: Exception | None = None
    for method in methods_for(base_url=base_url, model=model):
        try:
            parsed, raw = await _invoke(llm, schema, messages, method)
        except REFUSALS as exc:
            logger.info("structured output: %s refused %s (%s); trying the next method", base_url, method, exc)
            _refusals[(base_url, model, method)] += 1 if isinstance(exc, openai.InternalServerError) else SKIP_AFTER
            refused = exc
            continue
        if (base_url, model, method) not in _logged:
            _logged.add((base_url, model, method))
            logger.info("structured output for %s at %s: %s", model, base_url or "OpenAI", method)
        return parsed, raw
    if refused is None:
        raise RuntimeError("no structured-output method to try")
    raise refused


def forget_methods() -> None:
    """Forget which methods were refused (tests, or a server that was upgraded)."""
    _refusals.clear()
    _logged.clear()


async def _invoke(llm: Any, schema: type[M], messages: list[tuple[str, str]], method: str) -> tuple[M, Any]:
    if method in ("json_schema", "tools"):
        runnable = llm.with_structured_output(
            schema, method="json_schema" if method == "json_schema" else "function_calling", include_raw=True
        )
        result = await runnable.ainvoke(messages)
        if result.get("parsing_error") or result.get("parsed") is None:
            raise Unparseable(f"unparseable reply: {result.get('parsing_error')}")
        return result["parsed"], result.get("raw")
    asked = _with_schema(messages, schema)
    if method == "json_object":
        llm = llm.bind(response_format={"type": "json_object", "schema": schema.model_json_schema()})
    raw = await llm.ainvoke(asked)
    return json_parsed(str(raw.content), schema), raw


def _with_schema(messages: list[tuple[str, str]], schema: type[BaseModel]) -> list[tuple[str, str]]:
    """The request, told in words to answer with one JSON object of `schema`."""
    shape = json.dumps(schema.model_json_schema())
    return [
        *messages,
        ("system", f"Answer with one JSON object only, no other text, that matches this JSON schema: {shape}"),
    ]


def json_parsed(text: str, schema: type[M]) -> M:
    """The first JSON object in `text` (code fences and chatter around it are ignored), as `schema`."""
    start = text.find("{")
    while start != -1:
        try:
            value, _ = json.JSONDecoder().raw_decode(text, start)
        except ValueError:
            start = text.find("{", start + 1)
            continue
        try:
            return schema.model_validate(value)
        except ValueError as exc:
            raise Unparseable(f"the reply's JSON does not fit {schema.__name__}: {exc}") from exc
    raise Unparseable(f"no JSON object in the reply: {text[:200]!r}")
