"""Replies from any OpenAI-compatible ``/v1/chat/completions`` endpoint, streamed over SSE.

Standard library only (``urllib``). Configuration comes from the environment:
``NEXTEVI_EMULATOR_LLM_BASE_URL`` (e.g. ``http://127.0.0.1:8080/v1``),
``NEXTEVI_EMULATOR_LLM_MODEL`` and ``NEXTEVI_EMULATOR_LLM_API_KEY`` (optional). The key only
ever travels in the ``Authorization`` header: it is not logged, not in any repr and not in
any error message.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "ENV_API_KEY",
    "ENV_BASE_URL",
    "ENV_MODEL",
    "LLMError",
    "OpenAICompatibleResponder",
    "iter_sse_data",
]

logger = logging.getLogger(__name__)

ENV_BASE_URL = "NEXTEVI_EMULATOR_LLM_BASE_URL"
ENV_MODEL = "NEXTEVI_EMULATOR_LLM_MODEL"
ENV_API_KEY = "NEXTEVI_EMULATOR_LLM_API_KEY"

DEFAULT_SYSTEM_PROMPT = (
    "You are a warm, empathic voice assistant. Reply in one to three short spoken sentences, "
    "without lists or markdown. Acknowledge how the user seems to feel when it matters."
)


class LLMError(RuntimeError):
    """The endpoint failed or answered with something that is not a chat completion stream."""


def iter_sse_data(lines: Iterator[bytes]) -> Iterator[str]:
    """The ``data`` payload of each server-sent event in a stream of raw lines."""
    data: list[str] = []
    for raw in lines:
        line = raw.decode("utf-8").rstrip("\r\n")
        if not line:
            if data:
                yield "\n".join(data)
                data = []
            continue
        if line.startswith(":"):
            continue  # comment / keep-alive
        field, _, value = line.partition(":")
        if field == "data":
            data.append(value[1:] if value.startswith(" ") else value)
    if data:
        yield "\n".join(data)


def _endpoint(base_url: str) -> str:
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("LLM base URL must be an http(s) URL")
    base = base_url.rstrip("/")
    if base.endswith("/chat/completions"):
        return base
    return base + ("/chat/completions" if base.endswith("/v1") else "/v1/chat/completions")


def _safe_url(url: str) -> str:
    """Scheme, host and path only: no credentials, no query."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


class OpenAICompatibleResponder:
    """Per-connection :class:`~.base.Responder` backed by a chat-completions endpoint.

    Keeps the last ``memory_turns`` exchanges as context. The detected emotion is passed to
    the model as a short system note on each user turn.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        *,
        system_prompt: str = DEFAULT_SYSTEM_PROMPT,
        memory_turns: int = 6,
        timeout: float = 30.0,
        temperature: float = 0.7,
        max_tokens: int = 200,
    ) -> None:
        self._url = _endpoint(base_url)
        self.model = model
        self.__api_key = api_key or None
        self.system_prompt = system_prompt
        self.timeout = timeout
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.history: deque[dict[str, str]] = deque(maxlen=2 * memory_turns)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> OpenAICompatibleResponder | None:
        """A responder configured from the environment, or None when no base URL is set."""
        env = os.environ if environ is None else environ
        base_url = env.get(ENV_BASE_URL, "").strip()
        if not base_url:
            return None
        model = env.get(ENV_MODEL, "").strip() or "default"
        return cls(base_url, model, env.get(ENV_API_KEY, "").strip() or None)

    def __repr__(self) -> str:
        key = "set" if self.__api_key else "none"
        return f"OpenAICompatibleResponder(url={_safe_url(self._url)!r}, model={self.model!r}, api_key={key})"  # noqa: E501

    def _messages(self, user_text: str, emotions: Mapping[str, float]) -> list[dict[str, str]]:
        messages = [{"role": "system", "content": self.system_prompt}, *self.history]
        if emotions:
            top = sorted(emotions.items(), key=lambda kv: kv[1], reverse=True)[:3]
            described = ", ".join(f"{name} {score:.2f}" for name, score in top)
            messages.append({"role": "system", "content": f"Voice emotion estimate: {described}."})
        messages.append({"role": "user", "content": user_text})
        return messages

    def _request(self, body: dict[str, Any]) -> urllib.request.Request:
        headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
        if self.__api_key:
            headers["Authorization"] = f"Bearer {self.__api_key}"
        return urllib.request.Request(
            self._url, data=json.dumps(body).encode(), headers=headers, method="POST"
        )

    def respond(self, user_text: str, emotions: Mapping[str, float]) -> Iterator[str]:
        body = {
            "model": self.model,
            "messages": self._messages(user_text, emotions),
            "stream": True,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
        }
        request = self._request(body)
        return self._stream(request, user_text)

    def _stream(self, request: urllib.request.Request, user_text: str) -> Iterator[str]:
        reply: list[str] = []
        try:
            try:
                response = urllib.request.urlopen(request, timeout=self.timeout)
            except urllib.error.HTTPError as exc:
                raise LLMError(f"LLM endpoint answered HTTP {exc.code}") from None
            except (urllib.error.URLError, OSError) as exc:
                reason = getattr(exc, "reason", exc)
                raise LLMError(f"LLM endpoint unreachable ({type(reason).__name__})") from None
            with response:
                for payload in iter_sse_data(iter(response.readline, b"")):
                    if payload.strip() == "[DONE]":
                        break
                    delta = _delta_text(payload)
                    if delta:
                        reply.append(delta)
                        yield delta
        finally:
            # Keep whatever was said, even when the reply was interrupted.
            if reply:
                self.history.append({"role": "user", "content": user_text})
                self.history.append({"role": "assistant", "content": "".join(reply)})
            logger.debug("LLM reply: %d deltas from %s", len(reply), _safe_url(self._url))


def _delta_text(payload: str) -> str:
    try:
        event = json.loads(payload)
    except json.JSONDecodeError:
        raise LLMError("LLM stream carried a malformed event") from None
    if not isinstance(event, dict):
        return ""
    if "error" in event:
        raise LLMError("LLM endpoint reported an error in the stream")
    choices = event.get("choices") or []
    if not choices or not isinstance(choices[0], dict):
        return ""
    delta = choices[0].get("delta") or {}
    content = delta.get("content") if isinstance(delta, dict) else None
    return content if isinstance(content, str) else ""
