"""The API key never leaks: not in log records (every ``nextevi_widgets`` and ``websockets``
logger at DEBUG, tracebacks included), exceptions (their chains too), reprs, events or session
traits, whether the session works, is refused (4001/4003) or cannot connect at all. And the
emulator binds to loopback unless told otherwise, warning when it is.

The saved-notebook and synced-widget-state checks live with the widget and browser tests
(``tests/widget``, ``tests/browser``); these cover everything on the kernel side.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import traceback
from collections.abc import Iterator

import pytest

from nextevi_widgets.client import ConnectionOptions
from nextevi_widgets.client.client import NextEVIClient
from nextevi_widgets.client.errors import NextEVIError
from nextevi_widgets.emulator import Emulator, EmulatorAuth
from nextevi_widgets.session import VoiceSession

KEY = "oak_LEAKCANARY_5f2c9a7e1b3d4f60"
SECRET_PART = "LEAKCANARY_5f2c9a7e1b3d4f60"  # also caught when the prefix is cut off
TIMEOUT = 20.0


class LeakWatch(logging.Handler):
    """Formats every record (message, args, traceback) of the watched loggers at DEBUG."""

    LOGGERS = ("nextevi_widgets", "websockets")

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []
        self._saved: list[tuple[logging.Logger, int]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    def __enter__(self) -> LeakWatch:
        for name in self.LOGGERS:
            logger = logging.getLogger(name)
            self._saved.append((logger, logger.level))
            logger.setLevel(logging.DEBUG)
            logger.addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        for logger, level in self._saved:
            logger.removeHandler(self)
            logger.setLevel(level)

    def text(self) -> str:
        return "\n".join(self.lines)


@pytest.fixture
def watch() -> Iterator[LeakWatch]:
    with LeakWatch() as handler:
        yield handler


def assert_clean(*texts: str) -> None:
    for text in texts:
        assert SECRET_PART not in text
        assert KEY not in text


def exception_text(exc: BaseException) -> str:
    """str, repr and the full formatted chain (causes and contexts) of an exception."""
    return "\n".join([str(exc), repr(exc), *traceback.format_exception(exc)])


def dead_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port  # closed again: nothing listens there


async def test_a_whole_conversation_logs_nothing_secret(watch: LeakWatch) -> None:
    async with Emulator(profile="deterministic") as emu:
        session = VoiceSession(api_key=KEY, config_id="deterministic", url=emu.url, emulator=False)
        events: list[str] = []
        session.on_event(lambda d, e, t: events.append(repr(e)))
        session.start()
        await session.wait_until("connected", timeout=TIMEOUT)
        session.say("hello there")
        await session.wait_until(
            lambda s: any(m["role"] == "assistant" and m["text"] for m in s.messages),
            timeout=TIMEOUT,
        )
        client = session.client
        assert client is not None
        reprs = [repr(session), str(session), repr(client), str(client), client.url]
        traits = repr({name: getattr(session, name) for name in session.trait_names()})
        closing = session.close()
        assert closing is not None
        await asyncio.wait_for(closing, TIMEOUT)

    # The handshake (whose URL carries the key) was logged, redacted: the check has teeth.
    assert any("GET /ws/voice/" in line for line in watch.lines)
    assert_clean(watch.text(), *events, *reprs, traits)


@pytest.mark.parametrize(
    ("auth", "code"),
    [
        (EmulatorAuth(api_keys=frozenset({"oak_some_other_valid_key_123"})), 4001),
        (EmulatorAuth(denied_keys=frozenset({KEY})), 4003),
    ],
    ids=["auth-failed", "access-denied"],
)
async def test_refused_credentials_leak_nowhere(
    watch: LeakWatch, auth: EmulatorAuth, code: int
) -> None:
    async with Emulator(profile="deterministic", auth=auth) as emu:
        client = NextEVIClient(api_key=KEY, config_id="deterministic", url=emu.url)
        with pytest.raises(NextEVIError) as caught:
            await asyncio.wait_for(client.connect(), TIMEOUT)
        await client.close()
        assert emu.stats.auth_failures == 1

        session = VoiceSession(api_key=KEY, config_id="deterministic", url=emu.url, emulator=False)
        session.start()
        await session.wait_until("error", timeout=TIMEOUT)

    assert str(code) in str(caught.value)
    assert str(code) in session.last_error
    last = client.last_error
    assert_clean(
        watch.text(),
        exception_text(caught.value),
        "" if last is None else exception_text(last),
        session.last_error,
        repr(session),
        repr(client),
    )


async def test_connection_refused_leaks_nowhere(watch: LeakWatch) -> None:
    url = f"ws://127.0.0.1:{dead_port()}/ws/voice"
    client = NextEVIClient(
        api_key=KEY, config_id="cfg-secret-test", url=url, max_reconnect_attempts=0
    )
    with pytest.raises(Exception) as caught:  # any error: its text is the point
        await asyncio.wait_for(client.connect(), TIMEOUT)
    await client.close()

    session = VoiceSession(
        api_key=KEY, config_id="cfg-secret-test", url=url, emulator=False, max_reconnect_attempts=0
    )
    session.start()
    await session.wait_until("error", timeout=TIMEOUT)

    assert session.last_error
    assert_clean(watch.text(), exception_text(caught.value), session.last_error, repr(session))


async def test_connection_options_carry_the_key_without_showing_it(
    watch: LeakWatch, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The options object, passed through a refused session, and every error about it."""
    monkeypatch.setenv("NEXTEVI_ACCESS_TOKEN", f"env-token-{SECRET_PART}")
    options = ConnectionOptions(api_key=KEY, config_id="deterministic", max_reconnect_attempts=0)
    texts = [repr(options), str(options), f"{options}", repr(options.resolve())]
    with pytest.raises(TypeError) as conflict:
        VoiceSession(options=options, api_key=f"oak_other_{SECRET_PART}", emulator=False)
    with pytest.raises(TypeError) as misspelt:
        VoiceSession(api_kye=KEY, emulator=False)  # type: ignore[call-arg]
    with pytest.raises(ValueError) as not_text:
        ConnectionOptions(api_key=KEY.encode())  # type: ignore[arg-type]
    auth = EmulatorAuth(denied_keys=frozenset({KEY}))
    async with Emulator(profile="deterministic", auth=auth) as emu:
        session = VoiceSession(options=options.replace(url=emu.url), emulator=False)
        session.start()
        await session.wait_until("error", timeout=TIMEOUT)
        assert emu.stats.auth_failures == 1  # the key did reach the server
    assert "4003" in session.last_error
    texts += [repr(session.options), session.last_error, repr(session)]
    assert "api_key='oak_***'" in texts[0]
    assert_clean(
        watch.text(),
        *texts,
        *(exception_text(e.value) for e in (conflict, misspelt, not_text)),
    )


def test_an_invalid_url_error_does_not_echo_the_key(watch: LeakWatch) -> None:
    with pytest.raises(ValueError) as caught:  # raised by the constructor, before any I/O
        NextEVIClient(api_key=KEY, config_id="cfg", url="ws://[::1:bad/ws/voice")
    assert_clean(watch.text(), exception_text(caught.value))


# ---------------------------------------------------------------------------- emulator binding


async def test_emulator_binds_to_loopback_by_default(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="nextevi_widgets")
    async with Emulator() as emu:
        assert emu.url.startswith("ws://127.0.0.1:")
        server = emu._server
        assert server is not None
        for sock in server.sockets:
            host = sock.getsockname()[0]
            assert ipaddress.ip_address(host).is_loopback
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


async def test_emulator_warns_when_bound_beyond_loopback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="nextevi_widgets")
    async with Emulator(host="0.0.0.0"):
        pass
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "loopback" in warnings[0].getMessage()
