"""A local OpenAI-compatible HTTP server for tests: the real langchain-openai client talks to it.

Replies are scripted: each request to /v1/chat/completions takes the next entry of `script`
(or calls `responder(request_json)` when the script is empty):
  Reply(json_content=...)  a completion whose message content is that JSON (structured output)
  Reply(text=...)          a completion with plain text, or an SSE stream when the client asks to stream
  Reply(status=500)        an HTTP error
  Reply(delay=2.0, ...)    wait first (a slow model)
  Reply(chunk_delay=0.1)   wait between streamed chunks (a slow stream)

`methods` limits the structured-output methods the server supports, as real servers do: a request
asking for another (see `method_of`) gets `refusal_status`, before any reply is taken. A reply to a
request with tools is a call of its first tool, with the JSON as arguments.
"""

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

# A well-formed generated item, as a model would return it.
GOOD_ITEM = {
    "prompt": "Which HTTP method is idempotent by definition?",
    "options": ["POST", "PUT", "PATCH", "CONNECT"],
    "correct_option": 1,
    "explanation": "PUT replaces the resource; repeating it has the same effect.",
    "difficulty": "medium",
}


@dataclass
class Reply:
    json_content: dict[str, Any] | None = None
    text: str | None = None
    status: int = 200
    delay: float = 0.0
    chunk_size: int = 6
    chunk_delay: float = 0.0


class FakeOpenAI:
    def __init__(self) -> None:
        self.script: list[Reply] = []
        self.responder: Callable[[dict[str, Any]], Reply] | None = None
        self.requests: list[dict[str, Any]] = []
        self.methods: set[str] | None = None  # None: every method
        self.refusal_status = 400
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def next_reply(self, request: dict[str, Any]) -> Reply:
        with self._lock:
            self.requests.append(request)
            if self.script:
                return self.script.pop(0)
        if self.responder is not None:
            return self.responder(request)
        return Reply(status=500)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                if fake.methods is not None and method_of(body) not in fake.methods:
                    with fake._lock:
                        fake.requests.append(body)
                    self._send_json(fake.refusal_status, {"error": {"message": "unsupported", "type": "invalid"}})
                    return
                reply = fake.next_reply(body)
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.status != 200:
                    self._send_json(reply.status, {"error": {"message": "scripted failure", "type": "server_error"}})
                    return
                content = json.dumps(reply.json_content) if reply.json_content is not None else (reply.text or "")
                if body.get("tools") and reply.json_content is not None:
                    self._send_json(200, _tool_call(body, content))
                    return
                if body.get("stream"):
                    self._stream(body, content, reply.chunk_size, reply.chunk_delay)
                else:
                    self._send_json(200, _completion(body, content))

            def _send_json(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, body: dict[str, Any], content: str, size: int, pause: float) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                pieces = [content[i : i + size] for i in range(0, len(content), size)]
                for piece in pieces:
                    self._event(_chunk(body, {"content": piece}, None))
                    time.sleep(pause)
                self._event(_chunk(body, {}, "stop"))
                if body.get("stream_options", {}).get("include_usage"):
                    usage_chunk = _chunk(body, {}, None)
                    usage_chunk["choices"] = []
                    usage_chunk["usage"] = _usage(content)
                    self._event(usage_chunk)
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

            def _event(self, payload: dict[str, Any]) -> None:
                self.wfile.write(f"data: {json.dumps(payload)}\n\n".encode())
                self.wfile.flush()

        return Handler

    def start(self) -> None:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def is_judge_request(request: dict[str, Any]) -> bool:
    """Whether a chat request is the tutor's judge at work (`providers.OpenAITutor.judge`)."""
    from assessments.ai.providers import JUDGE_SYSTEM

    messages = request.get("messages") or [{}]
    return not request.get("stream") and messages[0].get("content") == JUDGE_SYSTEM


CLEAR = Reply(json_content={"picks": None, "excludes": []})  # the judge finds that a reply reveals nothing


def method_of(request: dict[str, Any]) -> str:
    """Which structured-output method a chat request uses (assessments/ai/structured.py's names)."""
    kind = (request.get("response_format") or {}).get("type")
    if kind in ("json_schema", "json_object"):
        return str(kind)
    return "tools" if request.get("tools") else "prompt"


def _tool_call(body: dict[str, Any], arguments: str) -> dict[str, Any]:
    completion = _completion(body, "")
    name = body["tools"][0]["function"]["name"]
    completion["choices"][0]["message"] = {
        "role": "assistant",
        "content": None,
        "tool_calls": [{"id": "call_fake", "type": "function", "function": {"name": name, "arguments": arguments}}],
    }
    completion["choices"][0]["finish_reason"] = "tool_calls"
    return completion


def _usage(content: str) -> dict[str, int]:
    completion = max(1, len(content) // 4)
    return {"prompt_tokens": 120, "completion_tokens": completion, "total_tokens": 120 + completion}


def _completion(body: dict[str, Any], content: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "fake"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        "usage": _usage(content),
    }


def _chunk(body: dict[str, Any], delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": body.get("model", "fake"),
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
    }


@pytest.fixture
def fake_openai(settings: Any) -> Iterator[FakeOpenAI]:
    """A running fake server, with settings pointing the `openai` provider at it."""
    fake = FakeOpenAI()
    fake.start()
    settings.JATAYU_AI_PROVIDER = "openai"
    settings.OPENAI_API_KEY = "test-key-not-real"
    settings.OPENAI_BASE_URL = fake.url
    settings.JATAYU_AI_TIMEOUT_SECONDS = 2.0
    settings.JATAYU_AI_MAX_RETRIES = 0
    yield fake
    fake.stop()
