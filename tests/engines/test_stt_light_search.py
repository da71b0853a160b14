"""The ``light`` open-vocabulary search: chosen by the environment, decoders built with its
tighter pruning, unknown values refused."""

from __future__ import annotations

import pytest

pytest.importorskip("pocketsphinx")

from nextevi_widgets.emulator.engines.stt import (
    LIGHT_SEARCH,
    STT_SEARCH_ENV,
    DecoderPool,
    lm_search,
)


def test_light_is_a_search_and_anything_else_unknown_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(STT_SEARCH_ENV, " Light ")
    assert lm_search() == "light"
    monkeypatch.setenv(STT_SEARCH_ENV, "turbo")
    with pytest.raises(ValueError, match="must be one of fast, fastest, accurate, light"):
        lm_search()


@pytest.mark.parametrize(("search", "pruned"), [("light", True), ("fast", False)])
def test_light_decoders_prune_harder(
    monkeypatch: pytest.MonkeyPatch, search: str, pruned: bool
) -> None:
    monkeypatch.setenv(STT_SEARCH_ENV, search)
    decoder = DecoderPool._create(("lm",))
    for name, value in LIGHT_SEARCH.items():
        assert (decoder.config[name] == value) is pruned
    assert decoder.config["fwdflat"] is False
