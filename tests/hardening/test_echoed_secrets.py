"""A server that echoes the credentials cannot put them anywhere.

A real scripted ``websockets`` server sends every server message type (``server_corpus``) with
the configured secret planted in every string (values, keys, unmodelled fields; literal,
percent-encoded, base64 at any alignment, JSON-escaped, after ``Bearer``) and closes with the
secret in the close reason (normal, auth 4001, other fatal 4xxx, abnormal 1011 with a reconnect
that fails the same way). A ``VoiceChat`` whose comm packs every message as the kernel does
watches it all. Then the secret must appear nowhere: session traits, every frame sent to the
page, the widget state the notebook would save, every log record at DEBUG on the root logger
(tracebacks included), events, exception texts, chains and reprs.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, quote_plus

import ipywidgets.embed
import pytest
from _harness.scripted_server import Connection, ScriptedServer
from comm_capture import CommLog, capture_comms
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from server_corpus import base_messages, rewrite_strings

from nextevi_widgets.client.events import Disconnected, ProtocolError
from nextevi_widgets.client.messages import ServerMessage
from nextevi_widgets.widget import VoiceChat

KEY = "oak_ECHO_CANARY_7d1e5b93a0c2f486"
TOKEN = "eyJhbGciOi.ECHOTOKEN_payload.c2lnbmF0dXJl"
URL_SECRET = "urlsig_ECHOQUERY_55aa33cc"
"""A custom auth value in the endpoint URL's query: anything there counts as a credential."""
SECRETS = {"api_key": KEY, "access_token": TOKEN}
TIMEOUT = 20.0
SERVER_LOG = "tests.hostile_server"
CORPUS = base_messages()
CORPUS_NAMES = sorted(CORPUS)


