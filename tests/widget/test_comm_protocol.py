"""The comm protocol: golden messages against the declarations, the generated TypeScript kept
in step, and validation before dispatch in both widgets."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from nextevi_widgets import _comm_codegen
from nextevi_widgets._comm import COMM_UNIONS
from nextevi_widgets._comm_validate import CommMessageError, message_spec, validator
from nextevi_widgets._widget.chat import VoiceChat
from nextevi_widgets.timeline import EmotionPlot, EmotionTimeline

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "comm"
KINDS = {message_spec(cls).kind: u.name for u in COMM_UNIONS for cls in u.members}


def _kind_files() -> dict[str, dict[str, Any]]:
    return {
        path.stem: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(FIXTURES.glob("*.json"))
        if not path.stem.startswith("_")
    }


def _cases(which: str) -> list[Any]:
    cases = []
    for kind, body in _kind_files().items():
        for case in body[which]:
            cases.append(pytest.param(body["union"], case, id=f"{kind}: {case['name']}"))
    if which == "invalid":
        extra = json.loads((FIXTURES / "_not_a_message.json").read_text(encoding="utf-8"))
        for case in extra["cases"]:
            cases.append(pytest.param(case["union"], case, id=f"not a message: {case['name']}"))
    return cases


def test_every_declared_kind_has_golden_messages() -> None:
    files = _kind_files()
    assert set(files) == set(KINDS)
    for kind, body in files.items():
        assert body["union"] == KINDS[kind]
        assert body["valid"], f"{kind}: no valid message"
        assert all(case["message"]["kind"] == kind for case in body["valid"])


@pytest.mark.parametrize(("union", "case"), _cases("valid"))
def test_valid_golden_messages_pass(union: str, case: dict[str, Any]) -> None:
    message = case["message"]
    assert validator(union).validate(message) == message


@pytest.mark.parametrize(("union", "case"), _cases("invalid"))
def test_invalid_golden_messages_are_refused_naming_the_field(
    union: str, case: dict[str, Any]
) -> None:
    with pytest.raises(CommMessageError) as caught:
        validator(union).validate(case["message"])
    assert caught.value.field == case["field"]
    assert str(caught.value).startswith(case["error"])


def test_an_integral_float_is_stored_as_the_declared_int() -> None:
    message = validator("BrowserMessage").validate(
        {"kind": "audio_frame", "seq": 12.0, "t_capture": 1.5}
    )
    assert message["seq"] == 12
    assert type(message["seq"]) is int


def test_the_generated_typescript_and_table_are_current() -> None:
    assert _comm_codegen.main(["--check"]) == 0, "run ./dev gen"


def test_the_staleness_check_fails_with_the_command_that_fixes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stale = tmp_path / "protocol.generated.ts"
    stale.write_text(_comm_codegen.typescript().replace("sample_rate", "sampleRate"))
    monkeypatch.setattr(_comm_codegen, "TS_PATH", stale)
    monkeypatch.setattr(_comm_codegen, "ROOT", tmp_path)
    contributing = tmp_path / "CONTRIBUTING.md"
    contributing.write_text(_comm_codegen.CONTRIBUTING_PATH.read_text(encoding="utf-8"))
    monkeypatch.setattr(_comm_codegen, "CONTRIBUTING_PATH", contributing)
    assert _comm_codegen.main(["--check"]) == 1
    err = capsys.readouterr().err
    assert "protocol.generated.ts out of date with nextevi_widgets/_comm.py" in err
    assert "./dev gen" in err
    assert "-  sampleRate: number;" in err
    assert _comm_codegen.main([]) == 0  # regenerates
    assert _comm_codegen.main(["--check"]) == 0


def test_every_browser_message_kind_has_a_handler() -> None:
    union = next(u for u in COMM_UNIONS if u.name == "BrowserMessage")
    assert set(VoiceChat._HANDLERS) == {message_spec(cls).kind for cls in union.members}


def test_a_bad_message_is_reported_by_kind_and_field_and_the_next_one_is_handled() -> None:
    widget = VoiceChat(config_id="deterministic", emulator="inprocess")
    try:
        widget._on_browser_msg(
            widget, {"kind": "capture_state", "capturing": "yes", "view_id": "v1"}, []
        )
        assert "capture_state: field 'capturing' must be true or false" in widget.last_error
        assert widget.capture_view == ""
        assert "CommMessageError" in widget.error_output.outputs[-1]["text"]
        widget._on_browser_msg(
            widget, {"kind": "capture_state", "capturing": True, "view_id": "v1"}, []
        )
        assert widget.capture_view == "v1"
    finally:
        widget.close()


def test_a_bad_message_held_for_page_order_is_reported_in_its_place() -> None:
    """A page's messages are put back in order first, then each is checked: one bad message
    in the middle is reported and the ones after it still run, in order."""
    widget = VoiceChat(config_id="deterministic", emulator="inprocess")
    seen: list[str] = []
    widget.observe(lambda c: seen.append(c["new"]), names=["capture_view"])
    try:
        page = {"page": "p1"}
        claim_a = {"kind": "capture_state", "capturing": True, "view_id": "a", "n": 1, **page}
        bad = {"kind": "capture_state", "capturing": True, "n": 2, **page}
        release_a = {"kind": "capture_state", "capturing": False, "view_id": "a", "n": 3, **page}
        for message in (release_a, bad, claim_a):  # the kernel got them back to front
            widget._on_browser_msg(widget, message, [])
        assert seen == ["a", ""]
        assert "capture_state: field 'view_id' is missing" in widget.last_error
    finally:
        widget.close()


def test_emotion_plot_checks_what_its_views_send(caplog: pytest.LogCaptureFixture) -> None:
    plot = EmotionPlot(EmotionTimeline())
    try:
        with caplog.at_level(logging.ERROR, logger="nextevi_widgets.timeline.live"):
            plot._on_front_end_msg(plot, {"kind": "theme", "dark": "yes"}, [])
            plot._on_front_end_msg(plot, {"kind": "resize"}, [])
        assert plot._page_dark is None
        texts = [r.getMessage() for r in caplog.records]
        assert any("theme: field 'dark' must be true or false" in t for t in texts)
        assert any("PlotBrowserMessage: field 'kind'" in t for t in texts)
        plot._on_front_end_msg(plot, {"kind": "theme", "dark": True}, [])
        assert plot._page_dark is True
    finally:
        plot.close()
