"""A recorded live session replays into exactly the session that was lived.

Real JupyterLab + Debian Chromium: the fake microphone loops speech and silence, so the user
talks again while the assistant answers (a barge-in). The session is recorded from before the
first word; after the interruption (and the player's report of the flush) the recorder is
closed and the live ``messages`` and ``latency`` are read in the same kernel step, so nothing
happens between the recorder's end and the snapshot. Replaying the recording must reproduce
both exactly: every field of every message (``heard_text``, ``interrupted`` included) and
every latency record (``first_played`` included), which depend on the browser player's
reports. No timing is asserted: the test waits for conditions only.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from ._lab import LabNotebook

pytestmark = [pytest.mark.browser, pytest.mark.slow]

Opener = Callable[..., LabNotebook]

# Browser processing off: the emulator's deterministic recogniser hears the looped speech.
CHAT = (
    "from nextevi_widgets import VoiceChat\n"
    "chat = VoiceChat(config_id='deterministic', echo_strategy='headphones')\n"
    "chat"
)

# Recording starts before the microphone does: every event of the session is in it. The
# wrapper only lets the test see that the browser's player reported the flush.
RECORD = """
import tempfile, pathlib
recording_path = pathlib.Path(tempfile.mkdtemp()) / "barge-in"
recorder = chat.session.record(recording_path)
flushed_reports = []
_report_playback = chat.session.report_playback
def _watch_reports(chunk_id, played, total, flushed=False):
    if flushed:
        flushed_reports.append(chunk_id)
    _report_playback(chunk_id, played, total, flushed)
chat.session.report_playback = _watch_reports
"""

# One kernel step: nothing can reach the session between closing the recorder and reading it.
CLOSE_AND_SNAPSHOT = """
import copy
recorder.close()
live = {
    "messages": copy.deepcopy(list(chat.session.messages)),
    "latency": copy.deepcopy(list(chat.session.latency)),
}
"""

# The replay: the recorded events fed to a conversation core at their recorded times, then
# advanced to where the live one had reached when the recorder closed; what it publishes is
# what a session shows (the live session applies the same changes to its traits).
REPLAY = """
from nextevi_widgets.conversation import Conversation, StateChanged
from nextevi_widgets.recording import Recording
recording = Recording.load(recording_path)
replayed = {"messages": [], "latency": []}
_fold = Conversation(max_messages=recording.header["max_messages"])
def _publish(changes):
    for change in changes:
        if isinstance(change, StateChanged) and change.name in replayed:
            replayed[change.name] = change.value
for _item in recording.events:
    if _item.event is not None:
        _publish(_fold.feed(_item.event, _item.t))
_publish(_fold.advance(recording.end))
# The same log without the player's reports: what recordings held before they stored them.
from nextevi_widgets.conversation import PlaybackProgress, PlaybackStarted
_unreported = Conversation(max_messages=recording.header["max_messages"])
for _item in recording.events:
    if _item.event is not None and not isinstance(_item.event, (PlaybackProgress, PlaybackStarted)):
        _unreported.feed(_item.event, _item.t)
_unreported.advance(recording.end)
unreported_latency = _unreported.latency
loaded = {"messages": recording.transcript, "latency": recording.latency}
"""

INTERRUPTED = (
    "[m for m in chat.session.messages if m['role'] == 'assistant' and m['interrupted'] "
    "and m['heard_text'] is not None]"
)


def _differences(live: dict[str, list[Any]], replayed: dict[str, list[Any]]) -> list[str]:
    """Field-by-field differences, for a readable failure."""
    out: list[str] = []
    for name in ("messages", "latency"):
        a, b = live[name], replayed[name]
        if len(a) != len(b):
            out.append(f"{name}: {len(a)} live vs {len(b)} replayed")
        for index, (x, y) in enumerate(zip(a, b, strict=False)):
            for key in sorted(set(x) | set(y)):
                if x.get(key, "<missing>") != y.get(key, "<missing>"):
                    label = x.get("id", x.get("turn", index))
                    out.append(
                        f"{name}[{label}].{key}: live {x.get(key, '<missing>')!r} "
                        f"replayed {y.get(key, '<missing>')!r}"
                    )
    return out


def test_a_recorded_barge_in_replays_into_the_live_messages_and_latency(
    page: Any, open_notebook: Opener
) -> None:
    nb = open_notebook(page, [CHAT, RECORD])
    nb.widget().locator(".nvc-mic").click()
    nb.wait_until(INTERRUPTED, timeout=150, what="an interrupted assistant message")
    # The flush is reported by the page after the kernel told it to stop: wait for it, so the
    # recording holds a player report that changed what was heard.
    nb.wait_until("len(flushed_reports) > 0", timeout=60, what="the player's flush report")

    nb.execute(CLOSE_AND_SNAPSHOT)
    nb.execute(REPLAY)
    live = nb.probe("live")
    replayed = nb.probe("replayed")

    # The session really was a barge-in with reports: an interrupted reply partly heard, and
    # a turn whose first sample was measured by the player, not estimated.
    interrupted = [m for m in live["messages"] if m["role"] == "assistant" and m["interrupted"]]
    assert interrupted
    assert interrupted[0]["heard_text"] is not None
    assert any(r["first_played"] is not None and not r["played_estimated"] for r in live["latency"])

    differences = _differences(live, replayed)
    assert not differences, "\n".join(differences)
    # Exact equality of the Python objects (floats included), not only of their JSON forms.
    assert nb.probe("live == replayed"), json.dumps(replayed)[:2000]
    # The player's reports are what make it so: without them the first sample is estimated.
    assert nb.probe("unreported_latency != live['latency']")

    # The loaded recording gives the same: ``Recording.latency`` and ``Recording.transcript``
    # are the live ``latency`` and ``messages`` (an entry still streaming included, as of its
    # last republish).
    loaded = nb.probe("loaded")
    differences = _differences(live, loaded)
    assert not differences, "\n".join(differences)
    assert nb.probe("loaded['latency'] == live['latency']")
    assert nb.probe("loaded['messages'] == live['messages']")
    assert nb.probe("chat.last_error") == ""
