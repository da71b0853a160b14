"""VoiceChat in real JupyterLab + Debian Chromium with a fake microphone (a looped espeak-ng WAV).

Each test writes a notebook, runs it in the browser, then reads facts back from the same kernel
(see ``_lab.LabNotebook.probe``) and from the page's DOM.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from _harness.chromium import launch_chromium
from _harness.waiting import eventually

from ._lab import LabNotebook

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Browser processing off: the tests look at what the microphone actually said.
RAW_MIC = "echo_strategy='headphones'"

# Wraps the session's playback reports so the test can see what the browser's player said.
RECORD_REPORTS = """
reports = []
_report = chat.session.report_playback
def _recording(*args):
    reports.append(args)
    _report(*args)
chat.session.report_playback = _recording
"""

Opener = Callable[..., LabNotebook]


def chat_cells(options: str) -> list[str]:
    return [
        f"from nextevi_widgets import VoiceChat\nchat = VoiceChat({options})\nchat",
        RECORD_REPORTS,
    ]


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z']+", text.lower()))


def word_list(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower())


def test_mic_streams_and_the_final_transcript_shows_in_kernel_and_page(
    page: Any, open_notebook: Opener
) -> None:
    # Default profile (auto): Whisper finals, which are right on this espeak sentence however
    # busy the machine is (decoding is deterministic; only the wait grows).
    from .conftest import FAKE_MIC_TEXT

    spoken = word_list(FAKE_MIC_TEXT)
    nb = open_notebook(page, chat_cells(RAW_MIC))
    nb.widget().locator(".nvc-mic").click()
    nb.wait_until("chat.stats.get('frames_sent', 0) > 25", timeout=90, what="mic frames")
    assert nb.probe("chat.capture_view") != ""
    # The mic loops the sentence and may start mid-sentence: wait for a whole pass of it.
    probe = "[m['text'] for m in chat.messages if m['role'] == 'user' and m['text'].strip()]"

    seen: list[list[str]] = [[]]

    def whole_sentence_heard() -> list[str]:
        texts: list[str] = nb.probe(probe)
        seen[0] = texts
        heard = " ".join(" ".join(word_list(text)) for text in texts)
        return texts if " ".join(spoken) in heard else []

    try:
        user_texts = eventually(
            whole_sentence_heard,
            timeout=150,
            interval=0.5,
            what="the whole spoken sentence as final user transcripts",
        )
    except TimeoutError as exc:
        raise AssertionError(f"heard {seen[0]!r}, spoken {FAKE_MIC_TEXT!r}") from exc
    heard = " ".join(" ".join(word_list(text)) for text in user_texts)
    assert " ".join(spoken) in heard, user_texts  # every word, in order
    final_in_page = nb.widget().locator(".nvc-msg.nvc-user:not(.nvc-interim) .nvc-text")
    final_in_page.first.wait_for(timeout=15_000)
    shown = [final_in_page.nth(i).text_content() for i in range(final_in_page.count())]
    assert shown[: len(user_texts)] == user_texts[: len(shown)]
    assert nb.probe("chat.last_error") == ""


def test_assistant_audio_plays_and_reports_reach_the_kernel(
    page: Any, open_notebook: Opener
) -> None:
    nb = open_notebook(page, chat_cells("config_id='deterministic'"))
    widget = nb.widget()
    widget.locator(".nvc-say-input").fill("hello there, how are you")
    widget.locator(".nvc-say-input").press("Enter")
    played = nb.wait_until(
        "sum(r[1] for r in reports if not r[3])", timeout=60, what="played samples reported"
    )
    assert played > 0
    # Stats are refreshed once a second (each refresh is a sync): wait for the next one.
    assert nb.wait_until("chat.stats.get('tts_chunks', 0)", timeout=15, what="tts_chunks in stats")
    widget.locator(".nvc-msg.nvc-assistant").first.wait_for(timeout=30_000)
    assert nb.probe("chat.last_error") == ""


def test_a_kernel_message_that_breaks_its_declaration_is_shown_and_reported_back(
    page: Any, open_notebook: Opener
) -> None:
    """The page checks play_audio with the guards generated from _comm.py: a bad one is not
    played, the page shows a comm_error naming kind and field, and the kernel hears of it."""
    nb = open_notebook(page, chat_cells("config_id='deterministic'"))
    nb.execute(
        "chat.send({'kind': 'play_audio', 'chunk_id': 'c1', 'sample_rate': '24000',"
        " 'generation_id': 'g1', 'is_last': True, 't_kernel': 0.0}, buffers=[bytes(960)])"
    )
    last_error = nb.wait_until(
        "chat.last_error if chat.last_error.startswith('comm_error') else ''",
        timeout=30,
        what="the page's comm_error in last_error",
    )
    assert "play_audio: field 'sample_rate' must be an integer" in last_error
    error = nb.widget().locator(".nvc-error")
    error.wait_for(state="visible", timeout=15_000)
    assert "field 'sample_rate'" in (error.text_content() or "")
    assert nb.probe("reports") == []  # nothing was played


def test_barge_in_flushes_playback_and_marks_what_was_heard(
    page: Any, open_notebook: Opener
) -> None:
    # The fake mic loops speech + silence: the user talks again while the assistant answers.
    nb = open_notebook(page, chat_cells(f"config_id='deterministic', {RAW_MIC}"))
    nb.widget().locator(".nvc-mic").click()
    interrupted = nb.wait_until(
        "[m for m in chat.messages if m['role'] == 'assistant' and m['interrupted']]",
        timeout=120,
        what="an interrupted assistant message",
    )
    message = interrupted[0]
    assert message["heard_text"] is not None
    assert message["text"].startswith(message["heard_text"].rstrip(" .…"))
    # The browser's player flushed and said so (its report may still be on its way).
    assert nb.wait_until("any(r[3] for r in reports)", timeout=30, what="a flushed report")
    heard = nb.widget().locator(".nvc-interrupted .nvc-heard").first
    heard.wait_for(timeout=15_000)
    assert "interrupted" in (heard.text_content() or "")


@pytest.fixture
def denied_page(playwright_instance: Any, fake_mic_wav: Path) -> Iterator[Any]:
    """A browser that answers permission prompts with "deny" and a context without grants."""
    browser = launch_chromium(playwright_instance, fake_mic_wav, fake_ui=False)
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, permissions=[])
    yield context.new_page()
    context.close()
    browser.close()


def test_denied_microphone_shows_the_doctor_message_and_last_error(
    denied_page: Any, open_notebook: Opener
) -> None:
    nb = open_notebook(denied_page, chat_cells("config_id='deterministic'"))
    widget = nb.widget()
    widget.locator(".nvc-mic").click()
    error = widget.locator(".nvc-error")
    error.wait_for(state="visible", timeout=30_000)
    text = error.text_content() or ""
    assert "denied" in text.lower()
    assert "send_file" in text  # points to the fallbacks
    last_error = nb.wait_until("chat.session.last_error", timeout=30, what="last_error")
    assert last_error.startswith("mic_denied")
    # The failed view released its claim on the microphone.
    assert nb.wait_until("chat.capture_view == ''", timeout=15, what="capture released")


XSS = '<img src=x onerror="window.__xss=1"> hi <b>bold</b>'


def test_transcript_markup_is_shown_as_text_and_never_runs(
    page: Any, open_notebook: Opener
) -> None:
    nb = open_notebook(page, chat_cells("config_id='deterministic'"))
    nb.execute(
        "from nextevi_widgets.client.messages import Transcription, LLMResponseChunk\n"
        f"chat.session.handle_event(Transcription(transcript={XSS!r}, is_final=False))\n"
    )
    widget = nb.widget()
    interim = widget.locator(".nvc-interim .nvc-text")
    interim.wait_for(timeout=15_000)
    assert interim.text_content() == XSS
    nb.execute(f"chat.session.handle_event(Transcription(transcript={XSS!r}, is_final=True))")
    final = widget.locator(".nvc-msg.nvc-user:not(.nvc-interim) .nvc-text").first
    final.wait_for(timeout=15_000)
    assert final.text_content() == XSS
    assert widget.locator("img").count() == 0
    assert widget.locator("b").count() == 0
    page.wait_for_timeout(500)  # give an onerror handler every chance to fire
    assert page.evaluate("() => window.__xss") is None


@pytest.fixture
def saved_key(jupyter_lab: Any) -> str:
    return jupyter_lab.kernel_env["NEXTEVI_BROWSER_TEST_KEY"]


def test_saved_notebook_with_widget_state_contains_no_api_key(
    page: Any, open_notebook: Opener, saved_key: str
) -> None:
    # The key is in the kernel's environment only (set by the fixture), never in a cell.
    cells = [
        "import os\n"
        "from nextevi_widgets import VoiceChat\n"
        "from nextevi_widgets.emulator import EmulatorProcess\n"
        "emu = EmulatorProcess(profile='deterministic').start()\n"
        "chat = VoiceChat(api_key=os.environ['NEXTEVI_BROWSER_TEST_KEY'], url=emu.url,\n"
        "                 config_id='deterministic')\n"
        "chat.connect()\n"
        "chat",
    ]
    nb = open_notebook(page, cells)
    nb.wait_until("chat.state == 'connected'", timeout=60, what="connected")
    widget = nb.widget()
    widget.locator(".nvc-say-input").fill("hello there")
    widget.locator(".nvc-say-input").press("Enter")
    nb.wait_until("any(m['role'] == 'assistant' for m in chat.messages)", timeout=60)
    connection_id = nb.probe("chat.connection_id")
    assert connection_id
    # Let the reply's state reach the page before saving.
    widget.locator(".nvc-msg.nvc-assistant").first.wait_for(timeout=30_000)

    def saved_with_state() -> str | None:
        nb.save()
        text = nb.path.read_text()
        data = json.loads(text)
        state = data.get("metadata", {}).get("widgets", {})
        return text if connection_id in json.dumps(state) else None

    text = eventually(saved_with_state, timeout=30, interval=1.0, what="widget state in the file")
    assert saved_key not in text
    assert "NEXTEVI_BROWSER_TEST_KEY" in text  # the cell names the variable, not the value
    assert saved_key not in page.content()
    nb.execute("chat.close(); emu.stop()")


def test_two_views_share_one_microphone(page: Any, open_notebook: Opener) -> None:
    nb = open_notebook(
        page, [*chat_cells(f"config_id='deterministic', {RAW_MIC}"), "display(chat)"]
    )
    views = page.locator(".nextevi-voice-chat")
    eventually(lambda: views.count() == 2, timeout=30, what="two views")
    first, second = views.nth(0), views.nth(1)
    first.locator(".nvc-mic").click()
    nb.wait_until("chat.stats.get('frames_sent', 0) > 10", timeout=60, what="mic frames")
    first_id = first.get_attribute("data-view-id")
    assert nb.probe("chat.capture_view") == first_id
    notice = second.locator(".nvc-notice")
    notice.wait_for(state="visible", timeout=15_000)
    assert "another view" in (notice.text_content() or "")
    # Taking the mic over in the second view stops the first.
    second.locator(".nvc-mic").click()
    second_id = second.get_attribute("data-view-id")
    nb.wait_until(f"chat.capture_view == {second_id!r}", timeout=30, what="take over")
    eventually(
        lambda: (
            first.get_attribute("data-capture") == "elsewhere"
            and second.get_attribute("data-capture") == "on"
        ),
        timeout=30,
        what="capture moved to the second view",
    )


RECORD_OUTGOING = """
from nextevi_widgets.session import OutgoingAudio
outgoing = []
chat.session.on_event(
    lambda d, e, _t: outgoing.append((e.seq, len(e.pcm))) if isinstance(e, OutgoingAudio) else None
)
"""


def test_batched_mic_frames_stream_and_get_a_transcript(page: Any, open_notebook: Opener) -> None:
    # Five 20 ms frames per comm message; the deterministic recogniser answers any speech turn.
    nb = open_notebook(
        page,
        [
            "from nextevi_widgets import VoiceChat\n"
            f"chat = VoiceChat(config_id='deterministic', frames_per_message=5, {RAW_MIC})\nchat",
            RECORD_OUTGOING,
        ],
    )
    nb.widget().locator(".nvc-mic").click()
    user_texts = nb.wait_until(
        "[m['text'] for m in chat.messages if m['role'] == 'user' and m['text'].strip()]",
        timeout=90,
        what="a final user transcript",
    )
    assert user_texts[0].strip()
    frames = nb.probe("outgoing")
    seqs = [seq for seq, _ in frames]
    assert len(seqs) >= 25
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))  # split back in order, no gaps
    assert {size for _, size in frames} == {960}  # the session sees 20 ms frames
    assert nb.probe("chat.last_error") == ""
