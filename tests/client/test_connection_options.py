"""``ConnectionOptions``: one typed object from ``VoiceChat`` to ``VoiceSession`` to
``NextEVIClient``; the ``NEXTEVI_*`` variables read in one place; unknown keywords rejected by
name at the caller's line; the configured reconnect policy observed on a real server."""

from __future__ import annotations

import ast
import asyncio
import dataclasses
import subprocess
import sys
import textwrap
import typing
from pathlib import Path

import pytest
from client_servers import KEY, ScriptedServer, Session, collect

import nextevi_widgets
from nextevi_widgets.client import ConnectionKeywords, ConnectionOptions, NextEVIClient
from nextevi_widgets.client.errors import ReconnectExhaustedError
from nextevi_widgets.client.events import Disconnected, Reconnecting
from nextevi_widgets.client.messages import SessionSettings, TurnDetection
from nextevi_widgets.client.options import ENVIRONMENT_VARIABLES, read_environment
from nextevi_widgets.session import VoiceSession
from nextevi_widgets.widget import VoiceChat

TOKEN = "eyJhbGciOiJIUzI1NiJ9.OPTIONS-SECRET.sig"
PACKAGE = Path(nextevi_widgets.__file__).parent
FAST = {"reconnect_base_delay": 0.01, "reconnect_max_delay": 0.02}


# ---------------------------------------------------------------------- the object


def test_the_keywords_typed_dict_declares_exactly_the_fields() -> None:
    fields = typing.get_type_hints(ConnectionOptions)
    keywords = typing.get_type_hints(ConnectionKeywords)
    assert keywords == fields
    assert [f.name for f in dataclasses.fields(ConnectionOptions)] == list(keywords)


def test_session_and_widget_keywords_are_what_they_accept() -> None:
    import inspect

    from nextevi_widgets._session.options import SESSION_PARAMETERS, SessionKeywords
    from nextevi_widgets._widget.chat import VoiceChatKeywords

    session_own = set(SessionKeywords.__annotations__) - set(ConnectionKeywords.__annotations__)
    parameters = inspect.signature(VoiceSession.__init__).parameters
    named = {name for name, p in parameters.items() if p.kind is p.KEYWORD_ONLY}
    assert session_own | {"options"} == named == set(SESSION_PARAMETERS)
    widget_own = set(VoiceChatKeywords.__annotations__) - set(SessionKeywords.__annotations__)
    assert widget_own
    assert all(VoiceChat._is_ui(name) for name in widget_own)


def test_exported_from_the_client_and_the_package() -> None:
    import nextevi_widgets.client as client

    assert client.ConnectionOptions is ConnectionOptions
    assert nextevi_widgets.ConnectionOptions is ConnectionOptions


def test_repr_never_shows_a_secret() -> None:
    options = ConnectionOptions(
        api_key=KEY,
        access_token=TOKEN,
        config_id="cfg-visible",
        url="wss://user:hunter2-password@example.org/ws/voice?signature=s3cr3t-query-value",
        max_reconnect_attempts=2,
    )
    for text in (repr(options), str(options), f"{options}", f"{options!r}", repr([options])):
        for secret in (KEY, "clienttest", TOKEN, "OPTIONS-SECRET", "hunter2", "s3cr3t"):
            assert secret not in text
        assert "api_key='oak_***'" in text
        assert "access_token='***'" in text
        assert "config_id='cfg-visible'" in text
        assert "max_reconnect_attempts=2" in text
    assert repr(ConnectionOptions()) == "ConnectionOptions()"  # defaults are not repeated
    assert KEY not in repr(read_environment({"NEXTEVI_API_KEY": KEY}))


def test_frozen_and_replace_checks_names() -> None:
    options = ConnectionOptions(config_id="a")
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.config_id = "b"  # type: ignore[misc]
    changed = options.replace(max_reconnect_attempts=1)
    assert (changed.config_id, changed.max_reconnect_attempts) == ("a", 1)
    assert options.max_reconnect_attempts == 5
    with pytest.raises(TypeError, match="'max_reconnect_attempt' \\(did you mean"):
        options.replace(max_reconnect_attempt=1)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("audio_transport", "carrier-pigeon"),
        ("dialect", "klingon"),
        ("max_queued_frames", 0),
        ("keepalive_interval", 0),
        ("open_timeout", -1),
        ("api_key", 1234567890123),
        ("url", b"ws://bytes"),
    ],
)
def test_bad_values_fail_when_the_object_is_made(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=field):
        ConnectionOptions(**{field: value})  # type: ignore[arg-type]