def _b64_cores(secret: str) -> list[str]:
    cores = []
    for pad in ("", "a", "ab"):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            text = encode((pad + secret).encode()).decode()
            start = -(-len(pad) * 8 // 6)
            cores.append(text[start : (len(pad) + len(secret)) * 8 // 6])
    return cores


def leaked_forms(secret: str) -> list[str]:
    """What must not appear (compared case-insensitively for the readable forms)."""
    distinctive = secret.split("_", 1)[1] if secret.startswith("oak_") else secret
    return [distinctive, distinctive.replace("_", " "), secret.replace("_", " ")]


def find_leaks(secret: str, texts: dict[str, str]) -> list[str]:
    found = []
    readable = [f.lower() for f in leaked_forms(secret)]
    cores = _b64_cores(secret)
    for where, text in texts.items():
        low = text.lower()
        if any(f in low for f in readable) or any(core in text for core in cores):
            found.append(where)
    return found


# ------------------------------------------------------------------------------ planting

FORMS: list[Callable[[str], str]] = [
    lambda k: k,
    lambda k: quote(f"see {k}/now?", safe=""),
    lambda k: quote_plus(f"x {k}"),
    lambda k: base64.b64encode(f"{k} tail".encode()).decode(),
    lambda k: base64.b64encode(f"a{k}".encode()).decode(),
    lambda k: base64.urlsafe_b64encode(f"ab{k}".encode()).decode(),
    lambda k: f"Authorization: Bearer {k}",
    lambda k: f"https://api.example/ws?api_key={k}&x=1",
]


def json_escaped(secret: str) -> str:
    return "".join(f"\\u{ord(c):04x}" for c in secret)


@dataclass
class Plan:
    secret: str
    form: int
    where: int  # 0 replace, 1 prefix, 2 suffix, 3 middle

    def plant(self, original: str) -> str:
        planted = FORMS[self.form](self.secret)
        if self.where == 0:
            return planted
        if self.where == 1:
            return planted + original
        if self.where == 2:
            return original + planted
        half = len(original) // 2
        return original[:half] + planted + original[half:]


def frames_for(messages: list[dict[str, Any]], escape: bool, secret: str) -> list[str]:
    frames = [json.dumps(message) for message in messages]
    if escape:  # JSON escapes: the literal never appears in the frame's text
        frames = [frame.replace(secret, json_escaped(secret)) for frame in frames]
    return frames


# ------------------------------------------------------------------------------ scenario


@dataclass
class Scenario:
    credential: str  # "api_key" | "access_token"
    frames: list[str]
    close: str  # "normal" | "auth" | "fatal" | "abnormal"
    reason: str
    served: list[str] = field(default_factory=list)


CLOSE_CODES = {"normal": 1000, "auth": 4001, "fatal": 4400, "abnormal": 1011}


async def run(scenario: Scenario, comms: CommLog) -> dict[str, str]:
    """Serve ``scenario`` to a VoiceChat; return every text the secret must not be in."""

    async def script(conn: Connection) -> None:
        if conn.index == 0:
            for frame in scenario.frames:
                await conn.send(frame)
        await conn.ws.close(CLOSE_CODES[scenario.close], scenario.reason)

    events: list[object] = []
    clients: list[Any] = []

    async with ScriptedServer(script, logger=logging.getLogger(SERVER_LOG)) as server:
        credentials = {scenario.credential: SECRETS[scenario.credential]}
        chat = VoiceChat(
            url=f"{server.url}?sig={URL_SECRET}",
            config_id="echo-config",
            emulator=False,
            reconnect_base_delay=0.01,
            reconnect_max_delay=0.02,
            max_reconnect_attempts=1,
            **credentials,
        )
        session = chat.session
        session.on_event(lambda _d, event, _t: events.append(event))
        session.observe(lambda _c: clients.append(session.client), names=["state"])
        # The runner ends when the server has closed (and the reconnect failed, if any).
        await asyncio.wait_for(chat.connect(), TIMEOUT)
        client = next(c for c in reversed(clients) if c is not None)
        texts = {
            "session traits": repr({n: getattr(session, n) for n in session.trait_names()}),
            "widget state": json.dumps(chat.get_state(), default=repr),
            "saved state": json.dumps(ipywidgets.embed.embed_data(views=[chat]), default=repr),
            "reprs": "\n".join([repr(session), str(session), repr(chat), str(session.url)]),
            "client": f"{client!r} {client.url} {client.last_error!r} {client.stats!r}",
        }
        closing = session.close()
        if closing is not None:
            await asyncio.wait_for(closing, TIMEOUT)
        chat.close()
    # Every frame arrived (as a message, or as a protocol error for a broken one).
    received = [e for e in events if isinstance(e, ServerMessage | ProtocolError)]
    assert len(received) >= len(scenario.frames)
    texts["events"] = "\n".join(f"{e!r}\n{e}" for e in events)
    errors = [e.error for e in events if isinstance(e, Disconnected) and e.error is not None]
    errors += [client.last_error] if client.last_error is not None else []
    texts["exceptions"] = "\n".join(
        "\n".join([str(exc), repr(exc), *traceback.format_exception(exc)]) for exc in errors
    )
    texts["page"] = comms.text()
    texts["widget errors"] = repr(chat.error_output.outputs)
    assert not comms.failures, comms.failures
    return texts


def log_text(caplog: pytest.LogCaptureFixture) -> str:
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    records = [r for r in caplog.records if not r.name.startswith(SERVER_LOG)]
    # The client's handshake (its URL carries the key) was logged at DEBUG: the check has teeth.
    assert any("> GET /ws/voice/" in r.getMessage() for r in records)
    return "\n".join(formatter.format(r) for r in records)


def check(scenario: Scenario, caplog: pytest.LogCaptureFixture) -> dict[str, str]:
    caplog.clear()
    with capture_comms() as comms:
        texts = asyncio.run(run(scenario, comms))
    texts["logs"] = log_text(caplog)
    for secret in (SECRETS[scenario.credential], URL_SECRET):
        assert find_leaks(secret, texts) == [], secret
    # What the server said went through, scrubbed (the close reason at least).
    assert "***" in texts["events"] + texts["exceptions"]
    return texts


# ------------------------------------------------------------------------------ the reported paths


def planted(name: str, changes: dict[str, Any]) -> str:
    return json.dumps({**CORPUS[name], **changes})


@pytest.mark.parametrize(
    ("frames", "close", "shown"),
    [
        pytest.param(
            [planted("reconstructed/system_message.json", {"content": f"Your key is {KEY}"})],
            "normal",
            "Your key is ***",
            id="system_message-content",
        ),
        pytest.param(
            # The idle path shows "final warning": scrubbing after that formatting would miss it.
            [planted("reconstructed/idle_warning.json", {"warning_type": f"final_{KEY}"})],
            "normal",
            "Idle final ***",
            id="idle_warning-type",
        ),
        pytest.param([], "auth", "Authentication failed (4001", id="auth-close-reason"),
        pytest.param([], "fatal", "(4400 rejected ***)", id="fatal-close-reason"),
        pytest.param([], "abnormal", "gave up after 1 reconnect", id="abnormal-close-reason"),
    ],
)
def test_the_reported_paths_carry_no_key(
    caplog: pytest.LogCaptureFixture, frames: list[str], close: str, shown: str
) -> None:
    caplog.set_level(logging.DEBUG)
    scenario = Scenario("api_key", frames, close, f"rejected {KEY}")
    texts = check(scenario, caplog)
    # The user still sees what happened, without the key.
    assert shown in texts["session traits"]
    assert shown in texts["page"]
    if close == "abnormal":
        assert "connection dropped (code 1011 rejected ***)" in texts["logs"]


# ------------------------------------------------------------------------------ property


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    credential = draw(st.sampled_from(sorted(SECRETS)))
    secret = draw(st.sampled_from([SECRETS[credential], URL_SECRET]))
    plans = st.builds(Plan, st.just(secret), st.integers(0, len(FORMS) - 1), st.integers(0, 3))
    names = draw(st.lists(st.sampled_from(CORPUS_NAMES), min_size=1, max_size=5))
    messages = []
    for name in names:
        keep_type = draw(st.booleans()) or name == "unknown"
        plan = draw(plans)
        messages.append(rewrite_strings(CORPUS[name], plan.plant, keep_type=keep_type))
        if not keep_type:
            messages[-1]["type"] = plan.plant(CORPUS[name]["type"])
    escape = draw(st.booleans())
    reason_plan = draw(plans)
    reason = reason_plan.plant("bye ")[:100]
    if secret not in reason and not any(c in reason for c in _b64_cores(secret)):
        reason = f"bye {secret}"  # cut by the length limit: plant it whole
    close = draw(st.sampled_from(sorted(CLOSE_CODES)))
    return Scenario(credential, frames_for(messages, escape, secret), close, reason)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenarios())
def test_whatever_the_server_echoes_the_secret_appears_nowhere(
    caplog: pytest.LogCaptureFixture, scenario: Scenario
) -> None:
    caplog.set_level(logging.DEBUG)
    check(scenario, caplog)
