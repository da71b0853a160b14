"""OpenAICompatibleResponder against a real local HTTP server that streams SSE chunks."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from nextevi_widgets.emulator.engines.base import Responder
from nextevi_widgets.emulator.engines.llm import (
    ENV_API_KEY,
    ENV_BASE_URL,
    ENV_MODEL,
    LLMError,
    OpenAICompatibleResponder,
    iter_sse_data,
)

KEY = "sk-test-7f3a9c"
PIECES = ["I'm ", "sorry ", "to hear ", "that."]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append({"path": self.path, "headers": dict(self.headers), **body})
        if self.server.status != 200:
            self.send_response(self.server.status)
            self.end_headers()
            self.wfile.write(b'{"error": "nope"}')
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        self.wfile.write(b": keep-alive\n\n")
        first = {"choices": [{"delta": {"role": "assistant"}}]}
        self.wfile.write(f"data: {json.dumps(first)}\n\n".encode())
        for piece in self.server.pieces:
            event = {"choices": [{"index": 0, "delta": {"content": piece}}]}
            self.wfile.write(f"data: {json.dumps(event)}\r\n\r\n".encode())
            self.wfile.flush()
        self.wfile.write(b"data: [DONE]\n\n")


class _Server(ThreadingHTTPServer):
    requests: list[dict[str, Any]]
    status: int
    pieces: list[str]


@pytest.fixture
def server() -> Iterator[_Server]:
    httpd = _Server(("127.0.0.1", 0), _Handler)
    httpd.requests, httpd.status, httpd.pieces = [], 200, list(PIECES)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


def base_url(server: _Server) -> str:
    host, port = server.server_address[:2]
    return f"http://{host!s}:{port}/v1"


def test_streams_deltas_and_sends_context(server: _Server) -> None:
    llm = OpenAICompatibleResponder(base_url(server), "tiny-model", KEY, timeout=10)
    assert isinstance(llm, Responder)
    deltas = list(llm.respond("I lost my keys", {"sadness": 0.7, "neutral": 0.2}))
    assert deltas == PIECES
    request = server.requests[0]
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["Authorization"] == f"Bearer {KEY}"
    assert request["model"] == "tiny-model"
    assert request["stream"] is True
    assert request["messages"][-1] == {"role": "user", "content": "I lost my keys"}
    assert "sadness 0.70" in request["messages"][-2]["content"]


def test_memory_carries_earlier_turns(server: _Server) -> None:
    llm = OpenAICompatibleResponder(base_url(server), "m", timeout=10)
    list(llm.respond("first", {}))
    server.pieces = ["Second ", "answer."]
    list(llm.respond("second", {}))
    messages = server.requests[1]["messages"]
    roles = [m["role"] for m in messages]
    assert roles == ["system", "user", "assistant", "user"]
    assert messages[2]["content"] == "".join(PIECES)
    assert "Authorization" not in server.requests[1]["headers"]  # no key configured


def test_errors_never_reveal_the_key(server: _Server, caplog: pytest.LogCaptureFixture) -> None:
    server.status = 401
    llm = OpenAICompatibleResponder(base_url(server), "m", KEY, timeout=10)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(LLMError, match="HTTP 401") as info:
        list(llm.respond("hi", {}))
    assert KEY not in str(info.value)
    assert KEY not in repr(llm)
    assert KEY not in caplog.text
    assert "api_key=set" in repr(llm)


def test_unreachable_endpoint_is_an_llm_error() -> None:
    with ThreadingHTTPServer(("127.0.0.1", 0), _Handler) as probe:
        port = probe.server_address[1]
    llm = OpenAICompatibleResponder(f"http://127.0.0.1:{port}", "m", KEY, timeout=5)
    with pytest.raises(LLMError, match="unreachable") as info:
        list(llm.respond("hi", {}))
    assert KEY not in str(info.value)


def test_from_env(server: _Server) -> None:
    assert OpenAICompatibleResponder.from_env({}) is None
    env = {ENV_BASE_URL: base_url(server), ENV_MODEL: "env-model", ENV_API_KEY: KEY}
    llm = OpenAICompatibleResponder.from_env(env)
    assert llm is not None
    assert "".join(llm.respond("hello", {})) == "".join(PIECES)
    assert server.requests[0]["model"] == "env-model"
    with pytest.raises(ValueError, match="http"):
        OpenAICompatibleResponder("ftp://example.invalid", "m")


def test_sse_parser_joins_multiline_data_and_skips_comments() -> None:
    lines = [b": ping\n", b"data: a\n", b"data: b\n", b"\n", b"event: x\n", b"data:c\n"]
    assert list(iter_sse_data(iter(lines))) == ["a\nb", "c"]