# ---------------------------------------------------------------------- the environment


def test_environment_precedence() -> None:
    env = {
        "NEXTEVI_API_KEY": KEY,
        "NEXTEVI_ACCESS_TOKEN": TOKEN,
        "NEXTEVI_CONFIG_ID": "cfg-env",
        "NEXTEVI_PROJECT_ID": "proj-env",
        "NEXTEVI_WEBSOCKET_URL": "ws://websocket-url/ws/voice",
        "NEXTEVI_BASE_URL": "ws://base-url",
    }
    found = ConnectionOptions().resolve(env)
    assert (found.api_key, found.access_token) == (KEY, TOKEN)
    assert (found.config_id, found.project_id) == ("cfg-env", "proj-env")
    assert found.url == "ws://websocket-url/ws/voice"  # before NEXTEVI_BASE_URL
    del env["NEXTEVI_WEBSOCKET_URL"]
    assert ConnectionOptions().resolve(env).endpoint() == "ws://base-url/ws/voice"
    assert ConnectionOptions().resolve({}).endpoint() == "wss://api.nextevi.com/ws/voice"

    # Arguments win; an explicit key or token makes both credential variables be ignored.
    given = ConnectionOptions(api_key="oak_argument_key_1", config_id="cfg-arg", url="ws://arg")
    found = given.resolve(env)
    assert (found.api_key, found.access_token) == ("oak_argument_key_1", None)
    assert (found.config_id, found.project_id, found.url) == ("cfg-arg", "proj-env", "ws://arg")
    found = ConnectionOptions(access_token="tok-argument").resolve(env)
    assert (found.api_key, found.access_token) == (None, "tok-argument")
    # Blank strings count as unset, in arguments and variables alike.
    found = ConnectionOptions(api_key="  ", config_id="").resolve(
        {**env, "NEXTEVI_PROJECT_ID": " "}
    )
    assert (found.api_key, found.config_id, found.project_id) == (KEY, "cfg-env", None)
    assert ConnectionOptions(api_key=KEY).resolve(env).credentials().access_token is None


def test_credentials_and_endpoint_from_the_environment_reach_the_client(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("NEXTEVI_ACCESS_TOKEN", "NEXTEVI_WEBSOCKET_URL", "NEXTEVI_PROJECT_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NEXTEVI_API_KEY", KEY)
    monkeypatch.setenv("NEXTEVI_CONFIG_ID", "cfg-env")
    monkeypatch.setenv("NEXTEVI_BASE_URL", "emulator.local:8001")
    client = NextEVIClient()
    assert client.url.startswith("wss://emulator.local:8001/ws/voice/")
    assert "config_id=cfg-env" in client.url
    assert client.options == ConnectionOptions()  # as given: the environment is read, not stored
    assert KEY not in repr(client.options)


def test_only_the_options_module_names_the_environment_variables() -> None:
    """Every ``NEXTEVI_*`` connection variable is read through ``read_environment``: no other
    module of the package has one as a string of its own (docstrings and messages may mention
    them inside longer text)."""
    names = {var for variables in ENVIRONMENT_VARIABLES.values() for var in variables}
    assert names == {
        "NEXTEVI_API_KEY",
        "NEXTEVI_ACCESS_TOKEN",
        "NEXTEVI_CONFIG_ID",
        "NEXTEVI_PROJECT_ID",
        "NEXTEVI_WEBSOCKET_URL",
        "NEXTEVI_BASE_URL",
    }
    readers = set()
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and node.value in names:
                readers.add(path.relative_to(PACKAGE).as_posix())
    assert readers == {"client/options.py"}


# ---------------------------------------------------------------------- keywords


def test_the_keyword_forms_are_checked_by_mypy(tmp_path: Path) -> None:
    """Typed keywords: mypy accepts the documented calls and names each mistake."""
    code = textwrap.dedent(
        """
        from nextevi_widgets import ConnectionOptions, VoiceChat
        from nextevi_widgets.client import NextEVIClient
        from nextevi_widgets.session import VoiceSession

        VoiceSession(config_id="x", emulator="inprocess", max_messages=3, max_reconnect_attempts=2)
        VoiceSession(options=ConnectionOptions(api_key="k", settings=None))
        NextEVIClient(options=ConnectionOptions(api_key="k"), dialect="flat")
        VoiceChat(api_key="k", echo_strategy="headphones", emulator=False, volume=0.3)
        VoiceSession(max_mesages=3)  # line 10
        VoiceSession(max_reconnect_attempts="two")
        NextEVIClient(dialect="weird")
        VoiceChat(echo_strategy="loud", url="ws://127.0.0.1:1")
        ConnectionOptions(api_key="k").replace(url=1)
        """
    )
    (tmp_path / "use.py").write_text(code)
    command = [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "use.py"]
    out = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=False)
    errors = [line for line in out.stdout.splitlines() if ": error:" in line]
    assert [int(line.split(":")[1]) for line in errors] == [10, 11, 12, 13, 14], out.stdout
    assert '"max_mesages"' in errors[0]
    assert 'did you mean "max_messages"' in errors[0]


