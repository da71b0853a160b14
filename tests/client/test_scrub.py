"""The scrubber's rules, one by one: which forms of a credential it finds, which values count as
credentials, and that what it returns is always encodable."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote, quote_plus

import pytest

from nextevi_widgets.client.config import redact_url
from nextevi_widgets.client.messages import MessageParseError
from nextevi_widgets.client.scrub import Scrubber, comm_safe, secrets_in_url

KEY = "oak_SCRUBTEST_9f8e7d6c5b4a"
scrubber = Scrubber([KEY, None, ""], url="wss://h/ws/voice?sig=customsecret99&lang=en")


@pytest.mark.parametrize(
    "form",
    [
        KEY,
        quote(f"a b {KEY}/", safe=""),
        quote_plus(f"x {KEY}"),
        quote(f"é/{KEY}", safe="").replace("%C3%A9", "%c3%a9").replace("%2F", "%2f"),
        f"Bearer {KEY}",
        f"api_key={KEY}&x=1",
        *(base64.b64encode(f"{pad}{KEY} tail".encode()).decode() for pad in ("", "a", "ab")),
        *(base64.urlsafe_b64encode(f"{pad}{KEY}".encode()).decode() for pad in ("", "a", "ab")),
    ],
)
def test_every_known_form_of_the_key_is_removed(form: str) -> None:
    text = scrubber.text(f"before {form} after")
    assert "SCRUBTEST" not in text
    assert not scrubber.contains_secret(text)
    assert text.startswith("before ")
    assert text.endswith(" after")
    assert "***" in text


def test_url_query_values_count_as_credentials_but_short_ones_do_not() -> None:
    assert secrets_in_url("wss://u:pw123456@h/x?sig=customsecret99&lang=en") == (
        "customsecret99",
        "en",
        "pw123456",
    )
    assert scrubber.text("sig customsecret99 in english") == "sig *** in english"
    # "en" is a query value too, but far too short to tell from ordinary text.
    assert scrubber.text("the end") == "the end"
    assert redact_url("wss://h/ws/voice/c?sig=customsecret99&config_id=cfg") == (
        "wss://h/ws/voice/c?sig=***&config_id=cfg"
    )


def test_frames_are_scrubbed_after_json_decoding_keys_included() -> None:
    escaped = "".join(f"\\u{ord(c):04x}" for c in KEY)
    frame = (
        '{"type":"system_message","content":"key: ' + escaped + '",'
        '"x_extra":{"' + KEY + '":["' + KEY + '", 1, null, "\\ud800"]}}'
    )
    clean = scrubber.frame(frame)
    assert clean == {
        "type": "system_message",
        "content": "key: ***",
        "x_extra": {"***": ["***", 1, None, "\ufffd"]},
    }
    json.dumps(clean, ensure_ascii=False).encode("utf-8")
    with pytest.raises(MessageParseError):
        scrubber.frame("not json")


def test_undecodable_frames_are_previewed_with_escapes_decoded() -> None:
    escaped = "".join(f"\\u{ord(c):04x}" for c in KEY)
    assert scrubber.raw_frame('{"broken": "' + escaped) == '{"broken": "***'


def test_comm_safe_replaces_only_lone_surrogates() -> None:
    assert comm_safe("plain") == "plain"
    assert comm_safe("é 😀") == "é 😀"
    assert comm_safe("a\ud800b\udfff") == "a\ufffdb\ufffd"


def test_base64_audio_is_left_alone() -> None:
    audio = base64.b64encode(bytes(range(256)) * 40).decode()
    assert scrubber.text(audio) == audio


def test_repr_shows_no_secret() -> None:
    assert KEY not in repr(scrubber)
    assert "customsecret99" not in repr(scrubber)


def test_short_strings_are_remembered_and_still_scrubbed_every_time() -> None:
    fresh = Scrubber([KEY])
    short = f"k={KEY}"  # short enough to be remembered
    surrogate = "ok \ud800"
    for _ in range(3):
        assert fresh.text(short) == "k=***"
        assert fresh.text(surrogate) == "ok \ufffd"
        assert fresh.value({short: [short, 1, 2.5, True, None]}) == {
            "k=***": ["k=***", 1, 2.5, True, None]
        }
    # The memory is bounded: many distinct strings never grow it past its cap.
    for i in range(10_000):
        assert fresh.text(f"word {i} {KEY}") == f"word {i} ***"
    assert 0 < len(fresh._memo) <= 4096
    long_text = "x" * 100 + KEY
    assert fresh.text(long_text) == "x" * 100 + "***"
    assert long_text not in fresh._memo