@pytest.mark.parametrize("make", [NextEVIClient, VoiceSession, VoiceChat])
def test_an_unknown_keyword_is_named_at_the_callers_line(make: type) -> None:
    with pytest.raises(TypeError) as info:
        make(config_id="cfg", max_reconect_attempts=3, emulator=False)
    message = str(info.value)
    assert f"{make.__name__}() got an unexpected keyword argument" in message
    assert "'max_reconect_attempts' (did you mean 'max_reconnect_attempts'?)" in message
    # Raised by the constructor itself, straight above this test's frame (no helper frames,
    # no background task): the traceback points at the call.
    frames = [entry.name for entry in info.traceback]
    assert frames == ["test_an_unknown_keyword_is_named_at_the_callers_line", "__init__"]
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__


@pytest.mark.parametrize("make", [NextEVIClient, VoiceSession, VoiceChat])
def test_unknown_keywords_without_a_close_name_list_the_valid_ones(make: type) -> None:
    with pytest.raises(TypeError, match="'colour', 'zzz'") as info:
        make(colour="blue", zzz=1)
    assert "valid keywords:" in str(info.value)
    assert "max_queued_frames" in str(info.value)


def test_keyword_and_object_forms_build_the_same_client() -> None:
    settings = SessionSettings(turn_detection=TurnDetection(silence_threshold=0.3))
    keywords: ConnectionKeywords = {
        "api_key": KEY,
        "config_id": "cfg-1",
        "url": "ws://127.0.0.1:9/ws/voice",
        "settings": settings,
        "max_reconnect_attempts": 2,
        "reconnect_base_delay": 0.25,
        "keepalive_interval": 15.0,
        "dialect": "flat",
        "max_queued_frames": 40,
    }
    from_keywords = NextEVIClient(**keywords)
    options = ConnectionOptions(**keywords)
    from_object = NextEVIClient(options=options)
    assert from_keywords.options == options
    assert from_object.options is options
    assert from_keywords.settings is settings
    assert from_keywords.url.split("/voice_")[0] == from_object.url.split("/voice_")[0]


def test_session_and_widget_keep_the_options_they_are_given() -> None:
    options = ConnectionOptions(api_key=KEY, config_id="cfg-1", max_reconnect_attempts=1)
    session = VoiceSession(options=options, emulator=False, max_messages=7)
    assert session.options is options
    assert session.max_messages == 7
    by_keywords = VoiceSession(api_key=KEY, config_id="cfg-1", max_reconnect_attempts=1)
    assert by_keywords.options == options
    assert not by_keywords.is_emulator
    widget = VoiceChat(api_key=KEY, config_id="cfg-1", max_reconnect_attempts=1, volume=0.5)
    try:
        assert widget.session.options == options
        assert widget.volume == 0.5
    finally:
        widget.close()
    widget = VoiceChat(options=options, echo_strategy="headphones", max_messages=3)
    try:
        assert widget.session.options is options
        assert widget.session.max_messages == 3
    finally:
        widget.close()


@pytest.mark.parametrize("make", [NextEVIClient, VoiceSession, VoiceChat])
def test_options_and_a_conflicting_keyword_is_an_error(make: type) -> None:
    options = ConnectionOptions(api_key=KEY, config_id="cfg-1", max_reconnect_attempts=1)
    with pytest.raises(TypeError, match="options= and different keyword values") as info:
        make(options=options, max_reconnect_attempts=4, api_key="oak_another_key_0000")
    message = str(info.value)
    assert "max_reconnect_attempts (1 there)" in message
    assert "api_key ('oak_***' there)" in message
    assert KEY not in message
    assert "another_key" not in message
    # The same value twice is no conflict.
    made = make(options=options, config_id="cfg-1")
    assert made.options is options if make is not VoiceChat else made.session.options is options
    if isinstance(made, VoiceChat):
        made.close()


def test_a_widget_showing_a_session_takes_no_connection_options() -> None:
    session = VoiceSession(api_key=KEY, config_id="cfg-1", emulator=False)
    with pytest.raises(TypeError, match="not with session="):
        VoiceChat(session=session, options=ConnectionOptions())
    with pytest.raises(TypeError, match="not with session="):
        VoiceChat(session=session, config_id="cfg-2")
    with pytest.raises(TypeError, match="'echo_strateg'"):
        VoiceChat(session=session, echo_strateg="aec")  # type: ignore[call-arg]


# ---------------------------------------------------------------------- reconnect policy


async def _drop(session: Session) -> None:
    """The first connection says hello and then drops (1011); every later one drops at once,
    so no reconnect counts as a success and the retries run out."""
    await session.next_json()  # session_settings
    if session.index == 0:
        await session.send_metadata()
    await session.ws.close(1011, "internal error")


@pytest.mark.parametrize("attempts", [0, 2])
async def test_the_configured_reconnect_policy_reaches_the_client(attempts: int) -> None:
    async with ScriptedServer(_drop) as server:
        client = NextEVIClient(
            options=ConnectionOptions(
                api_key=KEY,
                config_id="cfg-1",
                url=server.url,
                max_reconnect_attempts=attempts,
                **FAST,
            )
        )
        await client.connect()
        events = await collect(client)
    retries = [e.attempt for e in events if isinstance(e, Reconnecting)]
    assert retries == list(range(1, attempts + 1))
    assert len(server.sessions) == attempts + 1
    last = events[-1]
    assert isinstance(last, Disconnected)
    if attempts:
        assert isinstance(last.error, ReconnectExhaustedError)


@pytest.mark.parametrize(
    ("form", "attempts"), [("options", 1), ("options", 3), ("keywords", 2), ("widget", 1)]
)
async def test_the_session_passes_its_reconnect_policy_to_the_client(
    form: str, attempts: int
) -> None:
    async with ScriptedServer(_drop) as server:
        given = ConnectionOptions(
            api_key=KEY, config_id="cfg-1", url=server.url, max_reconnect_attempts=attempts, **FAST
        )
        widget = None
        if form == "options":
            session = VoiceSession(options=given, emulator=False)
        elif form == "keywords":
            session = VoiceSession(emulator=False, **dataclasses.asdict(given))
        else:
            widget = VoiceChat(options=given, emulator=False)
            session = widget.session
        seen: list[int] = []
        session.on_event(
            lambda _d, event, _t: (
                seen.append(event.attempt) if isinstance(event, Reconnecting) else None
            )
        )
        try:
            await asyncio.wait_for(session.start(), 20)
        finally:
            if widget is not None:
                widget.close()
    assert seen == list(range(1, attempts + 1))
    assert len(server.sessions) == attempts + 1
    assert session.state == "error"
    assert "reconnect" in session.last_error.lower()
